import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { FAULT_KINDS } from '../../src/sim/faults.js';
import { BUILTIN_PROFILES, type SimProfile } from '../../src/sim/profiles.js';
import { FORCE_FAULT_HEADER, type SimServer, startSimServer } from '../../src/sim/server.js';
import { rawCall, sseData, sseEvents } from './sim-http.js';

function profile(overrides: Partial<SimProfile>): SimProfile {
  return { ...structuredClone(BUILTIN_PROFILES.steady), name: 'test', ...overrides };
}

const servers: SimServer[] = [];
async function start(p: SimProfile, seed = 1): Promise<SimServer> {
  const server = await startSimServer({ profile: p, seed });
  servers.push(server);
  return server;
}
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const chat = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'gpt-test',
  messages: [{ role: 'user', content }],
  ...extra,
});
const messages = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'claude-test',
  max_tokens: 64,
  messages: [{ role: 'user', content }],
  ...extra,
});
const force = (fault: string) => ({ [FORCE_FAULT_HEADER]: fault });

let steady: SimServer;
before(async () => {
  steady = await start(BUILTIN_PROFILES.steady);
});

describe('OpenAI chat completions', () => {
  it('answers JSON with usage, the ground-truth headers and the idempotency key echoed', async () => {
    const r = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('shape check'),
      headers: { 'Idempotency-Key': 'idem-1' },
    });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /application\/json/);
    assert.equal(r.headers['x-sim-idempotency-key'], 'idem-1');
    assert.match(String(r.headers['x-request-id']), /^req_sim_/);
    assert.equal(r.headers['x-sim-fault'], 'none');
    assert.equal(r.headers['x-sim-latency-ms'], '0');
    assert.equal(r.headers['x-sim-ttft-ms'], '0');
    const body = JSON.parse(r.body);
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.model, 'gpt-test');
    assert.equal(body.choices[0].message.role, 'assistant');
    assert.equal(typeof body.choices[0].message.content, 'string');
    assert.equal(body.choices[0].finish_reason, 'stop');
    assert.equal(body.usage.completion_tokens, Number(r.headers['x-sim-output-tokens']));
    assert.ok(body.usage.prompt_tokens > 0);
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it('streams role, content, finish, usage (only when asked) and [DONE], in one write when unpaced', async () => {
    const prompt = 'stream check';
    const plain = JSON.parse(
      (await rawCall(steady.url, '/v1/chat/completions', { body: chat(prompt) })).body,
    );
    const r = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat(prompt, { stream: true, stream_options: { include_usage: true } }),
    });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /text\/event-stream/);
    assert.equal(r.chunks.length, 1);
    const { chunks, done } = sseData(r.body);
    assert.deepEqual(chunks[0]!.choices[0].delta, { role: 'assistant', content: '' });
    assert.equal(done, true);
    const usage = chunks.at(-1)!;
    assert.deepEqual(usage.choices, []);
    assert.equal(usage.usage.completion_tokens, plain.usage.completion_tokens);
    const finish = chunks.at(-2)!;
    assert.equal(finish.choices[0].finish_reason, 'stop');
    const content = chunks
      .slice(1, -2)
      .map((e) => e.choices[0].delta.content)
      .join('');
    assert.equal(content, plain.choices[0].message.content);
    assert.equal(chunks.length - 3, plain.usage.completion_tokens);

    const noUsage = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat(prompt, { stream: true }),
    });
    const noUsageEvents = sseData(noUsage.body);
    assert.equal(noUsageEvents.done, true);
    assert.ok(noUsageEvents.chunks.every((e) => !e.usage));
  });

  it('answers with a streamed tool call whose arguments concatenate to JSON', async () => {
    const tools = [
      {
        type: 'function',
        function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
      },
    ];
    const r = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('tool please', { tools, stream: true }),
    });
    assert.equal(r.headers['x-sim-content'], 'tool-call');
    const events = sseData(r.body).chunks;
    const deltas = events.filter((e) => e.choices[0]?.delta?.tool_calls);
    assert.equal(deltas[0]!.choices[0].delta.tool_calls[0].function.name, 'lookup');
    const args = deltas.map((e) => e.choices[0].delta.tool_calls[0].function.arguments).join('');
    assert.equal(typeof JSON.parse(args).q, 'string');
    assert.equal(events.at(-1)!.choices[0].finish_reason, 'tool_calls');
  });

  it('answers JSON mode with parseable JSON', async () => {
    const r = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('json mode', { response_format: { type: 'json_object' } }),
    });
    const content = JSON.parse(r.body).choices[0].message.content;
    assert.equal(typeof JSON.parse(content), 'object');
  });

  it('counts samples per prompt', async () => {
    const a = await rawCall(steady.url, '/v1/chat/completions', { body: chat('sample counting') });
    const b = await rawCall(steady.url, '/v1/chat/completions', { body: chat('sample counting') });
    assert.equal(Number(b.headers['x-sim-sample']), Number(a.headers['x-sim-sample']) + 1);
  });
});

