import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelConfig, ProviderConfig } from '../../src/config/types.js';
import { estimateInputTokens, worstCaseCostUsd } from '../../src/pricing/cost.js';
import type { ChatRequest, ProviderClient, ProviderResponse, Usage } from '../../src/providers/types.js';
import { RetryBudget } from '../../src/retry/budget.js';
import { CircuitBreaker } from '../../src/retry/circuit-breaker.js';
import { ABANDON_GRACE_MS } from '../../src/retry/execute.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/retry/policy.js';
import {
  type ArmRequest,
  type ArmRunContext,
  type ArmTarget,
  executeArm,
} from '../../src/runner/arm-executor.js';
import { BudgetGuard } from '../../src/runner/budget-guard.js';
import { AttemptError, type ProviderFailure } from '../../src/shared/attempt-error.js';
import { FakeClock, seededRng } from '../../src/shared/clock.js';
import type { AttemptRow } from '../../src/store/rows.js';
import { step } from '../retry/helpers.js';

const policy: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  strategy: 'exponential',
  jitter: 'none',
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  maxAttempts: 3,
  attemptTimeoutMs: 1_000,
  totalDeadlineMs: 60_000,
  budget: { ...DEFAULT_RETRY_POLICY.budget, enabled: false },
  breaker: { ...DEFAULT_RETRY_POLICY.breaker, enabled: false },
};

const prices: ModelConfig = { inputPerMTok: 2, outputPerMTok: 8 } as ModelConfig;

const request: ChatRequest = {
  model: 'gpt-4.1',
  messages: [{ role: 'user', content: 'How do I reset my password?' }],
  max_tokens: 50,
};

function response(usage: Partial<Usage>): ProviderResponse {
  return {
    status: 200,
    text: 'an answer',
    toolCalls: [],
    finishReason: 'stop',
    responseModel: 'gpt-4.1',
    systemFingerprint: null,
    requestId: null,
    usage: {
      inputTokens: 0,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
      ...usage,
    },
    usageSource: 'reported',
    timing: { headersMs: 1, ttftMs: 1, endMs: 1, totalMs: 1, tpotMs: null },
    rateLimit: {},
    headers: {},
  };
}

function fail(errorClass: ProviderFailure['errorClass'], extra: Partial<ProviderFailure> = {}): AttemptError {
  return new AttemptError({ errorClass, status: null, headers: {}, message: errorClass, ...extra });
}

/** A client that plays one script entry per call; each entry gets the call's signal. */
function scriptedClient(script: ((signal: AbortSignal) => Promise<ProviderResponse>)[], log: string[]) {
  let calls = 0;
  const client: ProviderClient = {
    name: 'scripted',
    send: (_req, options) => {
      log.push('send');
      const play = script[Math.min(calls++, script.length - 1)]!;
      return play(options.signal!);
    },
    close: async () => {},
  } as ProviderClient;
  return client;
}

