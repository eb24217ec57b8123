import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createProviderClient } from '../../src/providers/create-provider.js';
import type { ChatRequest, ProviderClient } from '../../src/providers/types.js';
import { isAttemptError } from '../../src/shared/attempt-error.js';
import { openaiConfig, TIMEOUTS } from './fixtures.js';
import { type ScriptedServer, startScriptedServer } from './scripted-server.js';

const KEY = 'sk-ant-test-key-0123456789';
const request: ChatRequest = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Capital of France?' },
  ],
  max_tokens: 64,
};

function event(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

const USAGE_START = {
  input_tokens: 12,
  cache_read_input_tokens: 100,
  cache_creation_input_tokens: 0,
  output_tokens: 1,
};

describe('Anthropic client', () => {
  let server: ScriptedServer;
  let client: ProviderClient;
  before(async () => {
    server = await startScriptedServer(async (req, res, body) => {
      const scenario = req.headers['x-scenario'];
      const parsed = JSON.parse(body);
      if (!parsed.stream) {
        res.writeHead(200, {
          'content-type': 'application/json',
          'request-id': 'req_a',
          'anthropic-ratelimit-requests-remaining': '49',
        });
        res.end(
          JSON.stringify({
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            model: 'claude-served',
            content: [{ type: 'text', text: 'Paris.' }],
            stop_reason: 'end_turn',
            usage: {
              input_tokens: 12,
              cache_read_input_tokens: 100,
              cache_creation_input_tokens: 20,
              output_tokens: 3,
            },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_s' });
      res.write(
        event('message_start', { message: { id: 'msg_2', model: 'claude-served', usage: USAGE_START } }),
      );
      res.write(event('ping', {}));
      if (scenario === 'overloaded') {
        res.write(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
        res.write(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Par' } }));
        res.end(event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }));
        return;
      }
      res.write(
        event('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } }),
      );
      await new Promise((r) => setTimeout(r, 30));
      res.write(
        event('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'capital...' } }),
      );
      res.write(event('content_block_stop', { index: 0 }));
      res.write(event('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }));
      res.write(event('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'Par' } }));
      res.write(event('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'is.' } }));
      res.write(event('content_block_stop', { index: 1 }));
      res.write(
        event('content_block_start', {
          index: 2,
          content_block: { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} },
        }),
      );
      res.write(
        event('content_block_delta', {
          index: 2,
          delta: { type: 'input_json_delta', partial_json: '{"q":' },
        }),
      );
      res.write(
        event('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '"x"}' } }),
      );
      res.write(event('content_block_stop', { index: 2 }));
      res.write(event('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 25 } }));
      if (scenario === 'cut') {
        res.end();
        return;
      }
      res.end(event('message_stop', {}));
    });
    client = createProviderClient(
      openaiConfig(server.baseUrl, { kind: 'anthropic', anthropicVersion: '2023-06-01', headers: {} }),
      { connections: 2, env: { TEST_KEY: KEY } },
    );
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it('posts a translated request to /messages with x-api-key and anthropic-version', async () => {
    const r = await client.send(request, { model: 'claude-x', stream: false, timeouts: TIMEOUTS });
    const got = server.requests.at(-1)!;
    assert.equal(got.url, '/v1/messages');
    assert.equal(got.headers['x-api-key'], KEY);
    assert.equal(got.headers['anthropic-version'], '2023-06-01');
    assert.equal(got.headers.authorization, undefined, 'no bearer header for Anthropic');
    const body = JSON.parse(got.body);
    assert.equal(body.model, 'claude-x');
    assert.equal(body.system, 'Be brief.');
    assert.equal(body.max_tokens, 64);
    assert.equal(r.text, 'Paris.');
    assert.equal(r.finishReason, 'stop');
    assert.equal(r.responseModel, 'claude-served');
    assert.equal(r.requestId, 'req_a');
    assert.deepEqual(r.rateLimit, { 'anthropic-ratelimit-requests-remaining': '49' });
    assert.deepEqual(r.usage, {
      inputTokens: 132,
      cachedTokens: 100,
      cacheWriteTokens: 20,
      outputTokens: 3,
      reasoningTokens: 0,
    });
  });

  it('rebuilds a streamed answer: usage from message_delta', async () => {
    const r = await client.send(request, { model: 'claude-x', stream: true, timeouts: TIMEOUTS });
    assert.equal(JSON.parse(server.requests.at(-1)!.body).stream, true);
    assert.equal(r.text, 'Paris.');
    assert.deepEqual(r.toolCalls, [{ name: 'lookup', arguments: '{"q":"x"}' }]);
    assert.equal(r.finishReason, 'tool_calls');
    assert.equal(r.usageSource, 'reported');
    assert.deepEqual(r.usage, {
      inputTokens: 112,
      cachedTokens: 100,
      cacheWriteTokens: 0,
      outputTokens: 25,
      reasoningTokens: 0,
    });
    const t = r.timing;
    assert.ok(t.ttftMs !== null && t.endMs !== null && t.headersMs !== null);
    // The thinking delta is sent 30 ms after message_start; load can only delay it.
    assert.ok(t.ttftMs >= 25 && t.headersMs <= t.ttftMs && t.endMs <= t.totalMs, JSON.stringify(t));
    assert.equal(t.tpotMs, (t.endMs - t.ttftMs) / 24);
  });

  it('a stream without message_stop is stream_interrupted; an error event keeps its type', async () => {
    for (const [scenario, type] of [
      ['cut', null],
      ['overloaded', 'overloaded_error'],
    ] as const) {
      const c = createProviderClient(
        openaiConfig(server.baseUrl, { kind: 'anthropic', headers: { 'x-scenario': scenario } }),
        { connections: 1, env: { TEST_KEY: KEY } },
      );
      try {
        await assert.rejects(
          c.send(request, { model: 'c', stream: true, timeouts: TIMEOUTS }),
          (e: unknown) => {
            assert.ok(isAttemptError(e));
            assert.equal(e.failure.errorClass, 'stream_interrupted');
            assert.equal(e.failure.providerErrorType ?? null, type);
            return true;
          },
        );
      } finally {
        await c.close();
      }
    }
  });
});
