import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, type RetryDecision, type RetryState } from '../../src/retry/decide.js';
import {
  BACKOFF_STRATEGIES,
  DEFAULT_RETRY_POLICY,
  JITTER_MODES,
  type RetryPolicy,
} from '../../src/retry/policy.js';
import { seededRng } from '../../src/shared/clock.js';
import { failure, scriptedRng } from './helpers.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const policy: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  strategy: 'exponential-capped',
  jitter: 'none',
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  maxAttempts: 4,
};
const fresh: RetryState = { attempt: 1, prevStrategyDelayMs: null, remainingMs: 60_000 };

function retry(d: RetryDecision): Extract<RetryDecision, { action: 'retry' }> {
  assert.equal(d.action, 'retry', d.action === 'give_up' ? d.reason : '');
  return d as Extract<RetryDecision, { action: 'retry' }>;
}

describe('decide: maxAttempts counts every try', () => {
  it('with maxAttempts 4, attempts 1-3 get a retry and attempt 4 is the last', () => {
    const delays: number[] = [];
    let state = fresh;
    for (;;) {
      const d = decide(policy, state, failure('http_5xx', 503), NOW, seededRng(1));
      if (d.action === 'give_up') {
        assert.match(d.reason, /maxAttempts \(4\) reached/);
        assert.equal(d.errorClass, undefined);
        break;
      }
      delays.push(d.delayMs);
      state = { ...state, attempt: state.attempt + 1, prevStrategyDelayMs: d.strategyDelayMs };
    }
    assert.equal(state.attempt, 4);
    assert.deepEqual(delays, [100, 200, 400]);
  });

  it('maxAttempts 1 never retries', () => {
    const d = decide({ ...policy, maxAttempts: 1 }, fresh, failure('network'), NOW, seededRng(1));
    assert.equal(d.action, 'give_up');
  });
});

describe('decide: what is retryable', () => {
  for (const status of [408, 409, 429, 500, 502, 503, 504, 529]) {
    it(`retries status ${status} by default`, () => {
      const cls = status === 429 ? 'http_429' : status >= 500 ? 'http_5xx' : 'http_4xx';
      retry(decide(policy, fresh, failure(cls, status), NOW, seededRng(1)));
    });
  }

  for (const status of [400, 401, 403, 404, 422]) {
    it(`does not retry ${status}`, () => {
      const d = decide(policy, fresh, failure('http_4xx', status), NOW, seededRng(1));
      assert.equal(d.action, 'give_up');
      assert.match(d.reason, new RegExp(`http_4xx \\(${status}\\) is not retryable`));
    });
  }

  it('does not retry a 5xx outside the list (501)', () => {
    assert.equal(decide(policy, fresh, failure('http_5xx', 501), NOW, seededRng(1)).action, 'give_up');
  });

  it('retries network errors and timeouts, not protocol errors', () => {
    for (const cls of [
      'network',
      'timeout_connect',
      'timeout_headers',
      'timeout_body',
      'timeout_total',
    ] as const) {
      retry(decide(policy, fresh, failure(cls), NOW, seededRng(1)));
    }
    assert.equal(decide(policy, fresh, failure('protocol', 200), NOW, seededRng(1)).action, 'give_up');
  });

  it('never retries the engine classes, whatever the headers say', () => {
    for (const cls of ['canceled', 'deadline_exceeded', 'circuit_open', 'retry_budget_exhausted'] as const) {
      const d = decide(policy, fresh, failure(cls, null, { 'x-should-retry': 'true' }), NOW, seededRng(1));
      assert.equal(d.action, 'give_up', cls);
    }
  });

  it('follows a configured retryable set', () => {
    const custom = { ...policy, retryableStatuses: [500], retryableClasses: ['protocol' as const] };
    retry(decide(custom, fresh, failure('protocol'), NOW, seededRng(1)));
    assert.equal(decide(custom, fresh, failure('http_429', 429), NOW, seededRng(1)).action, 'give_up');
    assert.equal(decide(custom, fresh, failure('network'), NOW, seededRng(1)).action, 'give_up');
  });
});