describe('Anthropic messages', () => {
  it('answers the Messages shape with usage and stop_reason', async () => {
    const r = await rawCall(steady.url, '/v1/messages', {
      body: messages('anthropic shape', { max_tokens: 5 }),
    });
    assert.equal(r.status, 200);
    assert.ok(r.headers['request-id']);
    const body = JSON.parse(r.body);
    assert.equal(body.type, 'message');
    assert.equal(body.model, 'claude-test');
    assert.equal(body.content[0].type, 'text');
    assert.equal(body.stop_reason, 'max_tokens');
    assert.equal(body.usage.output_tokens, 5);
    assert.ok(body.usage.input_tokens > 0);
  });

  it('streams message_start, content blocks, message_delta with usage and message_stop', async () => {
    const prompt = 'anthropic stream';
    const plain = JSON.parse((await rawCall(steady.url, '/v1/messages', { body: messages(prompt) })).body);
    const r = await rawCall(steady.url, '/v1/messages', { body: messages(prompt, { stream: true }) });
    const events = sseEvents(r.body);
    const names = events.map((e) => e.event);
    assert.deepEqual(names.slice(0, 3), ['message_start', 'content_block_start', 'ping']);
    assert.deepEqual(names.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
    for (const e of events) assert.equal(e.data.type, e.event);
    const text = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => (e.data.delta as { text: string }).text)
      .join('');
    assert.equal(text, plain.content[0].text);
    const delta = events.at(-2)!.data as { usage: { output_tokens: number }; delta: { stop_reason: string } };
    assert.equal(delta.usage.output_tokens, plain.usage.output_tokens);
    assert.equal(delta.delta.stop_reason, plain.stop_reason);
  });

  it('answers tool_use with the first tool and an object input', async () => {
    const tools = [
      { name: 'calc', input_schema: { type: 'object', properties: { n: { type: 'integer' } } } },
    ];
    const r = await rawCall(steady.url, '/v1/messages', { body: messages('use a tool', { tools }) });
    const body = JSON.parse(r.body);
    assert.equal(body.stop_reason, 'tool_use');
    assert.equal(body.content[0].type, 'tool_use');
    assert.equal(body.content[0].name, 'calc');
    assert.ok(Number.isInteger(body.content[0].input.n));
    const streamed = await rawCall(steady.url, '/v1/messages', {
      body: messages('use a tool', { tools, stream: true }),
    });
    const partial = sseEvents(streamed.body)
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => (e.data.delta as { partial_json: string }).partial_json)
      .join('');
    assert.deepEqual(JSON.parse(partial), body.content[0].input);
  });

  it('requires max_tokens like the real API', async () => {
    const r = await rawCall(steady.url, '/v1/messages', {
      body: { model: 'c', messages: [{ role: 'user', content: 'x' }] },
    });
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).error.type, 'invalid_request_error');
  });
});

