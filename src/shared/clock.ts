/**
 * Time and randomness come in through these, so tests can step a fake clock
 * and seed the random source.
 */

export interface Clock {
  /** Wall-clock time, ms since the epoch. */
  now(): number;
  /** Monotonic time in ms (fractional), for durations. */
  monotonic(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fn` once after `ms`; the returned function cancels it (a no-op once
   * fired). Cheaper than `sleep` with an AbortSignal on hot paths: no promise,
   * no controller, no listener.
   */
  setTimer(ms: number, fn: () => void): () => void;
}

/** Uniform random number in [0, 1). */
export type Rng = () => number;

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  setTimer: (ms, fn) => {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

/** mulberry32: small, fast, seedable; good enough for jitter and sampling. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A manual clock for tests: time moves only when `advance` is called, and
 * sleeps resolve in deadline order as it passes them.
 */
export class FakeClock implements Clock {
  private t: number;
  private readonly epoch: number;
  private sleepers: { until: number; resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(startMs = 0, epochMs = 1_700_000_000_000) {
    this.t = startMs;
    this.epoch = epochMs;
  }

  now(): number {
    return this.epoch + this.t;
  }

  monotonic(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const sleeper = { until: this.t + Math.max(0, ms), resolve: fn, reject: () => {} };
    this.sleepers.push(sleeper);
    return () => {
      this.sleepers = this.sleepers.filter((s) => s !== sleeper);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      // Like systemClock, leaves no listener behind: the runner reuses signals.
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const sleeper = { until: this.t + Math.max(0, ms), resolve: wake, reject };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Pending sleeps and timers, for tests that step through waits. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  /** Moves time forward, resolving every sleep whose deadline passes. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.until - b.until);
      const next = this.sleepers[0];
      if (!next || next.until > target) break;
      this.sleepers.shift();
      this.t = next.until;
      next.resolve();
      // Let the woken task run before the next sleeper is considered.
      await new Promise<void>((r) => setImmediate(r));
    }
    this.t = target;
  }
}
