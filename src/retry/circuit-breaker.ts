/**
 * Circuit breaker per provider instance. Closed: everything passes. It opens
 * after `consecutiveFailures` failures in a row, or when the failure ratio over
 * the last `windowMs` reaches `failureRatio` (with at least `minRequests`
 * attempts in the window). Open: every attempt is refused (`circuit_open`)
 * until `cooldownMs` has passed; then half-open: one trial passes, its success
 * closes the breaker, its failure opens it again for another cooldown.
 */
import type { Clock } from '../shared/clock.js';
import type { CircuitBreakerPolicy } from './policy.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private openedAtMs = 0;
  private consecutive = 0;
  private trialInFlight = false;
  /** Outcomes in the ratio window, oldest first from `windowHead`: [monotonic ms, failed]. */
  private window: [number, boolean][] = [];
  private windowHead = 0;
  private windowFailures = 0;

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

  /** Asks to send an attempt. False = refused (the caller records `circuit_open`). Always true when disabled. */
  tryPass(): boolean {
    if (!this.policy.enabled) return true;
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    this.current = 'half_open';
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  onSuccess(): void {
    if (!this.policy.enabled) return;
    this.consecutive = 0;
    if (this.current === 'half_open') {
      this.current = 'closed';
      this.trialInFlight = false;
      this.clearWindow();
      return;
    }
    this.record(false);
  }

  onFailure(): void {
    if (!this.policy.enabled) return;
    if (this.current === 'half_open') {
      this.open();
      return;
    }
    if (this.current === 'open') return;
    this.consecutive += 1;
    this.record(true);
    if (this.consecutive >= this.policy.consecutiveFailures || this.ratioTripped()) this.open();
  }

  /** The attempt ended without a verdict on the provider (canceled by us): free a half-open trial slot. */
  onAbandon(): void {
    this.trialInFlight = false;
  }

  private open(): void {
    this.current = 'open';
    this.openedAtMs = this.clock.monotonic();
    this.trialInFlight = false;
    this.consecutive = 0;
    this.clearWindow();
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