describe('other routes and bad requests', () => {
  it('serves /v1/models and /health, 404 elsewhere, 400 for bad JSON and unknown forced faults', async () => {
    const models = JSON.parse((await rawCall(steady.url, '/v1/models')).body);
    assert.equal(models.object, 'list');
    assert.deepEqual(
      models.data.map((m: { id: string }) => m.id),
      BUILTIN_PROFILES.steady.models,
    );
    const health = await rawCall(steady.url, '/health');
    assert.deepEqual(JSON.parse(health.body), { status: 'ok', profile: 'steady' });
    assert.equal((await rawCall(steady.url, '/v1/nope')).status, 404);
    const bad = await rawCall(steady.url, '/v1/chat/completions', { method: 'POST', body: undefined });
    assert.equal(bad.status, 400);
    const unknown = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('x'),
      headers: force('teapot'),
    });
    assert.equal(unknown.status, 400);
    assert.match(JSON.parse(unknown.body).error.message, /teapot/);
  });
});

describe('faults', () => {
  it('429 carries Retry-After, retry-after-ms and x-ratelimit-* headers, in both error shapes', async () => {
    const r = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('limited'),
      headers: force('429'),
    });
    assert.equal(r.status, 429);
    assert.equal(r.headers['x-sim-fault'], '429');
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(r.headers['retry-after-ms'], '1000');
    assert.equal(r.headers['x-ratelimit-remaining-requests'], '0');
    assert.ok(Number(r.headers['x-ratelimit-limit-requests']) > 0);
    assert.ok(r.headers['x-ratelimit-reset-requests']);
    assert.equal(JSON.parse(r.body).error.code, 'rate_limit_exceeded');
    const a = await rawCall(steady.url, '/v1/messages', { body: messages('limited'), headers: force('429') });
    assert.equal(a.status, 429);
    assert.equal(JSON.parse(a.body).error.type, 'rate_limit_error');
    assert.equal(a.headers['anthropic-ratelimit-requests-remaining'], '0');
  });

  it('retry hints follow retryAfterHeaders and latencyScale', async () => {
    const server = await start(
      profile({ retryAfterMs: 4000, latencyScale: 0.5, retryAfterHeaders: 'seconds' }),
    );
    const r = await rawCall(server.url, '/v1/chat/completions', { body: chat('x'), headers: force('429') });
    assert.equal(r.headers['retry-after'], '2');
    assert.equal(r.headers['retry-after-ms'], undefined);
  });

  for (const [fault, status, type] of [
    ['500', 500, 'api_error'],
    ['502', 502, 'api_error'],
    ['503', 503, 'api_error'],
    ['504', 504, 'api_error'],
    ['529', 529, 'overloaded_error'],
  ] as const) {
    it(`${fault} answers status ${status} with an error body`, async () => {
      const r = await rawCall(steady.url, '/v1/chat/completions', {
        body: chat('err'),
        headers: force(fault),
      });
      assert.equal(r.status, status);
      assert.equal(r.headers['x-sim-fault'], fault);
      const error = JSON.parse(r.body).error;
      assert.equal(typeof error.message, 'string');
      assert.equal(typeof error.type, 'string');
      assert.ok(error.code);
      const a = await rawCall(steady.url, '/v1/messages', { body: messages('err'), headers: force(fault) });
      assert.equal(a.status, status);
      const anthropic = JSON.parse(a.body);
      assert.equal(anthropic.type, 'error');
      assert.equal(anthropic.error.type, type);
    });
  }

  it('reset drops the connection before any headers', async () => {
    const r = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('reset'),
      headers: force('reset'),
    });
    assert.equal(r.status, null);
    assert.ok(r.error, 'the client sees a connection error');
    assert.match(String((r.error as NodeJS.ErrnoException).code), /ECONNRESET|ECONNREFUSED|EPIPE/);
  });

  it('hang never answers; the client times out and the server lets go', async () => {
    const server = await start(profile({ name: 'hanging' }));
    const r = await rawCall(server.url, '/v1/chat/completions', {
      body: chat('hang'),
      headers: force('hang'),
      timeoutMs: 200,
    });
    assert.equal(r.timedOut, true);
    assert.equal(r.status, null);
    assert.equal(server.stats().hang, 1);
    const next = await rawCall(server.url, '/v1/chat/completions', { body: chat('after hang') });
    assert.equal(next.status, 200);
  });

  it('close() frees hung and stalled connections at once', async () => {
    const server = await startSimServer({ profile: profile({ name: 'closing' }) });
    const hung = rawCall(server.url, '/v1/chat/completions', {
      body: chat('h'),
      headers: force('hang'),
      timeoutMs: 5000,
    });
    const stalled = rawCall(server.url, '/v1/chat/completions', {
      body: chat('s', { stream: true }),
      headers: force('stall'),
      timeoutMs: 5000,
    });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await server.close();
    const [h, s] = await Promise.all([hung, stalled]);
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(h.timedOut, false);
    assert.equal(s.timedOut, false);
    assert.equal(s.ended, false);
  });

  it('stall sends some chunks, then nothing, without [DONE]', async () => {
    const r = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('stall please', { stream: true }),
      headers: force('stall'),
      timeoutMs: 300,
    });
    assert.equal(r.status, 200);
    assert.equal(r.timedOut, true);
    const events = sseData(r.body);
    const content = events.chunks.filter((e) => e.choices?.[0]?.delta?.content);
    assert.ok(content.length >= 1);
    assert.ok(content.length < Number(r.headers['x-sim-output-tokens']));
    assert.equal(events.done, false);

    const json = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('stall json'),
      headers: force('stall'),
      timeoutMs: 300,
    });
    assert.equal(json.status, 200);
    assert.equal(json.timedOut, true);
    assert.ok(json.body.length > 0);
    assert.throws(() => JSON.parse(json.body));
  });

  it('cutoff ends a stream early without [DONE], and drops a JSON answer mid-body', async () => {
    const r = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('cut please', { stream: true, stream_options: { include_usage: true } }),
      headers: force('cutoff'),
    });
    assert.equal(r.status, 200);
    assert.equal(r.ended, true);
    const { chunks, done } = sseData(r.body);
    assert.equal(done, false);
    assert.ok(chunks.every((e) => !e.usage && !e.choices?.[0]?.finish_reason));
    assert.ok(
      chunks.filter((e) => e.choices?.[0]?.delta?.content).length < Number(r.headers['x-sim-output-tokens']),
    );

    const one = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('cut one', { stream: true, max_tokens: 1 }),
      headers: force('cutoff'),
    });
    assert.equal(one.ended, true);
    assert.equal(sseData(one.body).done, false);

    const a = await rawCall(steady.url, '/v1/messages', {
      body: messages('cut', { stream: true }),
      headers: force('cutoff'),
    });
    assert.ok(!sseEvents(a.body).some((e) => e.event === 'message_stop'));

    const json = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('cut json'),
      headers: force('cutoff'),
    });
    assert.equal(json.status, 200);
    assert.equal(json.ended, false);
    assert.ok(json.error);
  });

  it('malformed-json answers 200 with a body (or one event) that does not parse', async () => {
    const r = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('bad json'),
      headers: force('malformed-json'),
    });
    assert.equal(r.status, 200);
    assert.equal(r.ended, true);
    assert.throws(() => JSON.parse(r.body));
    const s = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('bad json', { stream: true }),
      headers: force('malformed-json'),
    });
    const streamed = sseData(s.body);
    assert.equal(streamed.unparseable.length, 1);
    assert.equal(streamed.done, true);
    const a = await rawCall(steady.url, '/v1/messages', {
      body: messages('bad'),
      headers: force('malformed-json'),
    });
    assert.throws(() => JSON.parse(a.body));
  });

  it('html answers 200 text/html', async () => {
    const r = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('html'),
      headers: force('html'),
    });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /text\/html/);
    assert.match(r.body, /<html>/);
  });

  it('missing-usage leaves usage out of JSON, streams and Anthropic answers', async () => {
    const r = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('mu'),
      headers: force('missing-usage'),
    });
    const body = JSON.parse(r.body);
    assert.equal(body.usage, undefined);
    assert.equal(typeof body.choices[0].message.content, 'string');
    const s = await rawCall(steady.url, '/v1/chat/completions', {
      body: chat('mu', { stream: true, stream_options: { include_usage: true } }),
      headers: force('missing-usage'),
    });
    const events = sseData(s.body);
    assert.equal(events.done, true);
    assert.ok(events.chunks.every((e) => !e.usage));
    const a = await rawCall(steady.url, '/v1/messages', {
      body: messages('mu'),
      headers: force('missing-usage'),
    });
    assert.equal(JSON.parse(a.body).usage, undefined);
  });

  it('draws faults from the profile rates without any forcing, and counts them', async () => {
    const server = await start(profile({ name: 'always-503', faultRates: { '503': 1 } }));
    for (let i = 0; i < 3; i++) {
      const r = await rawCall(server.url, '/v1/chat/completions', { body: chat(`p${i}`) });
      assert.equal(r.status, 503);
    }
    const stats = server.stats();
    assert.equal(stats['503'], 3);
    assert.equal(stats.requests, 3);
    assert.equal(stats.none, 0);
    for (const kind of FAULT_KINDS) assert.equal(typeof stats[kind], 'number');
  });
});

