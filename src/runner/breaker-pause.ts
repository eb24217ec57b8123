/**
 * The shadow replay's pause on an open circuit breaker. A prompt dispatched
 * while a provider's breaker is open would only be refused (`circuit_open`)
 * and lose its evidence, so the dispatcher waits here before each prompt:
 * while any arm's breaker is open (both arms wait, so a pair stays
 * simultaneous), until the cooldown ends; when a breaker is half-open, one
 * prompt at a time goes as the probe whose attempt becomes the trial, and the
 * next waits for the trial's outcome (closed: dispatch goes on at full
 * concurrency; failed: another cooldown).
 */
import type { CircuitBreaker } from '../retry/circuit-breaker.js';
import type { Clock } from '../shared/clock.js';

/** `go`: dispatch as usual; `probe`: dispatch this one prompt and report it with `probing`; `stopped`: the signal ended the wait. */
export type PauseGate = 'go' | 'probe' | 'stopped';

export class BreakerPause {
  private pausedTotalMs = 0;
  private probeInFlight = false;
  private wake: (() => void) | null = null;
  private readonly unsubscribe: (() => void)[];

  /**
   * @param onPaused called with each pause's length, ms, when it ends.
   */
  constructor(
    private readonly breakers: readonly CircuitBreaker[],
    private readonly clock: Clock,
    private readonly onPaused: (ms: number) => void = () => {},
  ) {
    const poke = () => this.wake?.();
    this.unsubscribe = [...new Set(breakers)].map((b) => b.subscribe(poke));
  }

  /** Time this session spent paused, ms. */
  get pausedMs(): number {
    return this.pausedTotalMs;
  }

  /**
   * Resolves when the next prompt may be dispatched. Waits on the injected
   * clock and on breaker events; `signal` (stop dispatch: Ctrl-C, budget, a
   * fatal error) ends the wait at once with `stopped`.
   */
  async clear(signal: AbortSignal): Promise<PauseGate> {
    let pausedAtMs: number | null = null;
    try {
      for (;;) {
        if (signal.aborted) return 'stopped';
        let halfOpen = false;
        let waitUntilMs: number | null = null;
        let blocked = false;
        for (const b of this.breakers) {
          const until = b.refusesUntilMs();
          if (until === null) {
            if (b.state === 'half_open') halfOpen = true;
            continue;
          }
          blocked = true;
          if (Number.isFinite(until) && (waitUntilMs === null || until < waitUntilMs)) waitUntilMs = until;
        }
        if (!blocked && !(halfOpen && this.probeInFlight)) return halfOpen ? 'probe' : 'go';
        pausedAtMs ??= this.clock.monotonic();
        await this.waitForChange(waitUntilMs, signal);
      }
    } finally {
      if (pausedAtMs !== null) {
        // Whole milliseconds, as runs.paused_ms holds them.
        const ms = Math.round(this.clock.monotonic() - pausedAtMs);
        this.pausedTotalMs += ms;
        this.onPaused(ms);
      }
    }
  }

  /** The prompt dispatched on `probe`: until it settles, no other prompt goes while a breaker is half-open. */
  probing(prompt: Promise<unknown>): void {
    this.probeInFlight = true;
    const settled = () => {
      this.probeInFlight = false;
      this.wake?.();
    };
    prompt.then(settled, settled);
  }

  /** Stops listening to the breakers and ends any wait. */
  dispose(): void {
    for (const u of this.unsubscribe) u();
    this.wake?.();
  }

  /** Until a breaker event, the probe settling, `untilMs` (monotonic) passing, or the signal. */
  private waitForChange(untilMs: number | null, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let cancelTimer = () => {};
      const done = () => {
        cancelTimer();
        signal.removeEventListener('abort', done);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
      if (untilMs !== null)
        cancelTimer = this.clock.setTimer(Math.max(0, untilMs - this.clock.monotonic()), done);
    });
  }
}
