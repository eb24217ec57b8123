/**
 * The store rows of a passed-through answer, from hand-made engine results:
 * what a replay would write for the same outcome.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateInputTokens } from '../../src/pricing/cost.js';
import { estimateTextTokens } from '../../src/pricing/estimate-tokens.js';
import { AnswerTap } from '../../src/proxy/answer-tap.js';
import type { OpenResult, RelayResult } from '../../src/proxy/pass-through.js';
import { type ServedAnswer, servedRows } from '../../src/proxy/served-row.js';
import type { AttemptEvent } from '../../src/retry/execute.js';

const REQUEST = { model: 'gpt-4.1', messages: [{ role: 'user' as const, content: 'hi' }] };
const PRICES = { inputPerMTok: 2, outputPerMTok: 8 };

function attempt(n: number, errorClass: AttemptEvent['errorClass'], status: number | null): AttemptEvent {
  return {
    attempt: n,
    startedAtMs: Date.UTC(2026, 11, 2) + n,
    durationMs: 10,
    delayBeforeMs: n === 1 ? 0 : 5,
    hint: null,
    errorClass,
    status,
    abandoned: false,
    failure: errorClass
      ? { errorClass, status, headers: {}, message: `HTTP ${status}: overloaded hi` }
      : null,
  };
}

function base(
  opened: OpenResult,
  relay: RelayResult | null,
  tapChunks: string[] | null,
  over: Partial<ServedAnswer> = {},
) {
  let tap = null;
  if (tapChunks) {
    let t = 0;
    const at = new AnswerTap('openai', true, () => (t += 5));
    for (const c of tapChunks) at.push(Buffer.from(c));
    tap = at.result();
  }
  return servedRows({
    runId: 'r-1',
    promptId: 'live-000001',
    arm: 'baseline',
    provider: 'baseline',
    model: 'gpt-4.1',
    request: REQUEST,
    streamed: true,
    prices: PRICES,
    redact: false,
    opened,
    relay,
    tap,
    wallOffsetMs: 0,
    ...over,
  });
}

const STREAM = [
  `data: ${JSON.stringify({ model: 'gpt-4.1', choices: [{ index: 0, delta: { content: 'Hel' } }] })}\n\n`,
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'lo' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })}\n\n`,
  'data: [DONE]\n\n',
];

describe('servedRows', () => {
  it('a streamed answer after one retry: ok row with usage, cost, timing; both attempts', () => {
    const opened: OpenResult = {
      ok: true,
      status: 200,
      headers: {},
      body: null as never,
      attempts: [attempt(1, 'http_5xx', 503), attempt(2, null, null)],
      sentAtMono: 100,
      headersAtMono: 120,
      startMono: 80,
    };
    const relay: RelayResult = {
      complete: true,
      firstChunkAtMono: 130,
      endAtMono: 200,
      bytes: 300,
      error: null,
    };
    const { row, attempts, answer } = base(opened, relay, STREAM);
    assert.equal(row.outcome, 'ok');
    assert.equal(row.attempts, 2);
    assert.equal(row.output_text, 'Hello');
    assert.equal(answer, 'Hello');
    assert.equal(row.input_tokens, 3);
    assert.equal(row.output_tokens, 2);
    assert.equal(row.usage_source, 'reported');
    assert.equal(row.cost_usd, (3 * 2 + 2 * 8) / 1e6);
    assert.equal(row.latency_ms, 120);
    assert.equal(row.service_ms, 100);
    assert.equal(row.headers_ms, 20);
    assert.equal(row.finish_reason, 'stop');
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.error_class, a.http_status]),
      [
        [1, 'http_5xx', 503],
        [2, null, 200],
      ],
    );
    assert.equal(attempts[1]!.cost_usd, row.cost_usd);
    // An HTTP 503 is not billed: booked at $0, not estimated.
    assert.equal(attempts[0]!.cost_usd, 0);
    assert.equal(attempts[0]!.cost_estimated, false);
  });

  it('failed attempts the provider may have billed are costed as a replay costs them, not at $0', () => {
    const request = { ...REQUEST, max_tokens: 100 };
    const timedOut: AttemptEvent = {
      ...attempt(1, 'timeout_body', 200),
      failure: {
        errorClass: 'timeout_body',
        status: 200,
        headers: {},
        message: 'body timeout',
        headersMs: 4,
        ttftMs: null,
      },
    };
    const opened: OpenResult = {
      ok: false,
      errorClass: 'timeout_body',
      failure: timedOut.failure!,
      response: null,
      attempts: [timedOut, attempt(2, 'http_5xx', 503)],
      startMono: 0,
    };
    const { row, attempts, spentUsd } = base(opened, null, null, { request, streamed: false });
    // A whole (JSON) answer that timed out after its headers may have been generated to its cap.
    const worstUsd = (estimateInputTokens(request) * 2 + 100 * 8) / 1e6;
    assert.ok(worstUsd > 0);
    assert.equal(attempts[0]!.cost_usd, worstUsd);
    assert.equal(attempts[0]!.cost_estimated, true);
    assert.equal(attempts[1]!.cost_usd, 0);
    assert.equal(attempts[1]!.cost_estimated, false);
    // The final row keeps reported usage only ($0); the estimate is the run's spend.
    assert.equal(row.cost_usd, 0);
    assert.equal(spentUsd, worstUsd);
  });

  it('a stream that broke off after its headers is costed by what it had streamed', () => {
    const request = { ...REQUEST, stream: true, max_tokens: 100 };
    const opened: OpenResult = {
      ok: true,
      status: 200,
      headers: {},
      body: null as never,
      attempts: [attempt(1, null, null)],
      sentAtMono: 0,
      headersAtMono: 5,
      startMono: 0,
    };
    const relay: RelayResult = {
      complete: false,
      firstChunkAtMono: 10,
      endAtMono: 50,
      bytes: 40,
      error: new Error('reset'),
    };
    const { attempts, spentUsd } = base(opened, relay, STREAM.slice(0, 1), { request });
    const expected = (estimateInputTokens(request) * 2 + estimateTextTokens('Hel') * 8) / 1e6;
    assert.equal(attempts[0]!.error_class, 'stream_interrupted');
    assert.equal(attempts[0]!.cost_usd, expected);
    assert.equal(attempts[0]!.cost_estimated, true);
    assert.equal(spentUsd, expected);
  });

  it('the engine gave up: an error row with the last failure, redacted when asked', () => {
    const opened: OpenResult = {
      ok: false,
      errorClass: 'http_5xx',
      failure: {
        errorClass: 'http_5xx',
        status: 503,
        headers: {},
        message: 'HTTP 503: overloaded, your prompt was hi',
      },
      response: null,
      attempts: [attempt(1, 'http_5xx', 503), attempt(2, 'http_5xx', 503)],
      startMono: 0,
    };
    const { row } = base(opened, null, null, { redact: true });
    assert.equal(row.outcome, 'error');
    assert.equal(row.error_class, 'http_5xx');
    assert.equal(row.http_status, 503);
    assert.ok(!String(row.error_message).includes('hi'), row.error_message ?? '');
    assert.equal(row.latency_ms, 10 + 10 + 5);
  });

  it('a stream that broke off after its headers: stream_interrupted, no answer', () => {
    const opened: OpenResult = {
      ok: true,
      status: 200,
      headers: {},
      body: null as never,
      attempts: [attempt(1, null, null)],
      sentAtMono: 0,
      headersAtMono: 5,
      startMono: 0,
    };
    const relay: RelayResult = {
      complete: false,
      firstChunkAtMono: 10,
      endAtMono: 50,
      bytes: 40,
      error: new Error('reset'),
    };
    const { row, answer } = base(opened, relay, STREAM.slice(0, 1));
    assert.equal(row.outcome, 'error');
    assert.equal(row.error_class, 'stream_interrupted');
    assert.equal(answer, null);
  });
});