describe('limiter', () => {
  it('answers 429 with Retry-After once the requests per minute are spent', async () => {
    const server = await start(
      profile({ name: 'rpm', limits: { requestsPerMinute: 2, tokensPerMinute: 0 } }),
    );
    const first = await rawCall(server.url, '/v1/chat/completions', { body: chat('a') });
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-ratelimit-limit-requests'], '2');
    assert.equal(first.headers['x-ratelimit-remaining-requests'], '1');
    assert.equal((await rawCall(server.url, '/v1/chat/completions', { body: chat('b') })).status, 200);
    const third = await rawCall(server.url, '/v1/chat/completions', { body: chat('c') });
    assert.equal(third.status, 429);
    assert.equal(third.headers['x-sim-fault'], 'limit-rpm');
    assert.ok(Number(third.headers['retry-after']) >= 29);
    assert.ok(Number(third.headers['retry-after-ms']) > 29_000);
    assert.equal(server.stats()['limit-rpm'], 1);
  });

  it('counts prompt and requested tokens per minute', async () => {
    const server = await start(
      profile({ name: 'tpm', limits: { requestsPerMinute: 0, tokensPerMinute: 1000 } }),
    );
    assert.equal(
      (await rawCall(server.url, '/v1/chat/completions', { body: chat('a', { max_tokens: 600 }) })).status,
      200,
    );
    const second = await rawCall(server.url, '/v1/chat/completions', {
      body: chat('b', { max_tokens: 600 }),
    });
    assert.equal(second.status, 429);
    assert.equal(second.headers['x-sim-fault'], 'limit-tpm');
    assert.equal(
      (await rawCall(server.url, '/v1/chat/completions', { body: chat('c', { max_tokens: 100 }) })).status,
      200,
    );
  });
});

