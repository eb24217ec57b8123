import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createProviderClient, mapModel } from '../../src/providers/create-provider.js';
import type { ChatRequest, ProviderClient, SendOptions } from '../../src/providers/types.js';
import { isUsageError } from '../../src/shared/errors.js';
import { openaiConfig, TIMEOUTS } from './fixtures.js';
import { contentChunk, type ScriptedServer, sseBody, startScriptedServer } from './scripted-server.js';

const KEY = 'sk-test-0123456789abcdef';
const request: ChatRequest = {
  model: 'gpt-recorded',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is the capital of France?' },
  ],
  max_tokens: 50,
  temperature: 0,
  stream: true,
  stream_options: { include_usage: false },
};

function send(client: ProviderClient, over: Partial<SendOptions> = {}) {
  return client.send(request, { model: 'gpt-served', stream: false, timeouts: TIMEOUTS, ...over });
}

describe('OpenAI-compatible client, non-streaming', () => {
  let server: ScriptedServer;
  let client: ProviderClient;
  before(async () => {
    server = await startScriptedServer((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-request-id': 'req_abc',
        'x-ratelimit-remaining-requests': '99',
        'x-ratelimit-reset-tokens': '6ms',
        'x-sim-latency-ms': '12',
      });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          model: 'gpt-served-2024',
          system_fingerprint: 'fp_1',
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: 'Paris.',
                tool_calls: [
                  { id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } },
                ],
              },
              finish_reason: 'stop',
            },
          ],
          usage: {
            prompt_tokens: 20,
            completion_tokens: 9,
            total_tokens: 29,
            prompt_tokens_details: { cached_tokens: 16 },
            completion_tokens_details: { reasoning_tokens: 4 },
          },
        }),
      );
    });
    client = createProviderClient(openaiConfig(server.baseUrl), { connections: 2, env: { TEST_KEY: KEY } });
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it('sends the recorded request with the model replaced and the configured headers', async () => {
    await send(client, { idempotencyKey: 'idem-1' });
    const got = server.requests.at(-1)!;
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/v1/chat/completions');
    assert.equal(got.headers.authorization, `Bearer ${KEY}`);
    assert.equal(got.headers['idempotency-key'], 'idem-1');
    assert.equal(got.headers['x-team'], 'search');
    const body = JSON.parse(got.body);
    assert.equal(body.model, 'gpt-served');
    assert.deepEqual(body.messages, request.messages);
    assert.equal(body.max_tokens, 50);
    assert.equal(body.stream, undefined, 'a recorded stream flag is not replayed');
    assert.equal(body.stream_options, undefined);
  });

  it('normalises the answer, usage, headers and timing', async () => {
    const r = await send(client);
    assert.equal(r.status, 200);
    assert.equal(r.text, 'Paris.');
    assert.deepEqual(r.toolCalls, [{ name: 'lookup', arguments: '{"q":1}' }]);
    assert.equal(r.finishReason, 'stop');
    assert.equal(r.responseModel, 'gpt-served-2024');
    assert.equal(r.systemFingerprint, 'fp_1');
    assert.equal(r.requestId, 'req_abc');
    assert.deepEqual(r.usage, {
      inputTokens: 20,
      cachedTokens: 16,
      cacheWriteTokens: 0,
      outputTokens: 9,
      reasoningTokens: 4,
    });
    assert.equal(r.usageSource, 'reported');
    assert.deepEqual(r.rateLimit, {
      'x-ratelimit-remaining-requests': '99',
      'x-ratelimit-reset-tokens': '6ms',
    });
    assert.equal(r.headers['x-sim-latency-ms'], '12');
    assert.ok(r.timing.headersMs !== null && r.timing.headersMs <= r.timing.totalMs);
    assert.equal(r.timing.ttftMs, r.timing.totalMs);
    assert.equal(r.timing.tpotMs, null);
  });

  it('reuses kept-alive connections across attempts', async () => {
    const before = server.requests.length;
    await Promise.all([send(client), send(client), send(client), send(client)]);
    await Promise.all([send(client), send(client), send(client), send(client)]);
    assert.equal(server.requests.length, before + 8);
    assert.ok(server.connections() <= 2, `pool of 2 opened ${server.connections()} connections`);
  });
});

