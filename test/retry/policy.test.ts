import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  attemptTimeoutForModel,
  DEFAULT_RETRY_POLICY,
  DEFAULT_RETRYABLE_STATUSES,
  validateRetryPolicy,
} from '../../src/retry/policy.js';

function errorsOf(input: unknown, path?: string): string[] {
  const r = validateRetryPolicy(input, path);
  assert.ok('errors' in r, 'expected errors');
  return r.errors;
}

describe('validateRetryPolicy', () => {
  it('gives the defaults for an absent block', () => {
    const r = validateRetryPolicy(undefined);
    assert.ok('value' in r);
    assert.deepEqual(r.value, DEFAULT_RETRY_POLICY);
    assert.notEqual(r.value.budget, DEFAULT_RETRY_POLICY.budget, 'a copy, not the shared default');
  });

  it('merges a partial over the defaults, nested sections key by key', () => {
    const r = validateRetryPolicy({ strategy: 'linear', maxAttempts: 3, budget: { ratio: 0.5 } });
    assert.ok('value' in r);
    assert.equal(r.value.strategy, 'linear');
    assert.equal(r.value.maxAttempts, 3);
    assert.equal(r.value.budget.ratio, 0.5);
    assert.equal(r.value.budget.ttlMs, DEFAULT_RETRY_POLICY.budget.ttlMs);
    assert.equal(r.value.jitter, DEFAULT_RETRY_POLICY.jitter);
  });

  it('merges over a given base (a provider override over the top-level policy)', () => {
    const top = validateRetryPolicy({ maxAttempts: 7, jitter: 'none' });
    assert.ok('value' in top);
    const provider = validateRetryPolicy({ jitter: 'equal' }, 'providers.candidate.retry', top.value);
    assert.ok('value' in provider);
    assert.equal(provider.value.maxAttempts, 7);
    assert.equal(provider.value.jitter, 'equal');
  });

  it('collects every error with its path, not just the first', () => {
    const errors = errorsOf({
      maxAttempts: 0,
      strategy: 'fibonacci',
      jitterRange: [1.5, 0.5],
      retryableStatuses: [429, 'x'],
      retryableClasses: ['network', 'canceled'],
      budget: { ratio: -1, colour: 'red' },
      breaker: 'on',
      maxRetrys: 3,
    });
    assert.deepEqual(errors.sort(), [
      'retry.breaker: must be a mapping',
      'retry.budget.colour: unknown key',
      'retry.budget.ratio: must be a number >= 0',
      'retry.jitterRange: must be [lo, hi] with 0 <= lo <= hi',
      'retry.maxAttempts: must be an integer >= 1',
      'retry.maxRetrys: unknown key',
      'retry.retryableClasses: must be a list of outcome classes from http_429, http_5xx, http_4xx, timeout_connect, timeout_headers, timeout_body, timeout_total, network, protocol, stream_interrupted',
      'retry.retryableStatuses: must be a list of HTTP statuses (integers 100-599)',
      'retry.strategy: must be one of constant, linear, exponential, exponential-capped, decorrelated',
    ]);
  });

  it('uses the given path in messages', () => {
    assert.deepEqual(errorsOf({ maxAttempts: 2.5 }, 'providers.baseline.retry'), [
      'providers.baseline.retry.maxAttempts: must be an integer >= 1',
    ]);
  });

  it('rejects non-mappings, non-finite numbers and too many attempts', () => {
    assert.deepEqual(errorsOf([1, 2]), ['retry: must be a mapping']);
    assert.deepEqual(errorsOf({ baseDelayMs: Number.NaN, totalDeadlineMs: 0, maxAttempts: 1000 }).sort(), [
      'retry.baseDelayMs: must be a number >= 0',
      'retry.maxAttempts: must be an integer <= 100',
      'retry.totalDeadlineMs: must be a number > 0',
    ]);
  });

  it('checks maxDelayMs against baseDelayMs', () => {
    assert.deepEqual(errorsOf({ baseDelayMs: 5000, maxDelayMs: 1000 }), [
      'retry.maxDelayMs: must be >= baseDelayMs (5000)',
    ]);
  });

  it('checks the breaker ratio range', () => {
    assert.deepEqual(errorsOf({ breaker: { failureRatio: 1.5 } }), [
      'retry.breaker.failureRatio: must be a number from 0 to 1',
    ]);
  });
});

describe('defaults', () => {
  it('retries the documented statuses', () => {
    assert.deepEqual([...DEFAULT_RETRYABLE_STATUSES], [408, 409, 429, 500, 502, 503, 504, 529]);
    assert.deepEqual(DEFAULT_RETRY_POLICY.retryableStatuses, [...DEFAULT_RETRYABLE_STATUSES]);
  });

  it('the default policy validates', () => {
    assert.ok('value' in validateRetryPolicy(structuredClone(DEFAULT_RETRY_POLICY)));
  });
});

describe('attemptTimeoutForModel', () => {
  it("uses the model's override, else the policy's", () => {
    assert.equal(attemptTimeoutForModel(DEFAULT_RETRY_POLICY, { timeoutMs: 300_000 }), 300_000);
    assert.equal(attemptTimeoutForModel(DEFAULT_RETRY_POLICY, {}), DEFAULT_RETRY_POLICY.attemptTimeoutMs);
    assert.equal(attemptTimeoutForModel(DEFAULT_RETRY_POLICY), DEFAULT_RETRY_POLICY.attemptTimeoutMs);
  });
});