describe('latency', () => {
  const paced = profile({
    name: 'paced',
    ttft: { fixedMs: 60 },
    tpot: { fixedMs: 8 },
    output: { ...BUILTIN_PROFILES.steady.output, medianTokens: 10, p99Tokens: 10 },
  });

  it('non-streaming waits first-token delay plus tokens x time per token, as the headers say', async () => {
    const server = await start(paced);
    const r = await rawCall(server.url, '/v1/chat/completions', { body: chat('slow') });
    assert.equal(r.headers['x-sim-ttft-ms'], '60');
    assert.equal(r.headers['x-sim-latency-ms'], String(60 + 10 * 8));
    assert.ok(r.headersMs! >= 135, `headers after ${r.headersMs} ms`);
  });

  it('streaming sends headers at once, the first token after the delay, and paces the rest', async () => {
    const server = await start(paced);
    const r = await rawCall(server.url, '/v1/chat/completions', { body: chat('slow', { stream: true }) });
    assert.ok(r.headersMs! < 50, `headers after ${r.headersMs} ms`);
    assert.ok(r.firstChunkMs! >= 55, `first chunk after ${r.firstChunkMs} ms`);
    assert.ok(r.chunks.length >= 5, `${r.chunks.length} writes`);
  });

  it('latencyScale multiplies every injected delay', async () => {
    const server = await start({ ...paced, name: 'half', latencyScale: 0.5 });
    const r = await rawCall(server.url, '/v1/chat/completions', { body: chat('slow') });
    assert.equal(r.headers['x-sim-ttft-ms'], '30');
    assert.equal(r.headers['x-sim-latency-ms'], '70');
  });
});

