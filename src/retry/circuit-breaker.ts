/**
 * Circuit breaker per provider instance. Closed: everything passes. It opens
 * after `consecutiveFailures` failures in a row, or when the failure ratio over
 * the last `windowMs` reaches `failureRatio` (with at least `minRequests`
 * attempts in the window). Open: every attempt is refused (`circuit_open`)
 * until `cooldownMs` has passed; then half-open: one trial at a time passes,
 * its success closes the breaker, its failure opens it again for another
 * cooldown. Outcomes are reported with the permit `tryPass` gave, so a result
 * counts only for the state (generation) its attempt was admitted in.
 */
import type { Clock } from '../shared/clock.js';
import type { CircuitBreakerPolicy } from './policy.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * What `tryPass` hands out: the attempt's ticket, returned with its outcome.
 * An outcome counts only for the state its attempt was admitted in: a late
 * answer to a request sent before the breaker opened says nothing about the
 * provider now, and only the current trial decides half-open.
 */
export interface BreakerPermit {
  /** The breaker's generation at admission; it moves on each open and each close. */
  readonly generation: number;
  /** This attempt is the half-open trial. */
  readonly trial: boolean;
}

/**
 * What a breaker tells its subscribers: it opened (refusing every attempt until
 * `halfOpenAtMs`, monotonic), it closed, or its half-open trial slot was taken
 * or freed. Fired synchronously, from inside tryPass and the outcome calls.
 */
export type BreakerEvent =
  | { kind: 'open'; openedAtMs: number; halfOpenAtMs: number }
  | { kind: 'close' }
  | { kind: 'trial_taken' }
  | { kind: 'trial_freed' };

const DISABLED_PERMIT: BreakerPermit = Object.freeze({ generation: -1, trial: false });

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private generation = 0;
  private openedAtMs = 0;
  private consecutive = 0;
  /** The half-open trial in flight; at most one. */
  private trialPermit: BreakerPermit | null = null;
  /** Outcomes in the ratio window, oldest first from `windowHead`: [monotonic ms, failed]. */
  private window: [number, boolean][] = [];
  private windowHead = 0;
  private windowFailures = 0;
  private listeners: ((e: BreakerEvent) => void)[] = [];

  constructor(
    private readonly policy: CircuitBreakerPolicy,
    private readonly clock: Clock,
  ) {}

  /** Open turns half-open by itself once the cooldown has passed. */
  get state(): BreakerState {
    if (this.current === 'open' && this.clock.monotonic() - this.openedAtMs >= this.policy.cooldownMs) {
      return 'half_open';
    }
    return this.current;
  }

  /**
   * When `tryPass` could next admit an attempt, monotonic ms: null = now
   * (closed, disabled, or half-open with the trial slot free); the end of the
   * cooldown while open; Infinity while a half-open trial is in flight (until
   * its outcome, which a subscriber hears of).
   */
  refusesUntilMs(): number | null {
    if (!this.policy.enabled) return null;
    const state = this.state;
    if (state === 'closed') return null;
    if (state === 'open') return this.openedAtMs + this.policy.cooldownMs;
    return this.trialPermit ? Number.POSITIVE_INFINITY : null;
  }

  /** Hears every open, close and trial-slot change; returns the unsubscribe function. */
  subscribe(listener: (e: BreakerEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Asks to send an attempt. null = refused (the caller records `circuit_open`).
   * Half-open admits one trial at a time. Always a permit when disabled.
   */
  tryPass(): BreakerPermit | null {
    if (!this.policy.enabled) return DISABLED_PERMIT;
    const state = this.state;
    if (state === 'closed') return { generation: this.generation, trial: false };
    if (state === 'open') return null;
    this.current = 'half_open';
    if (this.trialPermit) return null;
    this.trialPermit = { generation: this.generation, trial: true };
    this.emit({ kind: 'trial_taken' });
    return this.trialPermit;
  }

  /** The provider answered. A trial's success closes the breaker. */
  onSuccess(permit: BreakerPermit): void {
    if (!this.counts(permit)) return;
    this.consecutive = 0;
    if (permit.trial) {
      this.close();
      return;
    }
    this.record(false);
  }

  /** The provider failed. A trial's failure opens the breaker for another cooldown. */
  onFailure(permit: BreakerPermit): void {
    if (!this.counts(permit)) return;
    if (permit.trial) {
      this.open();
      return;
    }
    this.consecutive += 1;
    this.record(true);
    if (this.consecutive >= this.policy.consecutiveFailures || this.ratioTripped()) this.open();
  }

  /**
   * The attempt ended without a verdict on the provider (canceled by us, or cut
   * by the total deadline). An abandoned trial is no success: it frees the trial
   * slot and the breaker stays half-open, so the next attempt becomes the trial.
   */
  onAbandon(permit: BreakerPermit): void {
    if (permit.trial && this.trialPermit === permit) {
      this.trialPermit = null;
      this.emit({ kind: 'trial_freed' });
    }
  }

  /** Whether an outcome belongs to the state the breaker is in now. */
  private counts(permit: BreakerPermit): boolean {
    if (!this.policy.enabled || permit.generation !== this.generation) return false;
    if (permit.trial) return this.current === 'half_open' && this.trialPermit === permit;
    return this.current === 'closed';
  }

  private open(): void {
    this.current = 'open';
    this.generation += 1;
    this.openedAtMs = this.clock.monotonic();
    this.trialPermit = null;
    this.consecutive = 0;
    this.clearWindow();
    this.emit({
      kind: 'open',
      openedAtMs: this.openedAtMs,
      halfOpenAtMs: this.openedAtMs + this.policy.cooldownMs,
    });
  }

  private close(): void {
    this.current = 'closed';
    this.generation += 1;
    this.trialPermit = null;
    this.clearWindow();
    this.emit({ kind: 'close' });
  }

  private emit(e: BreakerEvent): void {
    for (const l of this.listeners) l(e);
  }

  private clearWindow(): void {
    this.window = [];
    this.windowHead = 0;
    this.windowFailures = 0;
  }

  private record(failed: boolean): void {
    if (this.policy.failureRatio <= 0) return;
    const now = this.clock.monotonic();
    this.window.push([now, failed]);
    if (failed) this.windowFailures += 1;
    const since = now - this.policy.windowMs;
    while (this.windowHead < this.window.length && this.window[this.windowHead]![0] < since) {
      if (this.window[this.windowHead]![1]) this.windowFailures -= 1;
      this.windowHead += 1;
    }
    if (this.windowHead > 1024 && this.windowHead * 2 > this.window.length) {
      this.window.splice(0, this.windowHead);
      this.windowHead = 0;
    }
  }

  private ratioTripped(): boolean {
    const count = this.window.length - this.windowHead;
    if (this.policy.failureRatio <= 0 || count < this.policy.minRequests) return false;
    return this.windowFailures / count >= this.policy.failureRatio;
  }
}