function setup(script: ((signal: AbortSignal) => Promise<ProviderResponse>)[], o: { stream?: boolean } = {}) {
  const clock = new FakeClock();
  const log: string[] = [];
  const attempts: AttemptRow[] = [];
  const debug: string[] = [];
  let spentUsd = 0;
  let reservedUsd = 0;
  const guard = new BudgetGuard({ budgetUsd: 1 });
  const ctx: ArmRunContext = {
    runId: 'r-1',
    clock,
    jitterRngFor: () => seededRng(1),
    stream: o.stream ?? false,
    redact: false,
    store: {
      insertAttempt: (row) => {
        log.push('attempt');
        attempts.push(row);
      },
      addSpend: (_id, usd, released = 0) => {
        log.push('spend');
        spentUsd += usd;
        reservedUsd -= released;
      },
      reserveSpend: (_id, usd) => {
        log.push('reserve');
        reservedUsd += usd;
      },
    },
    guard,
    signal: new AbortController().signal,
    debug: (line) => debug.push(line),
  };
  const target: ArmTarget = {
    arm: 'candidate',
    provider: { name: 'cand' } as ProviderConfig,
    client: scriptedClient(script, log),
    policy,
    budget: new RetryBudget(policy.budget, clock),
    breaker: new CircuitBreaker(policy.breaker, clock),
  };
  const req: ArmRequest = {
    promptId: 'p-1',
    request,
    model: 'gpt-4.1',
    prices,
    attemptTimeoutMs: 1_000,
    worstCaseUsd: worstCaseCostUsd(estimateInputTokens(request), 50, prices),
    idempotencyKey: 'k',
    wantsJson: false,
  };
  return {
    clock,
    log,
    attempts,
    debug,
    guard,
    run: () => executeArm(ctx, target, req),
    spent: () => ({ spentUsd, reservedUsd }),
    worstUsd: req.worstCaseUsd,
  };
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

const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;

describe('executeArm', () => {
  it('an abandoned attempt that resolves late does not overwrite the next attempt row; it is booked at its worst case', async () => {
    const first = deferred<ProviderResponse>();
    const second = deferred<ProviderResponse>();
    const s = setup([() => first.promise, () => second.promise]);
    const done = s.run();
    await step(s.clock, 1_000 + ABANDON_GRACE_MS);
    await step(s.clock, 100);
    // Both answers land in one turn, the abandoned one last.
    second.resolve(response({ inputTokens: 10, outputTokens: 20 }));
    first.resolve(response({ inputTokens: 999, outputTokens: 999 }));
    const out = await done;
    assert.equal(out?.row.outcome, 'ok');
    assert.equal(out?.row.input_tokens, 10);
    assert.deepEqual(
      s.attempts.map((a) => [a.attempt, a.error_class, a.input_tokens, a.output_tokens, a.cost_estimated]),
      [
        [1, 'timeout_total', null, null, true],
        [2, null, 10, 20, false],
      ],
    );
    const realUsd = (10 * 2 + 20 * 8) / 1e6;
    assert.ok(close(s.attempts[1]!.cost_usd!, realUsd));
    assert.ok(close(s.attempts[0]!.cost_usd!, s.worstUsd), 'abandoned: it may run to its output cap');
    assert.ok(close(s.guard.spentUsd, realUsd + s.worstUsd), 'the budget guard counts the estimate');
    assert.ok(close(s.spent().spentUsd, realUsd + s.worstUsd));
    assert.ok(close(s.spent().reservedUsd, 0), 'every reservation released with its row');
    assert.deepEqual(s.log, ['reserve', 'send', 'spend', 'attempt', 'reserve', 'send', 'spend', 'attempt']);
    // The late answer is shown to a developer, not silently taken.
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(s.debug.length, 1);
    assert.match(s.debug[0]!, /candidate p-1 attempt 1: abandoned .* later answered/);
  });

  it('a late rejection of an abandoned attempt is shown on the debug channel, not dropped', async () => {
    const first = deferred<ProviderResponse>();
    const s = setup([() => first.promise, async () => response({ inputTokens: 5, outputTokens: 5 })]);
    const done = s.run();
    await step(s.clock, 1_000 + ABANDON_GRACE_MS);
    await step(s.clock, 100);
    assert.equal((await done)?.row.outcome, 'ok');
    first.reject(fail('network', { message: 'cand: ECONNRESET long after the abort' }));
    await new Promise<void>((r) => setImmediate(r));
    assert.deepEqual(s.debug, [
      'candidate p-1 attempt 1: abandoned after its abort, it later failed: cand: ECONNRESET long after the abort',
    ]);
  });

  it('books an estimated cost for failures that may have been billed, $0 for those that cannot', async () => {
    const partial = 'Reset it from the settings page'; // 31 ASCII characters: 11 tokens at 3 a token
    const s = setup(
      [
        async () => {
          throw fail('http_5xx', { status: 503 });
        },
        async () => {
          throw fail('network');
        },
        async () => {
          throw fail('stream_interrupted', { headersMs: 3, ttftMs: 5, partialOutputText: partial });
        },
      ],
      { stream: true },
    );
    const done = s.run();
    for (let i = 0; i < 5; i++) await step(s.clock, 1_000);
    const out = await done;
    assert.equal(out?.row.error_class, 'stream_interrupted');
    const input = estimateInputTokens(request);
    const expected = (input * 2 + 11 * 8) / 1e6;
    assert.deepEqual(
      s.attempts.map((a) => [a.error_class, a.cost_estimated]),
      [
        ['http_5xx', false],
        ['network', false],
        ['stream_interrupted', true],
      ],
    );
    assert.deepEqual(
      s.attempts.map((a) => a.cost_usd === 0),
      [true, true, false],
    );
    assert.ok(close(s.attempts[2]!.cost_usd!, expected));
    assert.equal(out!.row.cost_usd, 0, "the final row's cost is reported usage only");
    assert.ok(close(s.guard.spentUsd, expected));
    assert.ok(close(s.spent().reservedUsd, 0));
  });
});
