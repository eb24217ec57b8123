/**
 * The retry decision: a pure function of (policy, state, failure, now, rng).
 * executeWithRetry is the async loop around it; the budget and the breaker
 * (stateful, per provider) are consulted by that loop, not here.
 */
import type { ProviderFailure } from '../shared/attempt-error.js';
import type { Rng } from '../shared/clock.js';
import type { ErrorClass, RetryHint } from '../shared/outcome-class.js';
import { backoffDelay } from './backoff.js';
import { type RetryPolicy, TERMINAL_CLASSES } from './policy.js';
import { parseRetryHints } from './retry-hints.js';

export interface RetryState {
  /** Attempts made so far, the failed one included (1 after the first try). */
  attempt: number;
  /** The previous retry's strategy delay (before jitter), null before the first retry; `decorrelated` grows from it. */
  prevStrategyDelayMs: number | null;
  /** Time left until the logical request's total deadline, ms. */
  remainingMs: number;
}

export type RetryDecision =
  | {
      action: 'retry';
      /** The wait before the next attempt, ms. */
      delayMs: number;
      /** Which server hint decided the delay (or forced the retry); null = the backoff strategy. */
      hint: RetryHint | null;
      /** Carry into the next RetryState.prevStrategyDelayMs. */
      strategyDelayMs: number;
      reason: string;
    }
  | {
      action: 'give_up';
      reason: string;
      /** Set when giving up is the engine's doing (the deadline), not the failure's own class. */
      errorClass?: ErrorClass;
    };

const HTTP_CLASSES: readonly ErrorClass[] = ['http_429', 'http_5xx', 'http_4xx'];

/**
 * Whether the policy retries this failure on its own (hints aside): for an
 * HTTP class with a status, the status decides; otherwise the class does.
 */
export function isRetryable(
  policy: Pick<RetryPolicy, 'retryableStatuses' | 'retryableClasses'>,
  failure: ProviderFailure,
): boolean {
  if (TERMINAL_CLASSES.includes(failure.errorClass)) return false;
  if (HTTP_CLASSES.includes(failure.errorClass) && failure.status !== null) {
    return policy.retryableStatuses.includes(failure.status);
  }
  return policy.retryableClasses.includes(failure.errorClass);
}

/**
 * Decides what follows a failed attempt. `nowMs` is wall-clock time (it
 * anchors an HTTP-date Retry-After). The rng is drawn for the backoff even
 * when a hint decides the delay, so a seed gives the same draws either way.
 */
export function decide(
  policy: RetryPolicy,
  state: RetryState,
  failure: ProviderFailure,
  nowMs: number,
  rng: Rng,
): RetryDecision {
  const what = describe(failure);
  if (TERMINAL_CLASSES.includes(failure.errorClass)) {
    return { action: 'give_up', reason: `${what} ends the request` };
  }
  const hints = parseRetryHints(failure.headers, nowMs);
  if (hints.shouldRetry === false) {
    return { action: 'give_up', reason: `${what}: server sent x-should-retry: false` };
  }
  const retryable = isRetryable(policy, failure);
  if (!retryable && hints.shouldRetry !== true) {
    return { action: 'give_up', reason: `${what} is not retryable` };
  }
  if (state.attempt >= policy.maxAttempts) {
    return { action: 'give_up', reason: `${what}; maxAttempts (${policy.maxAttempts}) reached` };
  }

  const backoff = backoffDelay(policy, state.attempt, state.prevStrategyDelayMs, rng);
  let delayMs = backoff.delayMs;
  let hint: RetryHint | null = retryable ? null : 'x-should-retry';
  let reason = `${what}; ${retryable ? '' : 'x-should-retry: true; '}${policy.strategy} backoff`;
  if (hints.delayMs !== null && hints.delayHint !== null) {
    hint = hints.delayHint;
    delayMs = hints.delayMs;
    reason = `${what}; server asked for ${formatMs(hints.delayMs)} (${hints.delayHint})`;
    if (hints.delayMs > policy.maxRetryAfterMs) {
      if (policy.retryAfterOverflow === 'fail') {
        return {
          action: 'give_up',
          reason: `${reason}, above maxRetryAfterMs (${formatMs(policy.maxRetryAfterMs)})`,
        };
      }
      delayMs = policy.maxRetryAfterMs;
      reason += `, clamped to maxRetryAfterMs (${formatMs(policy.maxRetryAfterMs)})`;
    }
  }
  // Waiting right up to the deadline would leave no time for the attempt, so
  // a wait that reaches it gives up now instead of shortening the wait.
  if (delayMs >= state.remainingMs) {
    return {
      action: 'give_up',
      errorClass: 'deadline_exceeded',
      reason: `${what}; a wait of ${formatMs(delayMs)} would reach the total deadline (${formatMs(Math.max(0, state.remainingMs))} left)`,
    };
  }
  return { action: 'retry', delayMs, hint, strategyDelayMs: backoff.strategyDelayMs, reason };
}

function describe(failure: ProviderFailure): string {
  return failure.status === null ? failure.errorClass : `${failure.errorClass} (${failure.status})`;
}

function formatMs(ms: number): string {
  return `${Math.round(ms)} ms`;
}
