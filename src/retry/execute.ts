/**
 * The one retry loop every request to every provider goes through: a thin
 * async shell around the pure `decide`, plus the per-provider budget and
 * breaker, the per-attempt timeout and the total deadline.
 */
import { isAttemptError, type ProviderFailure } from '../shared/attempt-error.js';
import type { Clock, Rng } from '../shared/clock.js';
import type { ErrorClass, RetryHint } from '../shared/outcome-class.js';
import type { RetryBudget } from './budget.js';
import type { BreakerPermit, CircuitBreaker } from './circuit-breaker.js';
import { decide, isRetryable } from './decide.js';
import type { RetryPolicy } from './policy.js';

export interface AttemptContext {
  /** 1-based. */
  attempt: number;
  /** Aborted on attempt timeout, deadline, or caller abort. */
  signal: AbortSignal;
  /** min(attempt timeout, time left to the deadline), ms. */
  timeoutMs: number;
  /** The logical request's total deadline on clock.monotonic(), ms. */
  deadlineMono: number;
}

export interface AttemptEvent {
  attempt: number;
  /** clock.now() when the attempt was sent, ms since the epoch. */
  startedAtMs: number;
  durationMs: number;
  /** The wait that preceded this attempt (0 for the first), ms. */
  delayBeforeMs: number;
  /** Which server hint decided delayBeforeMs (null = backoff). */
  hint: RetryHint | null;
  /** null = success. */
  errorClass: ErrorClass | null;
  status: number | null;
  failure: ProviderFailure | null;
  /**
   * The attempt ignored its aborted signal and the engine moved on without it
   * after ABANDON_GRACE_MS: the provider may still be working on it (and
   * billing it). Its late outcome, if any, goes to `onLateSettle`.
   */
  abandoned: boolean;
}

/** An abandoned attempt settled after the engine moved on without it. */
export type LateSettleEvent<T> =
  | { attempt: number; status: 'fulfilled'; value: T }
  | { attempt: number; status: 'rejected'; reason: unknown };

export interface WaitEvent {
  afterAttempt: number;
  delayMs: number;
  hint: RetryHint | null;
  reason: string;
}

export type RetryResult<T> =
  | { ok: true; value: T; attempts: AttemptEvent[]; latencyMs: number }
  | {
      ok: false;
      /** The logical request's outcome: the last attempt's class, or the engine's (circuit_open, retry_budget_exhausted, deadline_exceeded, canceled). */
      errorClass: ErrorClass;
      /** The last provider failure; synthetic (errorClass = the engine's class, status null) when no attempt failed. */
      failure: ProviderFailure;
      attempts: AttemptEvent[];
      latencyMs: number;
      reason: string;
    };

export interface ExecuteOptions<T = unknown> {
  policy: RetryPolicy;
  clock: Clock;
  rng: Rng;
  /** Aborting ends the request as `canceled`, in flight or during a wait. */
  signal?: AbortSignal;
  /** The provider's retry budget; absent = unlimited. */
  budget?: RetryBudget;
  /** The provider's circuit breaker; absent = always closed. */
  breaker?: CircuitBreaker;
  /** Per-attempt timeout override (per-model), ms. Default policy.attemptTimeoutMs. */
  attemptTimeoutMs?: number;
  /** Called before each attempt; may throw to stop (the runner's USD budget guard). The throw propagates. */
  beforeAttempt?: (attempt: number) => void | Promise<void>;
  /**
   * Fires after each attempt that was sent, with that attempt's own answer
   * (null when it failed): never another attempt's, even when an abandoned
   * one resolves late.
   */
  onAttempt?: (e: AttemptEvent, value: T | null) => void;
  /** An abandoned attempt settled late; without this its outcome is dropped. */
  onLateSettle?: (e: LateSettleEvent<T>) => void;
  /** Fires BEFORE the wait starts, so a fake clock can step through it. */
  onWait?: (e: WaitEvent) => void;
}

/**
 * How long an attempt that ignores its aborted signal is awaited before the
 * engine moves on without it, ms. A client that honours the signal settles
 * well within this, keeping its own, more precise, failure class.
 */
export const ABANDON_GRACE_MS = 1000;

type AttemptOutcome<T> =
  | {
      ok: true;
      value: T;
      /** The answer came after we had aborted the attempt (within the abandon grace). */
      afterAbort: boolean;
    }
  | { ok: false; failure: ProviderFailure; abandoned?: boolean };

/**
 * Runs `fn` until it succeeds or the policy gives up. `fn` rejects with an
 * AttemptError for a failed attempt; any other rejection (not an abort) is a
 * bug and is rethrown. An attempt refused by the breaker is not sent and gets
 * no AttemptEvent; the result lists only attempts that were sent.
 */
