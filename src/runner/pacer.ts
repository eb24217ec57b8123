import type { Clock } from '../shared/clock.js';

/** `none`: start prompts as fast as slots and the rps cap allow; `recorded`: replay the recorded spacing. */
export type PaceMode = 'none' | 'recorded';

export interface PacerOptions {
  /**
   * Most prompts in flight at once, >= 1. Each prompt holds 2 requests (3 when
   * it is also sent to the baseline replica), so the providers see up to
   * 2-3 x this many concurrent requests.
   */
  concurrency: number;
  /**
   * Cap on prompt starts per second; null or 0 = no cap. Each provider therefore
   * receives at most this many new logical requests per second (the replica adds
   * its share to the baseline); retries are not counted.
   */
  rps?: number | null;
  /**
   * Starts allowed back to back before the rps cap spaces them out. Default:
   * 20 ms worth of the rate (at least 1), so a high rps is not lost to the
   * ~1 ms granularity of timers.
   */
  burst?: number;
  /** Default `none`. */
  pace?: PaceMode;
  /** Playback speed for recorded pacing: 2 replays a recorded hour in 30 minutes. Default 1. */
  speed?: number;
}

/**
 * Decides when the next prompt may start: a free concurrency slot, then its
 * recorded moment (scaled by speed), then an rps token (a GCRA token bucket).
 * One dispatcher calls `acquire` in file order; finished prompts call `release`.
 * Every wait is on the injected clock and cancellable.
 */
export class Pacer {
  private readonly concurrency: number;
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly recorded: boolean;
  private readonly speed: number;
  private inFlightCount = 0;
  private slotWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  /** GCRA theoretical arrival time, monotonic ms. */
  private tatMs = Number.NEGATIVE_INFINITY;
  private origin: { recordedMs: number; monoMs: number } | null = null;

  constructor(
    options: PacerOptions,
    private readonly clock: Clock,
  ) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError('concurrency must be an integer >= 1');
    }
    this.concurrency = options.concurrency;
    const rps = options.rps ?? 0;
    if (!(rps >= 0)) throw new RangeError('rps must be >= 0');
    this.intervalMs = rps > 0 ? 1000 / rps : 0;
    const burst = options.burst ?? Math.max(1, Math.round(rps / 50));
    this.toleranceMs = Math.max(0, burst - 1) * this.intervalMs;
    this.recorded = options.pace === 'recorded';
    this.speed = options.speed ?? 1;
    if (!(this.speed > 0)) throw new RangeError('speed must be > 0');
  }

  /** Prompts started and not yet released. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /**
   * Resolves when the next prompt may start and counts it in flight.
   * @param recordedAtMs the prompt's recorded timestamp (epoch ms), or null.
   * Rejects with the signal's reason when aborted (and holds no slot then).
   */
  async acquire(recordedAtMs: number | null, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    while (this.inFlightCount >= this.concurrency) await this.waitForSlot(signal);
    this.inFlightCount++;
    try {
      const waitMs = this.startDelayMs(recordedAtMs);
      if (waitMs > 0) await this.clock.sleep(waitMs, signal);
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** A prompt finished: frees its slot. */
  release(): void {
    this.inFlightCount--;
    const waiter = this.slotWaiters.shift();
    if (waiter) waiter();
    if (this.inFlightCount === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Dispatch was held for `ms` (the breaker pause): recorded pacing shifts its
   * anchor by as much, so the prompts after a pause keep their recorded
   * spacing instead of bursting to catch up.
   */
  delayBy(ms: number): void {
    if (this.origin !== null && ms > 0) this.origin.monoMs += ms;
  }

  /** Resolves when nothing is in flight. */
  idle(): Promise<void> {
    if (this.inFlightCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private startDelayMs(recordedAtMs: number | null): number {
    const nowMs = this.clock.monotonic();
    let startMs = nowMs;
    if (this.recorded && recordedAtMs !== null) {
      // The first timestamped prompt anchors the replay; earlier-recorded ones start at once.
      if (this.origin === null) this.origin = { recordedMs: recordedAtMs, monoMs: nowMs };
      const dueMs = this.origin.monoMs + (recordedAtMs - this.origin.recordedMs) / this.speed;
      if (dueMs > startMs) startMs = dueMs;
    }
    if (this.intervalMs > 0) {
      const earliestMs = this.tatMs - this.toleranceMs;
      if (earliestMs > startMs) startMs = earliestMs;
      this.tatMs = Math.max(this.tatMs, startMs) + this.intervalMs;
    }
    return startMs - nowMs;
  }

  private waitForSlot(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.slotWaiters = this.slotWaiters.filter((w) => w !== wake);
        reject(signal?.reason);
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.slotWaiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