describe('determinism and similarity across servers', () => {
  it('two servers with the same seed answer alike, with the same faults and delays', async () => {
    const p = { ...structuredClone(BUILTIN_PROFILES.flaky), latencyScale: 0 };
    const a = await start(p, 5);
    const b = await start(p, 5);
    for (let i = 0; i < 12; i++) {
      const body = chat(`det ${i}`, { max_tokens: 20 });
      const ra = await rawCall(a.url, '/v1/chat/completions', { body, timeoutMs: 150 });
      const rb = await rawCall(b.url, '/v1/chat/completions', { body, timeoutMs: 150 });
      assert.equal(ra.headers['x-sim-fault'], rb.headers['x-sim-fault']);
      assert.equal(ra.status, rb.status);
      if (ra.headers['x-sim-fault'] === 'none')
        assert.equal(
          ra.body.replace(/"(id|created)":[^,]+,/g, ''),
          rb.body.replace(/"(id|created)":[^,]+,/g, ''),
        );
    }
  });

  it('a baseline and a drifting candidate with the same seed give close but not equal answers', async () => {
    const base = await start(
      {
        ...structuredClone(BUILTIN_PROFILES['openai-like']),
        latencyScale: 0,
        faultRates: {},
        variability: 0,
      },
      9,
    );
    const candidate = await start(
      {
        ...structuredClone(BUILTIN_PROFILES['relay-fast']),
        latencyScale: 0,
        faultRates: {},
        variability: 0,
        output: { ...BUILTIN_PROFILES['relay-fast'].output, lengthFactor: 1 },
      },
      9,
    );
    const other = await start(
      { ...structuredClone(BUILTIN_PROFILES['openai-like']), latencyScale: 0, faultRates: {} },
      10,
    );
    const text = async (s: SimServer) =>
      JSON.parse(
        (await rawCall(s.url, '/v1/chat/completions', { body: chat('compare me', { max_tokens: 200 }) }))
          .body,
      ).choices[0].message.content as string;
    const [t1, t2, t3] = [await text(base), await text(candidate), await text(other)];
    const w1 = t1.split(' ');
    const w2 = t2.split(' ');
    assert.equal(w1.length, w2.length);
    const same = w1.filter((w, i) => w === w2[i]).length / w1.length;
    assert.ok(same > 0.85 && same < 1, `share of equal words ${same}`);
    assert.notEqual(t3, t1);
  });

  it('misreport changes the model and inflates prompt tokens, and says so in a header', async () => {
    const honest = await start(profile({ name: 'honest' }));
    const liar = await start(
      profile({ name: 'liar', misreport: { model: 'other-model', promptTokenFactor: 3 } }),
    );
    const h = await rawCall(honest.url, '/v1/chat/completions', {
      body: chat('how many tokens is this prompt'),
    });
    const l = await rawCall(liar.url, '/v1/chat/completions', {
      body: chat('how many tokens is this prompt'),
    });
    assert.equal(JSON.parse(l.body).model, 'other-model');
    assert.equal(JSON.parse(l.body).usage.prompt_tokens, 3 * JSON.parse(h.body).usage.prompt_tokens);
    assert.equal(l.headers['x-sim-misreport'], 'model,prompt-tokens');
  });
});

