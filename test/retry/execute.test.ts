import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { RetryBudget } from '../../src/retry/budget.js';
import { CircuitBreaker } from '../../src/retry/circuit-breaker.js';
import {
  ABANDON_GRACE_MS,
  type AttemptContext,
  type AttemptEvent,
  type ExecuteOptions,
  executeWithRetry,
  type LateSettleEvent,
  type WaitEvent,
} from '../../src/retry/execute.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/retry/policy.js';
import { AttemptError } from '../../src/shared/attempt-error.js';
import { FakeClock, seededRng, systemClock } from '../../src/shared/clock.js';
import { failure, step } from './helpers.js';

const policy: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  strategy: 'exponential',
  jitter: 'none',
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  maxAttempts: 4,
  attemptTimeoutMs: 5_000,
  totalDeadlineMs: 60_000,
  budget: { ...DEFAULT_RETRY_POLICY.budget, enabled: false },
  breaker: { ...DEFAULT_RETRY_POLICY.breaker, enabled: false },
};

type Step = 'ok' | 'hang' | 'ignore-abort' | ReturnType<typeof failure> | Error;

/** An attempt function that plays `steps` in order (the last one repeats) and records its contexts. */
function scripted(steps: Step[]) {
  const calls: AttemptContext[] = [];
  const fn = (ctx: AttemptContext): Promise<string> => {
    calls.push(ctx);
    const step = steps[Math.min(calls.length - 1, steps.length - 1)]!;
    if (step === 'ok') return Promise.resolve(`answer ${ctx.attempt}`);
    if (step === 'ignore-abort') return new Promise<string>(() => {});
    if (step === 'hang') {
      // Like a provider client: an abort of its signal becomes `canceled`.
      return new Promise<string>((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(new AttemptError(failure('canceled')))),
      );
    }
    if (step instanceof Error) return Promise.reject(step);
    return Promise.reject(new AttemptError(step));
  };
  return { fn, calls };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(overrides: Partial<ExecuteOptions> = {}) {
  const clock = new FakeClock();
  const attempts: AttemptEvent[] = [];
  const waits: (WaitEvent & { atMs: number })[] = [];
  const options: ExecuteOptions = {
    policy,
    clock,
    rng: seededRng(1),
    onAttempt: (e) => attempts.push(e),
    onWait: (e) => waits.push({ ...e, atMs: clock.monotonic() }),
    ...overrides,
  };
  return { clock, options, attempts, waits };
}

describe('executeWithRetry', () => {
  it('returns the first success with one attempt event', async () => {
    const { options, attempts } = setup();
    const { fn } = scripted(['ok']);
    const result = await executeWithRetry(fn, options);
    assert.equal(result.ok, true);
    assert.equal(result.ok && result.value, 'answer 1');
    assert.equal(attempts.length, 1);
    assert.deepEqual(
      { ...attempts[0], startedAtMs: 0 },
      {
        attempt: 1,
        startedAtMs: 0,
        durationMs: 0,
        delayBeforeMs: 0,
        hint: null,
        errorClass: null,
        status: null,
        failure: null,
        abandoned: false,
      },
    );
  });

  it('retries with the backoff delays, firing each wait event before the wait', async () => {
    const { clock, options, attempts, waits } = setup();
    const { fn, calls } = scripted([failure('http_5xx', 503), failure('http_5xx', 502), 'ok']);
    const done = executeWithRetry(fn, options);
    await step(clock, 0);
    assert.equal(calls.length, 1);
    assert.equal(waits.length, 1, 'the wait event fired before any time passed');
    assert.deepEqual([waits[0]!.afterAttempt, waits[0]!.delayMs, waits[0]!.atMs], [1, 100, 0]);
    await step(clock, 99);
    assert.equal(calls.length, 1, 'still waiting');
    await step(clock, 1);
    assert.equal(calls.length, 2);
    await step(clock, 200);
    const result = await done;
    assert.equal(result.ok, true);
    assert.equal(result.latencyMs, 300);
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.delayBeforeMs, a.errorClass, a.status]),
      [
        [1, 0, 'http_5xx', 503],
        [2, 100, 'http_5xx', 502],
        [3, 200, null, null],
      ],
    );
    assert.deepEqual(
      attempts.map((a) => a.startedAtMs - clock.now() + 300),
      [0, 100, 300],
    );
  });

  it('latency runs from the first send to the final outcome: bookkeeping before and after attempts stays out', async () => {
    // The harness's own work (a reservation written before an attempt, rows
    // after it) is modelled as time that passes inside the callbacks.
    const fake = new FakeClock();
    let harnessMs = 0;
    const clock = Object.assign(Object.create(fake) as FakeClock, {
      monotonic: () => fake.monotonic() + harnessMs,
      now: () => fake.now() + harnessMs,
    });
    const ok = await executeWithRetry(scripted(['ok']).fn, {
      policy,
      clock,
      rng: seededRng(1),
      beforeAttempt: () => {
        harnessMs += 7;
      },
      onAttempt: () => {
        harnessMs += 5;
      },
    });
    assert.equal(ok.latencyMs, 0, 'the attempt itself took no time');
    const failed = await executeWithRetry(scripted([failure('http_4xx', 400)]).fn, {
      policy,
      clock,
      rng: seededRng(1),
      beforeAttempt: () => {
        harnessMs += 7;
      },
      onAttempt: () => {
        harnessMs += 5;
      },
    });
    assert.equal(failed.ok, false);
    assert.equal(failed.latencyMs, 0);
  });

  it('maxAttempts counts every try: 4 means exactly 4 calls, and no wait after the last', async () => {
    const { clock, options, waits } = setup();
    const { fn, calls } = scripted([failure('http_5xx', 500)]);
    const done = executeWithRetry(fn, options);
    await step(clock, 60_000);
    const result = await done;
    assert.equal(calls.length, 4);
    assert.equal(waits.length, 3);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.errorClass, 'http_5xx');
    assert.match(!result.ok ? result.reason : '', /maxAttempts \(4\) reached/);
    assert.equal(result.latencyMs, 100 + 200 + 400);
  });

  it('does not retry a 400 and keeps the provider message', async () => {
    const { options } = setup();
    const bad = { ...failure('http_4xx', 400), message: 'messages: field required' };
    const result = await executeWithRetry(scripted([bad]).fn, options);
    assert.equal(result.ok, false);
    assert.equal(result.attempts.length, 1);
    assert.equal(!result.ok && result.failure.message, 'messages: field required');
  });

  it('honours Retry-After and records the hint on the next attempt', async () => {
    const { clock, options } = setup();
    const { fn } = scripted([failure('http_429', 429, { 'retry-after': '2' }), 'ok']);
    const done = executeWithRetry(fn, options);
    await step(clock, 2_000);
    const result = await done;
    assert.equal(result.ok, true);
    assert.deepEqual(
      result.attempts.map((a) => [a.delayBeforeMs, a.hint]),
      [
        [0, null],
        [2000, 'retry-after'],
      ],
    );
  });

  it('an attempt that outlives its timeout is aborted and recorded as timeout_total', async () => {
    const { clock, options } = setup({ attemptTimeoutMs: 1_000 });
    const { fn, calls } = scripted(['hang', 'ok']);
    const done = executeWithRetry(fn, options);
    await step(clock, 1_000);
    assert.equal(calls[0]!.signal.aborted, true);
    assert.equal(calls[0]!.timeoutMs, 1_000);
    await step(clock, 100);
    const result = await done;
    assert.equal(result.ok, true);
    assert.deepEqual(
      result.attempts.map((a) => [a.errorClass, a.durationMs]),
      [
        ['timeout_total', 1000],
        [null, 0],
      ],
    );
  });

  it('moves on from an attempt that ignores its aborted signal after the grace period', async () => {
    const { clock, options } = setup({ attemptTimeoutMs: 1_000, policy: { ...policy, maxAttempts: 1 } });
    const done = executeWithRetry(scripted(['ignore-abort']).fn, options);
    await step(clock, 1_000 + ABANDON_GRACE_MS);
    const result = await done;
    assert.equal(!result.ok && result.errorClass, 'timeout_total');
    assert.equal(clock.pendingSleeps, 0);
  });

  it('an abandoned attempt that answers late goes to onLateSettle, never into the next attempt', async () => {
    const late: LateSettleEvent<string>[] = [];
    const values: (string | null)[] = [];
    const { clock, options } = setup({
      attemptTimeoutMs: 1_000,
      onAttempt: (_e, value) => values.push(value as string | null),
      onLateSettle: (e) => late.push(e as LateSettleEvent<string>),
    });
    const first = deferred<string>();
    const second = deferred<string>();
    const calls: AttemptContext[] = [];
    const done = executeWithRetry<string>((ctx) => {
      calls.push(ctx);
      return ctx.attempt === 1 ? first.promise : second.promise;
    }, options);
    await step(clock, 1_000 + ABANDON_GRACE_MS);
    await step(clock, 100);
    assert.equal(calls.length, 2);
    // Both settle in one turn, the abandoned one last: it must not become attempt 2's answer.
    second.resolve('answer 2');
    first.resolve('late answer 1');
    const result = await done;
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(result.ok && result.value, 'answer 2');
    assert.deepEqual(values, [null, 'answer 2']);
    assert.deepEqual(
      result.attempts.map((a) => [a.errorClass, a.abandoned]),
      [
        ['timeout_total', true],
        [null, false],
      ],
    );
    assert.deepEqual(late, [{ attempt: 1, status: 'fulfilled', value: 'late answer 1' }]);
  });

  it('a late rejection of an abandoned attempt reaches onLateSettle', async () => {
    const late: LateSettleEvent<string>[] = [];
    const { clock, options } = setup({
      attemptTimeoutMs: 1_000,
      policy: { ...policy, maxAttempts: 1 },
      onLateSettle: (e) => late.push(e as LateSettleEvent<string>),
    });
    const first = deferred<string>();
    const done = executeWithRetry<string>(() => first.promise, options);
    await step(clock, 1_000 + ABANDON_GRACE_MS);
    const result = await done;
    assert.equal(!result.ok && result.errorClass, 'timeout_total');
    const boom = new Error('socket closed after abandon');
    first.reject(boom);
    await new Promise<void>((r) => setImmediate(r));
    assert.deepEqual(late, [{ attempt: 1, status: 'rejected', reason: boom }]);
  });

  it('never runs past the total deadline: the last attempt gets only the time left, then deadline_exceeded', async () => {
    const { clock, options } = setup({
      policy: { ...policy, totalDeadlineMs: 1_000, attemptTimeoutMs: 600 },
    });
    const { fn, calls } = scripted(['hang']);
    const done = executeWithRetry(fn, options);
    await step(clock, 5_000);
    const result = await done;
    assert.deepEqual(
      calls.map((c) => c.timeoutMs),
      [600, 300],
    );
    assert.equal(calls[0]!.deadlineMono, 1_000);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.errorClass, 'deadline_exceeded');
    assert.deepEqual(
      result.attempts.map((a) => a.errorClass),
      ['timeout_total', 'deadline_exceeded'],
    );
    assert.equal(result.latencyMs, 1_000);
  });

  it('gives up rather than wait past the deadline', async () => {
    const { clock, options, waits } = setup({ policy: { ...policy, totalDeadlineMs: 1_000 } });
    const done = executeWithRetry(
      scripted([failure('http_429', 429, { 'retry-after-ms': '1500' })]).fn,
      options,
    );
    await step(clock, 0);
    const result = await done;
    assert.equal(waits.length, 0);
    assert.equal(!result.ok && result.errorClass, 'deadline_exceeded');
    assert.equal(!result.ok && result.failure.status, 429, 'the provider failure that led here is kept');
  });

  it('a caller abort during a wait cancels at once and leaves no timer behind', async () => {
    const controller = new AbortController();
    const { clock, options } = setup({ signal: controller.signal });
    const { fn, calls } = scripted([failure('network')]);
    const done = executeWithRetry(fn, options);
    await step(clock, 50);
    controller.abort();
    const result = await done;
    assert.equal(calls.length, 1);
    assert.equal(!result.ok && result.errorClass, 'canceled');
    assert.equal(clock.pendingSleeps, 0);
  });

  it('a caller abort in flight ends as canceled, the attempt recorded', async () => {
    const controller = new AbortController();
    const { clock, options } = setup({ signal: controller.signal });
    const done = executeWithRetry(scripted(['hang']).fn, options);
    await step(clock, 10);
    controller.abort();
    const result = await done;
    assert.equal(!result.ok && result.errorClass, 'canceled');
    assert.deepEqual(
      result.attempts.map((a) => a.errorClass),
      ['canceled'],
    );
    assert.equal(clock.pendingSleeps, 0);
  });

  it('an already-aborted signal sends nothing', async () => {
    const { options } = setup({ signal: AbortSignal.abort() });
    const { fn, calls } = scripted(['ok']);
    const result = await executeWithRetry(fn, options);
    assert.equal(calls.length, 0);
    assert.equal(!result.ok && result.errorClass, 'canceled');
  });

  it('rethrows anything that is not an AttemptError (a bug, not an outcome)', async () => {
    const { options } = setup();
    await assert.rejects(executeWithRetry(scripted([new TypeError('oops')]).fn, options), /oops/);
  });

  it('beforeAttempt runs before each attempt and its throw stops everything', async () => {
    const { clock, options } = setup();
    const seen: number[] = [];
    const { fn, calls } = scripted([failure('network')]);
    const done = executeWithRetry(fn, {
      ...options,
      beforeAttempt: (n) => {
        seen.push(n);
        if (n === 3) throw new Error('budget guard: out of money');
      },
    });
    const rejected = assert.rejects(done, /out of money/);
    await step(clock, 1_000);
    await rejected;
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(calls.length, 2);
  });

  it('x-should-retry: false stops after one attempt even for a 503', async () => {
    const { options } = setup();
    const result = await executeWithRetry(
      scripted([failure('http_5xx', 503, { 'x-should-retry': 'false' })]).fn,
      options,
    );
    assert.equal(result.attempts.length, 1);
    assert.equal(!result.ok && result.errorClass, 'http_5xx');
  });
});

