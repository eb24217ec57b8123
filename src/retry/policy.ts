import { ERROR_CLASSES, type ErrorClass } from '../shared/outcome-class.js';

export const BACKOFF_STRATEGIES = [
  'constant',
  'linear',
  'exponential',
  'exponential-capped',
  'decorrelated',
] as const;
export type BackoffStrategy = (typeof BACKOFF_STRATEGIES)[number];

export const JITTER_MODES = ['none', 'full', 'equal', 'range'] as const;
export type JitterMode = (typeof JITTER_MODES)[number];

export const RETRY_AFTER_OVERFLOW_MODES = ['fail', 'clamp'] as const;

/**
 * The retry policy. Every duration is in ms. Defaults live in
 * DEFAULT_RETRY_POLICY (written out as data so the README can quote them).
 */
export interface RetryPolicy {
  /** How the wait before a retry grows. Default `exponential-capped`. */
  strategy: BackoffStrategy;
  /** Randomisation applied to the strategy's delay. Default `full`. */
  jitter: JitterMode;
  /** For `range` jitter: delay x U(lo, hi). Default [0.5, 1.5]. */
  jitterRange: [number, number];
  /** Default 1000. */
  baseDelayMs: number;
  /** Every backoff delay is clamped to this (server hints are not: see maxRetryAfterMs). Default 30000. */
  maxDelayMs: number;
  /** Counts every try, the first included: 1 means no retry. Default 5, at most 100. */
  maxAttempts: number;
  /** A server hint above this is handled per `retryAfterOverflow`. Default 60000. */
  maxRetryAfterMs: number;
  /** `fail`: give up on an over-long hint; `clamp`: wait maxRetryAfterMs instead. Default `fail`. */
  retryAfterOverflow: 'fail' | 'clamp';
  /** HTTP statuses that are retried (decides for `http_*` classes). Default DEFAULT_RETRYABLE_STATUSES. */
  retryableStatuses: number[];
  /** Non-HTTP outcome classes that are retried. Default DEFAULT_RETRYABLE_CLASSES. */
  retryableClasses: ErrorClass[];
  /** Per-attempt timeout, unless the model overrides it. Default 120000. */
  attemptTimeoutMs: number;
  /** Default 10000. */
  connectTimeoutMs: number;
  /** Until the response headers arrive; without streaming that is after the whole generation. Default 120000. */
  headersTimeoutMs: number;
  /** Longest silence between body chunks. Default 30000. */
  bodyTimeoutMs: number;
  /** Over all attempts and waits of one logical request. Default 600000. */
  totalDeadlineMs: number;
  budget: RetryBudgetPolicy;
  breaker: CircuitBreakerPolicy;
}

/** Token-bucket retry throttling, as in Finagle and gRPC. */
export interface RetryBudgetPolicy {
  /** Default true. */
  enabled: boolean;
  /** Retries may add at most this fraction of requests. Default 0.2. */
  ratio: number;
  /** Retries always allowed per second regardless of ratio. Default 10. */
  minRetriesPerSec: number;
  /** Window over which requests are counted, ms. Default 10000. */
  ttlMs: number;
}

export interface CircuitBreakerPolicy {
  /** Default true. */
  enabled: boolean;
  /** Open after this many consecutive failures. Default 10. */
  consecutiveFailures: number;
  /** Or when the failure ratio over the window reaches this (0 turns it off). Default 0.5. */
  failureRatio: number;
  /** Window for failureRatio, ms. Default 30000. */
  windowMs: number;
  /** Minimum attempts in the window before failureRatio can open the breaker. Default 20. */
  minRequests: number;
  /** How long the breaker stays open before it lets a trial through, ms. Default 10000. */
  cooldownMs: number;
}

/** Statuses worth another try: timeouts, conflicts, rate limits, overload and gateway errors. */
export const DEFAULT_RETRYABLE_STATUSES: readonly number[] = [408, 409, 429, 500, 502, 503, 504, 529];

/**
 * Failures without a decisive HTTP status that are retried by default. A stream
 * cut mid-way is a lost connection, so it sits with the network errors;
 * `protocol` is not here because a malformed answer tends to repeat.
 */