describe('decide: server hints', () => {
  it('x-should-retry: false gives up even on a retryable status', () => {
    const d = decide(
      policy,
      fresh,
      failure('http_5xx', 503, { 'x-should-retry': 'false', 'retry-after': '1' }),
      NOW,
      seededRng(1),
    );
    assert.equal(d.action, 'give_up');
    assert.match(d.reason, /x-should-retry: false/);
  });

  it('x-should-retry: true retries a non-retryable status with the backoff delay and records the hint', () => {
    const d = retry(
      decide(policy, fresh, failure('http_4xx', 400, { 'x-should-retry': 'true' }), NOW, seededRng(1)),
    );
    assert.equal(d.delayMs, 100);
    assert.equal(d.hint, 'x-should-retry');
  });

  it('x-should-retry: true does not lift maxAttempts', () => {
    const d = decide(
      policy,
      { ...fresh, attempt: 4 },
      failure('http_4xx', 400, { 'x-should-retry': 'true' }),
      NOW,
      seededRng(1),
    );
    assert.equal(d.action, 'give_up');
  });

  it('a backoff-decided delay on a retryable class records no hint', () => {
    assert.equal(
      retry(decide(policy, fresh, failure('http_5xx', 503, { 'x-should-retry': 'true' }), NOW, seededRng(1)))
        .hint,
      null,
    );
  });

  it('retry-after-ms beats retry-after, and a hint replaces the backoff delay (even above maxDelayMs)', () => {
    const small = { ...policy, maxDelayMs: 100 };
    const a = retry(
      decide(
        small,
        fresh,
        failure('http_429', 429, { 'retry-after-ms': '1500', 'retry-after': '9' }),
        NOW,
        seededRng(1),
      ),
    );
    assert.deepEqual([a.delayMs, a.hint], [1500, 'retry-after-ms']);
    const b = retry(
      decide(small, fresh, failure('http_429', 429, { 'retry-after': '9' }), NOW, seededRng(1)),
    );
    assert.deepEqual([b.delayMs, b.hint], [9000, 'retry-after']);
  });

  it('an HTTP-date Retry-After is measured from the injected now', () => {
    const d = retry(
      decide(
        policy,
        fresh,
        failure('http_5xx', 503, { 'retry-after': 'Sun, 01 Jun 2025 12:00:05 GMT' }),
        NOW,
        seededRng(1),
      ),
    );
    assert.deepEqual([d.delayMs, d.hint], [5000, 'retry-after']);
  });

  it('a hint above maxRetryAfterMs fails or clamps as configured', () => {
    const headers = { 'retry-after': '120' };
    const failed = decide(
      { ...policy, retryAfterOverflow: 'fail' },
      fresh,
      failure('http_429', 429, headers),
      NOW,
      seededRng(1),
    );
    assert.equal(failed.action, 'give_up');
    assert.match(failed.reason, /above maxRetryAfterMs/);
    const clamped = retry(
      decide(
        { ...policy, retryAfterOverflow: 'clamp', maxRetryAfterMs: 30_000 },
        fresh,
        failure('http_429', 429, headers),
        NOW,
        seededRng(1),
      ),
    );
    assert.deepEqual([clamped.delayMs, clamped.hint], [30_000, 'retry-after']);
  });

  it('draws the rng the same way whether or not a hint decides, so the next backoff is unchanged', () => {
    const p = { ...policy, jitter: 'full' as const };
    const withHint = seededRng(9);
    const without = seededRng(9);
    decide(p, fresh, failure('http_429', 429, { 'retry-after-ms': '10' }), NOW, withHint);
    decide(p, fresh, failure('http_429', 429), NOW, without);
    assert.equal(withHint(), without());
  });
});

describe('decide: the total deadline', () => {
  it('gives up as deadline_exceeded when the wait would reach the deadline (it never shortens the wait)', () => {
    const d = decide(policy, { ...fresh, remainingMs: 100 }, failure('http_5xx', 503), NOW, seededRng(1));
    assert.equal(d.action, 'give_up');
    assert.equal(d.action === 'give_up' && d.errorClass, 'deadline_exceeded');
    retry(decide(policy, { ...fresh, remainingMs: 101 }, failure('http_5xx', 503), NOW, seededRng(1)));
  });

  it('a hint that passes the deadline gives up too', () => {
    const d = decide(
      policy,
      { ...fresh, remainingMs: 5000 },
      failure('http_429', 429, { 'retry-after': '6' }),
      NOW,
      seededRng(1),
    );
    assert.equal(d.action === 'give_up' && d.errorClass, 'deadline_exceeded');
  });

  it('property: every retry waits less than the time left and no more than the cap, for all strategies and jitters', () => {
    const rng = seededRng(2024);
    for (const strategy of BACKOFF_STRATEGIES) {
      for (const jitter of JITTER_MODES) {
        const p: RetryPolicy = { ...policy, strategy, jitter, maxAttempts: 12, maxDelayMs: 3000 };
        for (let trial = 0; trial < 30; trial++) {
          let state: RetryState = {
            attempt: 1,
            prevStrategyDelayMs: null,
            remainingMs: 1000 + rng() * 20_000,
          };
          for (;;) {
            const d = decide(p, state, failure('network'), NOW, rng);
            if (d.action === 'give_up') break;
            assert.ok(d.delayMs >= 0 && d.delayMs <= p.maxDelayMs && d.delayMs < state.remainingMs);
            // time passes: the wait and an attempt of up to 500 ms
            const spent = d.delayMs + rng() * 500;
            state = {
              attempt: state.attempt + 1,
              prevStrategyDelayMs: d.strategyDelayMs,
              remainingMs: state.remainingMs - spent,
            };
          }
        }
      }
    }
  });
});

describe('decide: exact sequences with a seeded rng', () => {
  it('full jitter draws U(0, d) from the given rng, in order', () => {
    const p = { ...policy, jitter: 'full' as const, maxAttempts: 4 };
    const draws = [0.1, 0.9, 0.5];
    const rng = scriptedRng(...draws);
    const got: number[] = [];
    let state = fresh;
    for (;;) {
      const d = decide(p, state, failure('timeout_total'), NOW, rng);
      if (d.action === 'give_up') break;
      got.push(d.delayMs);
      state = { ...state, attempt: state.attempt + 1, prevStrategyDelayMs: d.strategyDelayMs };
    }
    assert.deepEqual(got, [0.1 * 100, 0.9 * 200, 0.5 * 400]);
  });
});
