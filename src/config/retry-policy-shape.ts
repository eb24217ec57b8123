/**
 * The `retry:` block's shape for the JSON Schema. The retry policy validates
 * itself (validateRetryPolicy in src/retry/policy.ts, whose checks are
 * functions); this table says the same in data, and
 * test/config/config-schema.test.ts probes every key with both to hold them
 * to agreement.
 */
import {
  BACKOFF_STRATEGIES,
  DEFAULT_RETRY_POLICY,
  JITTER_MODES,
  MAX_ATTEMPTS_LIMIT,
  MAX_TIMER_MS,
  RETRY_AFTER_OVERFLOW_MODES,
  TERMINAL_CLASSES,
  validateRetryPolicy,
} from '../retry/policy.js';
import type { DelegateNode, NumberNode, ObjectNode } from '../shared/field-schema.js';
import { ERROR_CLASSES } from '../shared/outcome-class.js';

const D = DEFAULT_RETRY_POLICY;

const ms = (description: string, dflt: number, positive: boolean): NumberNode => ({
  type: 'number',
  description: `${description} (ms)`,
  default: dflt,
  ...(positive ? { exclusiveMinimum: 0 } : { minimum: 0 }),
  maximum: MAX_TIMER_MS,
});

const RETRYABLE = ERROR_CLASSES.filter((c) => !TERMINAL_CLASSES.includes(c));

export const RETRY_POLICY_SHAPE: ObjectNode = {
  type: 'object',
  definition: 'retryPolicy',
  description: 'The retry policy; every key optional, durations in ms.',
  fields: {
    strategy: {
      node: {
        type: 'string',
        enum: BACKOFF_STRATEGIES,
        default: D.strategy,
        description: 'How the wait grows',
      },
    },
    jitter: { node: { type: 'string', enum: JITTER_MODES, default: D.jitter, description: 'Randomisation' } },
    jitterRange: {
      node: {
        type: 'array',
        description: 'For `range` jitter: delay x U(lo, hi), 0 <= lo <= hi',
        items: { type: 'number', minimum: 0 },
        minItems: 2,
        maxItems: 2,
        default: D.jitterRange,
      },
    },
    baseDelayMs: { node: ms('First wait', D.baseDelayMs, false) },
    maxDelayMs: { node: ms('Cap on every backoff wait; >= baseDelayMs', D.maxDelayMs, false) },
    maxAttempts: {
      node: {
        type: 'number',
        integer: true,
        minimum: 1,
        maximum: MAX_ATTEMPTS_LIMIT,
        default: D.maxAttempts,
        description: 'Tries, the first included: 1 means no retry',
      },
    },
    maxRetryAfterMs: { node: ms('Longest server hint honoured', D.maxRetryAfterMs, false) },
    retryAfterOverflow: {
      node: {
        type: 'string',
        enum: RETRY_AFTER_OVERFLOW_MODES,
        default: D.retryAfterOverflow,
        description: 'A longer hint: fail, or wait maxRetryAfterMs',
      },
    },
    retryableStatuses: {
      node: {
        type: 'array',
        items: { type: 'number', integer: true, minimum: 100, maximum: 599 },
        default: D.retryableStatuses,
        description: 'HTTP statuses retried',
      },
    },
    retryableClasses: {
      node: {
        type: 'array',
        items: { type: 'string', enum: RETRYABLE },
        default: D.retryableClasses,
        description: 'Outcome classes without a decisive status that are retried',
      },
    },
    attemptTimeoutMs: { node: ms('Per-attempt timeout unless the model sets one', D.attemptTimeoutMs, true) },
    connectTimeoutMs: { node: ms('Connect timeout', D.connectTimeoutMs, true) },
    headersTimeoutMs: { node: ms('Until the response headers', D.headersTimeoutMs, true) },
    bodyTimeoutMs: { node: ms('Longest silence between body chunks', D.bodyTimeoutMs, true) },
    totalDeadlineMs: { node: ms('Over all attempts and waits of one request', D.totalDeadlineMs, true) },
    budget: {
      node: {
        type: 'object',
        description: 'Retry budget (token bucket)',
        fields: {
          enabled: { node: { type: 'boolean', default: D.budget.enabled } },
          ratio: {
            node: { type: 'number', minimum: 0, default: D.budget.ratio, description: 'Retries per request' },
          },
          minRetriesPerSec: { node: { type: 'number', minimum: 0, default: D.budget.minRetriesPerSec } },
          ttlMs: { node: ms('Window requests are counted over', D.budget.ttlMs, true) },
        },
      },
    },
    breaker: {
      node: {
        type: 'object',
        description: 'Circuit breaker',
        fields: {
          enabled: { node: { type: 'boolean', default: D.breaker.enabled } },
          consecutiveFailures: {
            node: { type: 'number', integer: true, minimum: 1, default: D.breaker.consecutiveFailures },
          },
          failureRatio: {
            node: { type: 'number', minimum: 0, maximum: 1, default: D.breaker.failureRatio },
          },
          windowMs: { node: ms('Window for failureRatio', D.breaker.windowMs, true) },
          minRequests: {
            node: { type: 'number', integer: true, minimum: 1, default: D.breaker.minRequests },
          },
          cooldownMs: { node: ms('Open for this long before a trial', D.breaker.cooldownMs, false) },
        },
      },
    },
  },
};

/**
 * A base under which maxDelayMs >= baseDelayMs always holds: a provider's
 * override is merged over the top-level policy, so that rule is checked on
 * the merge (validateConfig), not against the defaults.
 */
const NO_CROSS_CHECK_BASE = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 0, maxDelayMs: MAX_TIMER_MS };

/**
 * The `retry:` node: checked by validateRetryPolicy, described by
 * RETRY_POLICY_SHAPE. `override`: a provider's partial policy (see above).
 */
export function retryPolicyNode(description: string, override = false): DelegateNode {
  return {
    type: 'delegate',
    description,
    nullable: true,
    shape: RETRY_POLICY_SHAPE,
    validate: (value, path) => {
      const result = validateRetryPolicy(value, path, override ? NO_CROSS_CHECK_BASE : DEFAULT_RETRY_POLICY);
      return 'errors' in result ? result.errors : [];
    },
  };
}