describe('OpenAI-compatible client, streaming', () => {
  let server: ScriptedServer;
  let client: ProviderClient;
  let keyless: ProviderClient;
  before(async () => {
    server = await startScriptedServer(async (req, res, body) => {
      const parsed = JSON.parse(body);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_s' });
      if (req.headers['x-scenario'] === 'tools') {
        res.end(
          sseBody([
            {
              model: 'm',
              choices: [
                {
                  index: 0,
                  delta: {
                    tool_calls: [
                      { index: 0, id: 't0', type: 'function', function: { name: 'get', arguments: '' } },
                    ],
                  },
                },
              ],
            },
            {
              choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] } }],
            },
            {
              choices: [
                {
                  index: 0,
                  delta: {
                    tool_calls: [
                      { index: 0, function: { arguments: 'ty":"Oslo"}' } },
                      { index: 1, id: 't1', function: { name: 'time', arguments: '{}' } },
                    ],
                  },
                },
              ],
            },
            { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
          ]),
        );
        return;
      }
      // Headers first, the first token 60 ms later, then three more 20 ms apart.
      res.write(': keep-alive comment\n\n');
      await new Promise((r) => setTimeout(r, 60));
      res.write(`data: ${JSON.stringify(contentChunk('', { system_fingerprint: 'fp_s' }))}\n\n`);
      for (const piece of ['Pa', 'r', 'is', '.']) {
        res.write(`data: ${JSON.stringify(contentChunk(piece))}\n\n`);
        await new Promise((r) => setTimeout(r, 20));
      }
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      if (parsed.stream_options?.include_usage) {
        res.write(
          `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 } })}\n\n`,
        );
      }
      res.end('data: [DONE]\n\n');
    });
    client = createProviderClient(openaiConfig(server.baseUrl), { connections: 2, env: { TEST_KEY: KEY } });
    keyless = createProviderClient(
      openaiConfig(server.baseUrl, { apiKeyEnv: undefined, streamUsage: false }),
      {
        connections: 1,
        env: {},
      },
    );
  });
  after(async () => {
    await client.close();
    await keyless.close();
    await server.close();
  });

  it('asks for the usage chunk and rebuilds the answer with timing', async () => {
    const r = await send(client, { stream: true });
    const body = JSON.parse(server.requests.at(-1)!.body);
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(r.text, 'Paris.');
    assert.equal(r.finishReason, 'stop');
    assert.equal(r.responseModel, 'served-model');
    assert.equal(r.systemFingerprint, 'fp_s');
    assert.equal(r.requestId, 'req_s');
    assert.equal(r.usageSource, 'reported');
    assert.equal(r.usage.outputTokens, 4);
    const t = r.timing;
    assert.ok(t.headersMs !== null && t.ttftMs !== null && t.endMs !== null);
    assert.ok(t.ttftMs >= 50, `first token waits for the first content chunk, got ${t.ttftMs}`);
    // Exact first-token and end times are tested with a fake clock in read-event-stream.test.ts;
    // on a loaded loopback only the order and lower bounds are reliable.
    assert.ok(t.headersMs <= t.ttftMs && t.ttftMs <= t.endMs && t.endMs <= t.totalMs, JSON.stringify(t));
    assert.equal(t.tpotMs, (t.endMs - t.ttftMs) / 3);
  });

  it('without a key or stream usage: no auth header, no stream_options, usage estimated', async () => {
    const r = await keyless.send(request, {
      model: 'x',
      stream: true,
      timeouts: TIMEOUTS,
      idempotencyKey: 'k',
    });
    const got = server.requests.at(-1)!;
    assert.equal(got.headers.authorization, undefined);
    const body = JSON.parse(got.body);
    assert.equal(body.stream_options, undefined);
    assert.equal(r.text, 'Paris.');
    assert.equal(r.usageSource, 'estimated');
    assert.ok(r.usage.outputTokens >= 1, 'estimated output is never zero for a non-empty answer');
    assert.ok(r.usage.inputTokens > 10, 'estimated input counts the messages');
  });

  it('rebuilds streamed tool calls by index', async () => {
    const tools = createProviderClient(openaiConfig(server.baseUrl, { headers: { 'x-scenario': 'tools' } }), {
      connections: 1,
      env: { TEST_KEY: KEY },
    });
    try {
      const r = await tools.send(request, { model: 'x', stream: true, timeouts: TIMEOUTS });
      assert.deepEqual(r.toolCalls, [
        { name: 'get', arguments: '{"city":"Oslo"}' },
        { name: 'time', arguments: '{}' },
      ]);
      assert.equal(r.finishReason, 'tool_calls');
      assert.ok(r.timing.ttftMs !== null, 'a tool-call delta counts as the first token');
    } finally {
      await tools.close();
    }
  });
});

describe('createProviderClient', () => {
  it('names the missing API key variable and never a value', () => {
    for (const env of [{}, { TEST_KEY: '' }]) {
      assert.throws(
        () => createProviderClient(openaiConfig('http://127.0.0.1:1/v1'), { connections: 1, env }),
        (e: unknown) => isUsageError(e) && e.message.includes('TEST_KEY'),
      );
    }
  });

  it('maps recorded model names through modelMap', () => {
    const config = { modelMap: { 'gpt-4o': 'claude-sonnet' } };
    assert.equal(mapModel(config, 'gpt-4o'), 'claude-sonnet');
    assert.equal(mapModel(config, 'other'), 'other');
  });
});