export async function executeWithRetry<T>(
  fn: (ctx: AttemptContext) => Promise<T>,
  options: ExecuteOptions<T>,
): Promise<RetryResult<T>> {
  const { policy, clock, rng, signal, budget, breaker } = options;
  const startMono = clock.monotonic();
  const deadlineMono = startMono + policy.totalDeadlineMs;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? policy.attemptTimeoutMs;
  const attempts: AttemptEvent[] = [];
  let lastFailure: ProviderFailure | null = null;

  // Latency runs from the first send to the final outcome: the bookkeeping
  // before an attempt (the budget's reservation) and after it (onAttempt's
  // rows) is the harness's time, not the provider's, and stays out of it.
  let firstSendMono: number | null = null;
  const latencySince = (endMono: number) => endMono - (firstSendMono ?? startMono);
  const giveUp = (errorClass: ErrorClass, reason: string, endMono = clock.monotonic()): RetryResult<T> => ({
    ok: false,
    errorClass,
    failure: lastFailure ?? { errorClass, status: null, headers: {}, message: reason },
    attempts,
    latencyMs: latencySince(endMono),
    reason,
  });

  budget?.recordRequest();
  let delayBeforeMs = 0;
  let hintBefore: RetryHint | null = null;
  let prevStrategyDelayMs: number | null = null;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) return giveUp('canceled', 'canceled by the caller');
    const remainingMs = deadlineMono - clock.monotonic();
    if (remainingMs <= 0) {
      return giveUp('deadline_exceeded', `total deadline (${policy.totalDeadlineMs} ms) passed`);
    }
    await options.beforeAttempt?.(attempt);
    if (signal?.aborted) return giveUp('canceled', 'canceled by the caller');
    const permit = breaker?.tryPass() ?? null;
    if (breaker && !permit) {
      return giveUp('circuit_open', `circuit breaker open; attempt ${attempt} not sent`);
    }

    const timeoutMs = Math.min(attemptTimeoutMs, deadlineMono - clock.monotonic());
    const deadlineBound = timeoutMs < attemptTimeoutMs;
    const startedAtMs = clock.now();
    const attemptStartMono = clock.monotonic();
    firstSendMono ??= attemptStartMono;
    let outcome: AttemptOutcome<T>;
    try {
      outcome = await runAttempt(fn, {
        attempt,
        timeoutMs,
        deadlineMono,
        deadlineBound,
        clock,
        signal,
        onLateSettle: options.onLateSettle,
      });
    } catch (bug) {
      if (permit) breaker?.onAbandon(permit);
      throw bug;
    }
    const attemptEndMono = clock.monotonic();
    const failure = outcome.ok ? null : outcome.failure;
    const event: AttemptEvent = {
      attempt,
      startedAtMs,
      durationMs: attemptEndMono - attemptStartMono,
      delayBeforeMs,
      hint: hintBefore,
      errorClass: failure?.errorClass ?? null,
      status: failure?.status ?? null,
      failure,
      abandoned: !outcome.ok && outcome.abandoned === true,
    };
    attempts.push(event);
    if (breaker && permit) reportToBreaker(breaker, permit, policy, outcome);
    options.onAttempt?.(event, outcome.ok ? outcome.value : null);

    if (outcome.ok)
      return { ok: true, value: outcome.value, attempts, latencyMs: latencySince(attemptEndMono) };
    lastFailure = outcome.failure;
    if (outcome.failure.errorClass === 'canceled')
      return giveUp('canceled', 'canceled by the caller in flight', attemptEndMono);

    const decision = decide(
      policy,
      { attempt, prevStrategyDelayMs, remainingMs: deadlineMono - clock.monotonic() },
      outcome.failure,
      clock.now(),
      rng,
    );
    if (decision.action === 'give_up')
      return giveUp(decision.errorClass ?? outcome.failure.errorClass, decision.reason, attemptEndMono);
    if (budget && !budget.tryAcquireRetry()) {
      return giveUp(
        'retry_budget_exhausted',
        `${decision.reason}; retry denied: the provider's retry budget is spent`,
        attemptEndMono,
      );
    }
    options.onWait?.({
      afterAttempt: attempt,
      delayMs: decision.delayMs,
      hint: decision.hint,
      reason: decision.reason,
    });
    try {
      await clock.sleep(decision.delayMs, signal);
    } catch (err) {
      if (signal?.aborted) return giveUp('canceled', 'canceled by the caller during a wait');
      throw err;
    }
    delayBeforeMs = decision.delayMs;
    hintBefore = decision.hint;
    prevStrategyDelayMs = decision.strategyDelayMs;
  }
}

/**
 * The breaker hears about the provider's health only: a non-retryable 4xx
 * means the provider answered (our request was at fault), and an attempt we
 * cut short ourselves says nothing either way, even if its answer arrived
 * during the abandon grace: an abandoned half-open trial is no success.
 */
function reportToBreaker<T>(
  breaker: CircuitBreaker,
  permit: BreakerPermit,
  policy: RetryPolicy,
  outcome: AttemptOutcome<T>,
): void {
  if (outcome.ok) {
    if (outcome.afterAbort) breaker.onAbandon(permit);
    else breaker.onSuccess(permit);
    return;
  }
  const { failure } = outcome;
  if (failure.errorClass === 'canceled' || failure.errorClass === 'deadline_exceeded')
    breaker.onAbandon(permit);
  else if (failure.errorClass === 'http_4xx' && !isRetryable(policy, failure)) breaker.onSuccess(permit);
  else breaker.onFailure(permit);
}