export const DEFAULT_RETRYABLE_CLASSES: readonly ErrorClass[] = [
  'network',
  'timeout_connect',
  'timeout_headers',
  'timeout_body',
  'timeout_total',
  'stream_interrupted',
];

/** Classes the engine itself assigns to a logical request; never retried, so never configurable as retryable. */
export const TERMINAL_CLASSES: readonly ErrorClass[] = [
  'circuit_open',
  'retry_budget_exhausted',
  'deadline_exceeded',
  'canceled',
];

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  strategy: 'exponential-capped',
  jitter: 'full',
  jitterRange: [0.5, 1.5],
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxAttempts: 5,
  maxRetryAfterMs: 60_000,
  retryAfterOverflow: 'fail',
  retryableStatuses: [...DEFAULT_RETRYABLE_STATUSES],
  retryableClasses: [...DEFAULT_RETRYABLE_CLASSES],
  attemptTimeoutMs: 120_000,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 120_000,
  bodyTimeoutMs: 30_000,
  totalDeadlineMs: 600_000,
  budget: {
    enabled: true,
    ratio: 0.2,
    minRetriesPerSec: 10,
    ttlMs: 10_000,
  },
  breaker: {
    enabled: true,
    consecutiveFailures: 10,
    failureRatio: 0.5,
    windowMs: 30_000,
    minRequests: 20,
    cooldownMs: 10_000,
  },
};

/** Per-attempt timeout for a model: the model's override, else policy.attemptTimeoutMs. */
export function attemptTimeoutForModel(policy: RetryPolicy, model?: { timeoutMs?: number } | null): number {
  return model?.timeoutMs ?? policy.attemptTimeoutMs;
}

/** Upper bound on maxAttempts: beyond it a policy is a retry storm by design. */
export const MAX_ATTEMPTS_LIMIT = 100;

type Check = (value: unknown) => string | null;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const integerAtLeast =
  (min: number, max = Number.POSITIVE_INFINITY): Check =>
  (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) return `must be an integer >= ${min}`;
    return v > max ? `must be an integer <= ${max}` : null;
  };

const numberAtLeast =
  (min: number, exclusive = false): Check =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && (exclusive ? v > min : v >= min)
      ? null
      : `must be a number ${exclusive ? '>' : '>='} ${min}`;

/**
 * Node's setTimeout stores its delay in a signed 32-bit integer: anything
 * above 2^31-1 ms (about 24.8 days) fires after 1 ms instead, so a huge
 * timeout would time every attempt out at once. Every ms setting is capped here.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration in ms: a number above (or from) `min`, at most MAX_TIMER_MS. */
const durationMs =
  (min: number, exclusive = false): Check =>
  (v) => {
    const problem = numberAtLeast(min, exclusive)(v);
    if (problem) return problem;
    return (v as number) > MAX_TIMER_MS
      ? `must be at most ${MAX_TIMER_MS} ms (Node timers fire at once above it)`
      : null;
  };

const numberBetween =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max
      ? null
      : `must be a number from ${min} to ${max}`;

const oneOf =
  (choices: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && choices.includes(v) ? null : `must be one of ${choices.join(', ')}`;

const boolean: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');

const jitterRange: Check = (v) =>
  Array.isArray(v) &&
  v.length === 2 &&
  v.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0) &&
  v[0] <= v[1]
    ? null
    : 'must be [lo, hi] with 0 <= lo <= hi';

const statusList: Check = (v) =>
  Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 100 && x <= 599)
    ? null
    : 'must be a list of HTTP statuses (integers 100-599)';

const RETRYABLE_CLASS_CHOICES = ERROR_CLASSES.filter((c) => !TERMINAL_CLASSES.includes(c));
const classList: Check = (v) =>
  Array.isArray(v) &&
  v.every((x) => typeof x === 'string' && RETRYABLE_CLASS_CHOICES.includes(x as ErrorClass))
    ? null
    : `must be a list of outcome classes from ${RETRYABLE_CLASS_CHOICES.join(', ')}`;

