/**
 * Interrupt plumbing of one run session: the first Ctrl-C (or SIGTERM) stops
 * dispatch and lets in-flight prompts finish for the grace period, the second
 * aborts them at once; a fatal error does both. Each prompt in flight gets its
 * own AbortSignal, aborted from one listener on the run's.
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from '../shared/clock.js';
import { InterruptedError } from '../shared/errors.js';
import type { Pacer } from './pacer.js';

export class RunInterrupts {
  /** Aborted to stop starting prompts (interrupt, budget, fatal error). */
  readonly stopDispatch = new AbortController();
  /** Aborted to cut attempts in flight (after the grace, a second interrupt, a fatal error). */
  readonly abortInFlight = new AbortController();
  /** An interrupt arrived: the run ends `interrupted`. */
  interrupted = false;
  // An EventTarget walks its whole listener list on every add and remove, so
  // one listener per attempt on abortInFlight cost O(concurrency) per attempt:
  // each prompt gets its own controller instead, aborted from one listener.
  private readonly promptControllers = new Set<AbortController>();
  // A finished prompt's controller was never aborted and has no listeners left
  // (the engine removes its own), so the next prompt reuses it: creating an
  // AbortSignal is one of the costlier things done per prompt.
  private readonly idleControllers: AbortController[] = [];
  private readonly onSoft = () => {
    this.interrupted = true;
    this.stopDispatch.abort(new InterruptedError());
  };
  private readonly onHard = () => {
    this.interrupted = true;
    this.stopDispatch.abort(new InterruptedError());
    this.abortInFlight.abort(new InterruptedError('interrupted twice'));
  };

  /** `soft`: stop dispatch, grace for in-flight prompts; `hard`: abort them now. */
  constructor(
    private readonly soft: AbortSignal | undefined,
    private readonly hard: AbortSignal | undefined,
  ) {
    setMaxListeners(0, this.abortInFlight.signal, this.stopDispatch.signal);
    this.abortInFlight.signal.addEventListener(
      'abort',
      () => {
        for (const c of this.promptControllers) c.abort(this.abortInFlight.signal.reason);
      },
      { once: true },
    );
    soft?.addEventListener('abort', this.onSoft, { once: true });
    hard?.addEventListener('abort', this.onHard, { once: true });
    if (soft?.aborted) this.onSoft();
    if (hard?.aborted) this.onHard();
  }

  get dispatchStopped(): boolean {
    return this.stopDispatch.signal.aborted;
  }

  /** A fatal error: stop dispatch and abort everything in flight. */
  abortAll(err: unknown): void {
    this.stopDispatch.abort(err);
    this.abortInFlight.abort(err);
  }

  /** The controller of one prompt about to start; aborted when the run aborts its in-flight work. */
  acquirePromptController(): AbortController {
    const controller = this.idleControllers.pop() ?? new AbortController();
    if (this.abortInFlight.signal.aborted) controller.abort(this.abortInFlight.signal.reason);
    else this.promptControllers.add(controller);
    return controller;
  }

  /**
   * The prompt finished. Only on success: after a throw (fatal) a sibling arm
   * may still be in flight, and the run's abort must still reach it.
   */
  releasePromptController(controller: AbortController): void {
    this.promptControllers.delete(controller);
    if (!controller.signal.aborted) this.idleControllers.push(controller);
  }

  /** After an interrupt: waits up to `graceMs` for in-flight prompts, then aborts the rest. */
  async graceThenAbort(pacer: Pacer, graceMs: number, clock: Clock): Promise<void> {
    if (!this.interrupted || pacer.inFlight === 0 || this.abortInFlight.signal.aborted) return;
    const graceOver = new AbortController();
    const waited = clock.sleep(graceMs, graceOver.signal).catch(() => {});
    await Promise.race([pacer.idle(), waited, abortedPromise(this.abortInFlight.signal)]);
    graceOver.abort();
    this.abortInFlight.abort(new InterruptedError());
  }

  /** Stops listening to the caller's signals. */
  dispose(): void {
    this.soft?.removeEventListener('abort', this.onSoft);
    this.hard?.removeEventListener('abort', this.onHard);
  }
}

function abortedPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