describe('executeWithRetry with a budget and a breaker', () => {
  it('a denied retry ends as retry_budget_exhausted, keeping the provider failure', async () => {
    const { clock, options } = setup();
    const budget = new RetryBudget({ enabled: true, ratio: 0.5, minRetriesPerSec: 0, ttlMs: 10_000 }, clock);
    const { fn, calls } = scripted([failure('http_5xx', 503)]);
    // one request deposits 0.5 tokens: not enough for a retry
    const result = await executeWithRetry(fn, { ...options, budget });
    assert.equal(calls.length, 1);
    assert.equal(!result.ok && result.errorClass, 'retry_budget_exhausted');
    assert.equal(!result.ok && result.failure.errorClass, 'http_5xx');
    // a second request brings the balance to 1: its first retry is allowed, the next is not
    const second = executeWithRetry(fn, { ...options, budget });
    await step(clock, 1_000);
    const r2 = await second;
    assert.equal(r2.attempts.length, 2);
    assert.equal(!r2.ok && r2.errorClass, 'retry_budget_exhausted');
  });

  it('an open breaker refuses without sending: circuit_open, no attempt events', async () => {
    const { clock, options } = setup();
    const breaker = new CircuitBreaker({ ...DEFAULT_RETRY_POLICY.breaker, consecutiveFailures: 1 }, clock);
    breaker.onFailure(breaker.tryPass()!);
    const { fn, calls } = scripted(['ok']);
    const result = await executeWithRetry(fn, { ...options, breaker });
    assert.equal(calls.length, 0);
    assert.equal(result.attempts.length, 0);
    assert.equal(!result.ok && result.errorClass, 'circuit_open');
    assert.equal(!result.ok && result.failure.errorClass, 'circuit_open');
  });

  it('the breaker opening mid-request stops the retries', async () => {
    const { clock, options } = setup({ policy: { ...policy, maxAttempts: 5 } });
    const breaker = new CircuitBreaker({ ...DEFAULT_RETRY_POLICY.breaker, consecutiveFailures: 2 }, clock);
    const { fn, calls } = scripted([failure('http_5xx', 503)]);
    const done = executeWithRetry(fn, { ...options, breaker });
    await step(clock, 10_000);
    const result = await done;
    assert.equal(calls.length, 2);
    assert.equal(!result.ok && result.errorClass, 'circuit_open');
    assert.equal(breaker.state, 'open');
  });

  it('half-open sends one of several concurrent requests as the trial; a late success from before the outage does not close it', async () => {
    const { clock, options } = setup({ policy: { ...policy, maxAttempts: 1 } });
    const breaker = new CircuitBreaker(
      { ...DEFAULT_RETRY_POLICY.breaker, consecutiveFailures: 2, failureRatio: 0, cooldownMs: 1_000 },
      clock,
    );
    const opts = { ...options, breaker };
    const slow = deferred<string>();
    const sentBefore = executeWithRetry(() => slow.promise, opts);
    await executeWithRetry(scripted([failure('http_5xx', 503)]).fn, opts);
    await executeWithRetry(scripted([failure('http_5xx', 503)]).fn, opts);
    assert.equal(breaker.state, 'open');
    await step(clock, 1_000);
    assert.equal(breaker.state, 'half_open');
    const trial = deferred<string>();
    let sent = 0;
    const concurrent = Array.from({ length: 4 }, () =>
      executeWithRetry(() => {
        sent += 1;
        return trial.promise;
      }, opts),
    );
    await step(clock, 0);
    assert.equal(sent, 1, 'exactly one trial in flight');
    slow.resolve('late');
    assert.equal((await sentBefore).ok, true);
    assert.equal(breaker.state, 'half_open', 'the answer to a request sent while closed does not close it');
    trial.reject(new AttemptError(failure('http_5xx', 503)));
    const results = await Promise.all(concurrent);
    assert.deepEqual(
      results.map((r) => (r.ok ? 'ok' : r.errorClass)),
      ['http_5xx', 'circuit_open', 'circuit_open', 'circuit_open'],
    );
    assert.equal(breaker.state, 'open', 'the trial alone decided');
  });

  it('a trial its caller cancels is no success, even if it answers during the abandon grace', async () => {
    const { clock, options } = setup({ policy: { ...policy, maxAttempts: 1 } });
    const breaker = new CircuitBreaker(
      { ...DEFAULT_RETRY_POLICY.breaker, consecutiveFailures: 1, failureRatio: 0, cooldownMs: 1_000 },
      clock,
    );
    const opts = { ...options, breaker };
    await executeWithRetry(scripted([failure('http_5xx', 503)]).fn, opts);
    await step(clock, 1_000);
    const caller = new AbortController();
    const answer = deferred<string>();
    const trial = executeWithRetry(() => answer.promise, { ...opts, signal: caller.signal });
    await step(clock, 0);
    assert.equal(breaker.tryPass(), null, 'the trial holds the slot');
    caller.abort();
    answer.resolve('too late');
    await trial;
    assert.equal(breaker.state, 'half_open');
    const next = scripted(['ok']);
    assert.equal((await executeWithRetry(next.fn, opts)).ok, true);
    assert.equal(next.calls.length, 1, 'the slot was freed for the next trial');
    assert.equal(breaker.state, 'closed');
  });

  it('a non-retryable 4xx does not count against the provider', async () => {
    const { options, clock } = setup();
    const breaker = new CircuitBreaker({ ...DEFAULT_RETRY_POLICY.breaker, consecutiveFailures: 1 }, clock);
    await executeWithRetry(scripted([failure('http_4xx', 400)]).fn, { ...options, breaker });
    assert.equal(breaker.state, 'closed');
  });
});