interface AttemptSetup<T> {
  attempt: number;
  timeoutMs: number;
  deadlineMono: number;
  /** The deadline, not the attempt timeout, limits this attempt: its timeout is `deadline_exceeded`. */
  deadlineBound: boolean;
  clock: Clock;
  signal: AbortSignal | undefined;
  onLateSettle: ((e: LateSettleEvent<T>) => void) | undefined;
}

async function runAttempt<T>(
  fn: (ctx: AttemptContext) => Promise<T>,
  setup: AttemptSetup<T>,
): Promise<AttemptOutcome<T>> {
  const { attempt, timeoutMs, clock, signal } = setup;
  const controller = new AbortController();
  let timedOut = false;
  // Every abort of this attempt goes through here, so the abandon-grace timer
  // starts without a listener on our own controller's signal.
  let onAborted: (() => void) | null = null;
  const abortAttempt = (reason: unknown): void => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    onAborted?.();
  };
  const onCallerAbort = () => abortAttempt(signal?.reason);
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  // One cancellable timer, not a controller plus a sleep: this runs once per attempt on the replay's hot path.
  const cancelTimer = clock.setTimer(timeoutMs, () => {
    timedOut = true;
    abortAttempt(
      new DOMException(`attempt ${attempt} timed out after ${Math.round(timeoutMs)} ms`, 'TimeoutError'),
    );
  });
  try {
    const ctx: AttemptContext = {
      attempt,
      signal: controller.signal,
      timeoutMs,
      deadlineMono: setup.deadlineMono,
    };
    const settled = await settle(
      () => fn(ctx),
      (startGrace) => {
        onAborted = startGrace;
      },
      clock,
      setup.onLateSettle &&
        ((late) => {
          setup.onLateSettle?.(
            late.status === 'fulfilled'
              ? { attempt, status: 'fulfilled', value: late.value }
              : { attempt, status: 'rejected', reason: late.reason },
          );
        }),
    );
    if (settled.status === 'fulfilled')
      return { ok: true, value: settled.value, afterAbort: controller.signal.aborted };
    const abandoned = settled.status === 'abandoned';
    const reason = settled.status === 'rejected' ? settled.reason : undefined;
    const own = isAttemptError(reason) ? reason.failure : null;
    if (signal?.aborted || (!timedOut && (own?.errorClass === 'canceled' || isAbortError(reason)))) {
      return {
        ok: false,
        failure: { ...(own ?? blankFailure('canceled by the caller')), errorClass: 'canceled' },
        abandoned,
      };
    }
    // A client that honours the signal reports our timeout as `canceled`: it was ours, so name it.
    if (timedOut && (own === null || own.errorClass === 'canceled')) {
      const errorClass = setup.deadlineBound ? 'deadline_exceeded' : 'timeout_total';
      const message = setup.deadlineBound
        ? `attempt ${attempt} cut at the total deadline after ${Math.round(timeoutMs)} ms`
        : `attempt ${attempt} timed out after ${Math.round(timeoutMs)} ms`;
      return { ok: false, failure: { ...(own ?? blankFailure(message)), errorClass, message }, abandoned };
    }
    if (own) return { ok: false, failure: own };
    throw reason;
  } finally {
    cancelTimer();
    signal?.removeEventListener('abort', onCallerAbort);
  }
}

type Settled<T> =
  | { status: 'fulfilled'; value: T }
  | { status: 'rejected'; reason: unknown }
  | { status: 'abandoned' };

/**
 * Awaits the attempt, but once it is aborted, no longer than ABANDON_GRACE_MS.
 * `onAbort` receives the function the attempt's abort must call to start that
 * grace period (a direct call, not a listener on the signal: cheaper per attempt).
 * An attempt that settles after it was abandoned goes to `onLate`.
 */
function settle<T>(
  start: () => Promise<T>,
  onAbort: (startGrace: () => void) => void,
  clock: Clock,
  onLate?: (late: Exclude<Settled<T>, { status: 'abandoned' }>) => void,
): Promise<Settled<T>> {
  return new Promise((resolve) => {
    // Armed only when the attempt is aborted: the common path creates no timer here.
    let cancelGrace: (() => void) | null = null;
    let done = false;
    let abandoned = false;
    const finish = (s: Settled<T>) => {
      if (done) {
        if (abandoned && s.status !== 'abandoned') onLate?.(s);
        return;
      }
      done = true;
      abandoned = s.status === 'abandoned';
      cancelGrace?.();
      resolve(s);
    };
    onAbort(() => {
      if (done || cancelGrace) return;
      cancelGrace = clock.setTimer(ABANDON_GRACE_MS, () => finish({ status: 'abandoned' }));
    });
    let promise: Promise<T>;
    try {
      promise = start();
    } catch (err) {
      promise = Promise.reject(err);
    }
    promise.then(
      (value) => finish({ status: 'fulfilled', value }),
      (reason) => finish({ status: 'rejected', reason }),
    );
  });
}

function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

function blankFailure(message: string): ProviderFailure {
  return { errorClass: 'canceled', status: null, headers: {}, message };
}
