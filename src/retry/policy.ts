import type { ErrorClass } from '../shared/outcome-class.js';

export type BackoffStrategy = 'constant' | 'linear' | 'exponential' | 'exponential-capped' | 'decorrelated';
export type JitterMode = 'none' | 'full' | 'equal' | 'range';

/**
 * The retry policy. Every duration is in ms. Defaults live in
 * DEFAULT_RETRY_POLICY (written out as data so the README can quote them).
 */
export interface RetryPolicy {
  strategy: BackoffStrategy;
  jitter: JitterMode;
  /** For `range` jitter: delay x U(lo, hi). Default [0.5, 1.5]. */
  jitterRange: [number, number];
  baseDelayMs: number;
  /** Every delay is clamped to this. */
  maxDelayMs: number;
  /** Counts every try, the first included: 1 means no retry. */
  maxAttempts: number;
  /** A server hint above this is handled per `retryAfterOverflow`. */
  maxRetryAfterMs: number;
  retryAfterOverflow: 'fail' | 'clamp';
  retryableStatuses: number[];
  retryableClasses: ErrorClass[];
  /** Per-attempt timeout, unless the model overrides it. */
  attemptTimeoutMs: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  /** Longest silence between body chunks. */
  bodyTimeoutMs: number;
  /** Over all attempts and waits of one logical request. */
  totalDeadlineMs: number;
  budget: RetryBudgetPolicy;
  breaker: CircuitBreakerPolicy;
}

/** Token-bucket retry throttling, as in Finagle and gRPC. */
export interface RetryBudgetPolicy {
  enabled: boolean;
  /** Retries may add at most this fraction of requests. Default 0.2. */
  ratio: number;
  /** Retries always allowed per second regardless of ratio. Default 10. */
  minRetriesPerSec: number;
  /** Window over which requests are counted, ms. Default 10000. */
  ttlMs: number;
}

export interface CircuitBreakerPolicy {
  enabled: boolean;
  /** Open after this many consecutive failures. */
  consecutiveFailures: number;
  /** Or when the failure ratio over the window reaches this (0 turns it off). */
  failureRatio: number;
  /** Window for failureRatio, ms. */
  windowMs: number;
  /** Minimum requests in the window before failureRatio can open the breaker. */
  minRequests: number;
  /** How long the breaker stays open before it lets a trial through, ms. */
  cooldownMs: number;
}