const POLICY_CHECKS: Record<Exclude<keyof RetryPolicy, 'budget' | 'breaker'>, Check> = {
  strategy: oneOf(BACKOFF_STRATEGIES),
  jitter: oneOf(JITTER_MODES),
  jitterRange,
  baseDelayMs: durationMs(0),
  maxDelayMs: durationMs(0),
  maxAttempts: integerAtLeast(1, MAX_ATTEMPTS_LIMIT),
  maxRetryAfterMs: durationMs(0),
  retryAfterOverflow: oneOf(RETRY_AFTER_OVERFLOW_MODES),
  retryableStatuses: statusList,
  retryableClasses: classList,
  attemptTimeoutMs: durationMs(0, true),
  connectTimeoutMs: durationMs(0, true),
  headersTimeoutMs: durationMs(0, true),
  bodyTimeoutMs: durationMs(0, true),
  totalDeadlineMs: durationMs(0, true),
};

const BUDGET_CHECKS: Record<keyof RetryBudgetPolicy, Check> = {
  enabled: boolean,
  ratio: numberAtLeast(0),
  minRetriesPerSec: numberAtLeast(0),
  ttlMs: durationMs(0, true),
};

const BREAKER_CHECKS: Record<keyof CircuitBreakerPolicy, Check> = {
  enabled: boolean,
  consecutiveFailures: integerAtLeast(1),
  failureRatio: numberBetween(0, 1),
  windowMs: durationMs(0, true),
  minRequests: integerAtLeast(1),
  cooldownMs: durationMs(0),
};

/** Checks each key of `input` against `checks`; unknown keys are errors (a typo must not be ignored silently). */
function mergeChecked<T extends object>(
  input: Record<string, unknown>,
  base: T,
  checks: Record<string, Check>,
  path: string,
  errors: string[],
  nested: Record<string, (value: unknown, path: string) => unknown> = {},
): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(input)) {
    const keyPath = `${path}.${key}`;
    const nest = nested[key];
    if (nest) {
      out[key] = nest(value, keyPath);
      continue;
    }
    const check = checks[key];
    if (!check) {
      errors.push(`${keyPath}: unknown key`);
      continue;
    }
    const problem = check(value);
    if (problem) errors.push(`${keyPath}: ${problem}`);
    else out[key] = Array.isArray(value) ? [...value] : value;
  }
  return out as T;
}

/**
 * Merges a partial (from config YAML) over defaults and validates; collects
 * every error as `path.key: problem`. `base` is what the partial overrides:
 * the defaults for the top-level `retry:`, the merged top-level policy for a
 * provider's own `retry:`.
 */
export function validateRetryPolicy(
  input: unknown,
  path = 'retry',
  base: RetryPolicy = DEFAULT_RETRY_POLICY,
): { value: RetryPolicy } | { errors: string[] } {
  if (input === undefined || input === null) return { value: clonePolicy(base) };
  if (!isPlainObject(input)) return { errors: [`${path}: must be a mapping`] };
  const errors: string[] = [];
  const section =
    <S extends object>(sectionBase: S, checks: Record<string, Check>) =>
    (value: unknown, sectionPath: string): S => {
      if (!isPlainObject(value)) {
        errors.push(`${sectionPath}: must be a mapping`);
        return { ...sectionBase };
      }
      return mergeChecked(value, sectionBase, checks, sectionPath, errors);
    };
  const value = mergeChecked(input, clonePolicy(base), POLICY_CHECKS, path, errors, {
    budget: section(base.budget, BUDGET_CHECKS),
    breaker: section(base.breaker, BREAKER_CHECKS),
  });
  if (errors.length === 0 && value.maxDelayMs < value.baseDelayMs) {
    errors.push(`${path}.maxDelayMs: must be >= baseDelayMs (${value.baseDelayMs})`);
  }
  return errors.length > 0 ? { errors } : { value };
}

function clonePolicy(p: RetryPolicy): RetryPolicy {
  return {
    ...p,
    jitterRange: [p.jitterRange[0], p.jitterRange[1]],
    retryableStatuses: [...p.retryableStatuses],
    retryableClasses: [...p.retryableClasses],
    budget: { ...p.budget },
    breaker: { ...p.breaker },
  };
}