describe('the official openai client', () => {
  it('works against the simulator, streaming and not', async () => {
    const client = new OpenAI({ apiKey: 'sk-sim', baseURL: steady.url, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'official client' }],
    });
    assert.equal(typeof completion.choices[0]!.message.content, 'string');
    assert.ok(completion.usage!.completion_tokens > 0);
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'official client' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: unknown = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, completion.choices[0]!.message.content);
    assert.ok(usage);
  });
});

describe('paced streams', () => {
  it('deliver every chunk in order and end once, even with sub-millisecond token pacing', async () => {
    // Fractional, distinct timer delays used to fire out of order: usage and [DONE] first, then a write after end.
    const paced = await start(
      profile({
        ttft: { fixedMs: 0.7 },
        tpot: { fixedMs: 1.3 },
        output: { ...BUILTIN_PROFILES.steady.output, medianTokens: 40, p99Tokens: 40 },
      }),
    );
    const calls = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        rawCall(paced.url, '/v1/chat/completions', {
          body: chat(`ordering ${i}`, { stream: true, stream_options: { include_usage: true } }),
        }),
      ),
    );
    for (const r of calls) {
      assert.equal(r.error, null);
      assert.equal(r.ended, true);
      const { chunks, done } = sseData(r.body);
      assert.equal(done, true, 'the stream ends with [DONE]');
      const usageAt = chunks.findIndex((c) => c.usage);
      const lastContentAt = chunks.findLastIndex((c) => c.choices?.[0]?.delta?.content);
      assert.ok(lastContentAt >= 0 && usageAt > lastContentAt, 'usage comes after the last content chunk');
      const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
      assert.ok(text.length > 0);
    }
  });
});

describe('served tokens', () => {
  it('counts what a provider would bill: answers whole, streams as written, never error statuses or resets', async () => {
    const sim = await start(profile({}));
    const body = chat('count the served tokens for me', { max_tokens: 40 });
    const whole = await rawCall(sim.url, '/v1/chat/completions', { body });
    const usage = JSON.parse(whole.body).usage as { prompt_tokens: number; completion_tokens: number };
    assert.deepEqual(sim.servedTokens(), {
      inputTokens: usage.prompt_tokens,
      outputTokens: usage.completion_tokens,
    });

    await rawCall(sim.url, '/v1/chat/completions', { body, headers: force('503') });
    await rawCall(sim.url, '/v1/chat/completions', { body, headers: force('reset') });
    assert.deepEqual(sim.servedTokens(), {
      inputTokens: usage.prompt_tokens,
      outputTokens: usage.completion_tokens,
    });

    // A stream cut off part-way: its prompt, and only the pieces that went out.
    const cut = await rawCall(sim.url, '/v1/chat/completions', {
      body: { ...body, stream: true },
      headers: force('cutoff'),
    });
    const pieces = sseData(cut.body).chunks.filter((c) => (c.choices?.[0]?.delta?.content ?? '').length > 0);
    assert.ok(pieces.length >= 1 && pieces.length < usage.completion_tokens);
    assert.deepEqual(sim.servedTokens(), {
      inputTokens: 2 * usage.prompt_tokens,
      outputTokens: usage.completion_tokens + pieces.length,
    });
    // A hang: its prompt was taken, nothing generated.
    await rawCall(sim.url, '/v1/chat/completions', { body, headers: force('hang'), timeoutMs: 50 });
    assert.equal(sim.servedTokens().inputTokens, 3 * usage.prompt_tokens);
  });
});