describe('executeWithRetry against a real loopback server', () => {
  it('retries a 503 after the server-sent retry-after-ms and then succeeds', async (t) => {
    let hits = 0;
    const keys: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      hits += 1;
      keys.push(req.headers['idempotency-key'] as string | undefined);
      if (hits === 1) {
        res.writeHead(503, { 'retry-after-ms': '40', 'content-type': 'application/json' });
        res.end('{"error":{"message":"overloaded"}}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;

    const result = await executeWithRetry(
      async (ctx) => {
        const res = await fetch(`http://127.0.0.1:${port}/`, {
          signal: ctx.signal,
          headers: { 'idempotency-key': 'k-1' },
        });
        const body = await res.text();
        if (res.ok) return body;
        const headers = Object.fromEntries(res.headers);
        throw new AttemptError({ errorClass: 'http_5xx', status: res.status, headers, message: body });
      },
      { policy, clock: systemClock, rng: seededRng(1) },
    );
    assert.equal(result.ok, true);
    assert.equal(hits, 2);
    assert.deepEqual(keys, ['k-1', 'k-1']);
    assert.deepEqual(
      result.attempts.map((a) => [a.status, a.hint, a.delayBeforeMs]),
      [
        [503, null, 0],
        [null, 'retry-after-ms', 40],
      ],
    );
    assert.ok(result.latencyMs >= 40);
  });
});
