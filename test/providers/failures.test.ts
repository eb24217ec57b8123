import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { errors as undiciErrors } from 'undici';
import type { ProviderConfig } from '../../src/config/types.js';
import { createProviderClient } from '../../src/providers/create-provider.js';
import { classifyThrown, type FailureContext, scrubSecrets } from '../../src/providers/provider-failure.js';
import type { AttemptTimeouts, ChatRequest, ProviderClient } from '../../src/providers/types.js';
import { type AttemptError, isAttemptError, type ProviderFailure } from '../../src/shared/attempt-error.js';
import { TIMEOUTS } from './fixtures.js';
import { contentChunk, type ScriptedServer, sseBody, startScriptedServer } from './scripted-server.js';

const KEY = 'sk-live-SECRET-abcdef0123456789';
const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
/**
 * The phase under test must fire well before this. The class assertion proves
 * which timer fired; this bound only proves nothing hung. It is loose because
 * undici ticks its header/body timers every ~0.5 s and a loaded CI box adds more.
 */
const GIVE_UP_MS = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each case is served under its own path prefix: baseUrl http://host/<case>. */
const cases: Record<string, Parameters<typeof startScriptedServer>[0]> = {
  '429': (_req, res) => {
    res.writeHead(429, {
      'content-type': 'application/json',
      'retry-after': '2',
      'retry-after-ms': '1500',
      'x-should-retry': 'true',
      'x-ratelimit-remaining-requests': '0',
      'x-request-id': 'req_429',
    });
    res.end(
      JSON.stringify({
        error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
      }),
    );
  },
  '503': (_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('upstream unavailable');
  },
  '529': (_req, res) => {
    res.writeHead(529, { 'content-type': 'application/json', 'request-id': 'req_ant' });
    res.end(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
  },
  '400': (_req, res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: {
          message: "Unsupported parameter: 'foo'",
          type: 'invalid_request_error',
          code: 'unsupported_parameter',
        },
      }),
    );
  },
  echo: (req, res) => {
    res.writeHead(401, { 'content-type': 'application/json', 'x-echo': String(req.headers.authorization) });
    res.end(
      JSON.stringify({
        error: { message: `Invalid key in header ${req.headers.authorization}`, type: 'auth' },
      }),
    );
  },
  stalled503: (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.write('{"error": {"message": "over');
  },
  reset: (req) => {
    req.socket.destroy();
  },
  hang: () => {},
  stall: (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify(contentChunk('Hel'))}\n\n`);
  },
  trickle: async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < 100 && !res.destroyed; i++) {
      res.write(`data: ${JSON.stringify(contentChunk('x'))}\n\n`);
      await sleep(40);
    }
    res.end();
  },
  html: (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
  },
  truncated: (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id":"x","choices":[{"index":0,"message":{"role":"assist');
  },
  plain: (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('OK');
  },
  badsse: (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('data: {"choices": [ {"delta": \n\n');
  },
  nodone: (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(sseBody([contentChunk('Hello'), contentChunk(' wor')], false));
  },
  cut: (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify(contentChunk('Hello'))}\n\n`);
    setTimeout(() => res.socket?.destroy(), 20);
  },
  instream: (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(
      sseBody(
        [contentChunk('Hi'), { error: { message: 'The server had an error', type: 'server_error' } }],
        false,
      ),
    );
  },
  huge: (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ choices: [{ index: 0, message: { content: 'x'.repeat(200_000) } }] }));
  },
  jsonwhenstreaming: (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        model: 'm',
        choices: [{ index: 0, message: { content: 'whole' }, finish_reason: 'stop' }],
      }),
    );
  },
};

describe('failure classification against scripted servers', { concurrency: true }, () => {
  let server: ScriptedServer;
  const clients: ProviderClient[] = [];
  before(async () => {
    server = await startScriptedServer((req, res, body) => {
      const name = (req.url ?? '').split('/')[1] ?? '';
      const handler = cases[name];
      if (!handler) {
        res.writeHead(404);
        res.end();
        return;
      }
      return handler(req, res, body);
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  function clientFor(name: string, over: Partial<ProviderConfig> = {}): ProviderClient {
    const base = server.baseUrl.replace(/\/v1$/, '');
    const client = createProviderClient(
      {
        name: 'candidate',
        kind: 'openai',
        baseUrl: `${base}/${name}`,
        apiKeyEnv: 'KEY',
        headers: {},
        anthropicVersion: '2023-06-01',
        idempotencyHeader: null,
        streamUsage: true,
        maxResponseBytes: 1024 * 1024,
        modelMap: {},
        models: {},
        ...over,
      },
      { connections: 2, env: { KEY } },
    );
    clients.push(client);
    return client;
  }

  async function failure(
    name: string,
    opts: {
      stream?: boolean;
      timeouts?: Partial<AttemptTimeouts>;
      signal?: AbortSignal;
      config?: Partial<ProviderConfig>;
    } = {},
  ): Promise<{ failure: ProviderFailure; elapsedMs: number }> {
    const client = clientFor(name, opts.config);
    const start = performance.now();
    try {
      await client.send(request, {
        model: 'm',
        stream: opts.stream ?? false,
        timeouts: { ...TIMEOUTS, ...opts.timeouts },
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (e) {
      assert.ok(isAttemptError(e), `expected an AttemptError, got ${String(e)}`);
      const f = (e as AttemptError).failure;
      assert.ok(!f.message.includes('\n'), 'message is one line');
      return { failure: f, elapsedMs: performance.now() - start };
    }
    assert.fail(`case ${name} did not fail`);
  }

  it('429 keeps the status, the provider error and the retry hints', async () => {
    const { failure: f } = await failure('429');
    assert.equal(f.errorClass, 'http_429');
    assert.equal(f.status, 429);
    assert.equal(f.headers['retry-after'], '2');
    assert.equal(f.headers['retry-after-ms'], '1500');
    assert.equal(f.headers['x-should-retry'], 'true');
    assert.equal(f.requestId, 'req_429');
    assert.equal(f.providerErrorType, 'requests');
    assert.equal(f.providerErrorCode, 'rate_limit_exceeded');
    assert.match(f.message, /Rate limit reached/);
    assert.match(f.bodyExcerpt ?? '', /rate_limit_exceeded/);
  });

  it('5xx keeps the status; a non-JSON error body becomes the excerpt', async () => {
    const { failure: f } = await failure('503');
    assert.equal(f.errorClass, 'http_5xx');
    assert.equal(f.status, 503);
    assert.equal(f.bodyExcerpt, 'upstream unavailable');
  });

  it('an error status whose body then stalls is still classified by its status', async () => {
    const { failure: f } = await failure('stalled503', { timeouts: { bodyMs: 100 } });
    assert.equal(f.errorClass, 'http_5xx');
    assert.equal(f.status, 503);
  });

  it("529 with Anthropic's error shape keeps type and message", async () => {
    const { failure: f } = await failure('529');
    assert.equal(f.errorClass, 'http_5xx');
    assert.equal(f.status, 529);
    assert.equal(f.providerErrorType, 'overloaded_error');
    assert.equal(f.requestId, 'req_ant');
    assert.match(f.message, /Overloaded/);
  });

  it('other 4xx keeps message, type and code', async () => {
    const { failure: f } = await failure('400');
    assert.equal(f.errorClass, 'http_4xx');
    assert.equal(f.status, 400);
    assert.equal(f.providerErrorType, 'invalid_request_error');
    assert.equal(f.providerErrorCode, 'unsupported_parameter');
    assert.match(f.message, /Unsupported parameter/);
  });

  it('never lets the API key into the message, excerpt or headers', async () => {
    const { failure: f } = await failure('echo');
    assert.equal(f.errorClass, 'http_4xx');
    const everything = JSON.stringify(f);
    assert.ok(!everything.includes(KEY), everything);
    assert.ok(!everything.includes('SECRET'), 'no fragment of the key either');
    assert.match(f.message, /redacted/);
  });

  it('a reset before headers is a network error', async () => {
    const { failure: f } = await failure('reset');
    assert.equal(f.errorClass, 'network');
    assert.equal(f.status, null);
  });

  it('a refused connection is a network error', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const client = createProviderClient(
      {
        name: 'gone',
        kind: 'openai',
        baseUrl: `http://127.0.0.1:${port}/v1`,
        headers: {},
        anthropicVersion: '',
        idempotencyHeader: null,
        streamUsage: true,
        maxResponseBytes: 0,
        modelMap: {},
        models: {},
      },
      { connections: 1, env: {} },
    );
    clients.push(client);
    await assert.rejects(
      client.send(request, { model: 'm', stream: false, timeouts: TIMEOUTS }),
      (e: unknown) => {
        assert.ok(isAttemptError(e));
        assert.equal(e.failure.errorClass, 'network');
        assert.match(e.failure.message, /ECONNREFUSED/);
        return true;
      },
    );
  });

  it('a server that hangs before headers yields timeout_headers within the timeout', async () => {
    const { failure: f, elapsedMs } = await failure('hang', { timeouts: { headersMs: 150 } });
    assert.equal(f.errorClass, 'timeout_headers');
    // undici checks header and body timeouts on a coarse (~0.5 s) tick.
    assert.ok(elapsedMs >= 140 && elapsedMs < GIVE_UP_MS, `took ${elapsedMs} ms`);
  });

  it('a stream that stalls mid-way yields timeout_body', async () => {
    const { failure: f, elapsedMs } = await failure('stall', { stream: true, timeouts: { bodyMs: 150 } });
    assert.equal(f.errorClass, 'timeout_body');
    assert.ok(f.ttftMs !== null, 'the first token had arrived');
    assert.ok(elapsedMs >= 140 && elapsedMs < GIVE_UP_MS, `took ${elapsedMs} ms`);
  });

  it('an answer that keeps trickling past the attempt timeout yields timeout_total', async () => {
    const { failure: f, elapsedMs } = await failure('trickle', { stream: true, timeouts: { totalMs: 200 } });
    assert.equal(f.errorClass, 'timeout_total');
    assert.ok(elapsedMs >= 190 && elapsedMs < GIVE_UP_MS, `took ${elapsedMs} ms`);
  });

  it('the caller aborting is canceled, before or during the attempt', async () => {
    const { failure: f, elapsedMs } = await failure('hang', { signal: AbortSignal.timeout(60) });
    assert.equal(f.errorClass, 'canceled');
    assert.ok(elapsedMs < GIVE_UP_MS);
    const pre = await failure('hang', { signal: AbortSignal.abort() });
    assert.equal(pre.failure.errorClass, 'canceled');
  });

  for (const [name, stream, pattern] of [
    ['html', false, /HTML/],
    ['html', true, /HTML/],
    ['truncated', false, /not valid JSON/],
    ['plain', false, /not valid JSON/],
    ['badsse', true, /not valid JSON/],
    ['huge', false, /size cap/],
  ] as const) {
    it(`${name} (${stream ? 'streaming' : 'whole'}) is a protocol error`, async () => {
      const { failure: f } = await failure(name, { stream, config: { maxResponseBytes: 100_000 } });
      assert.equal(f.errorClass, 'protocol');
      assert.match(f.message, pattern);
    });
  }

  it('the HTML page is kept as an excerpt', async () => {
    const { failure: f } = await failure('html');
    assert.match(f.bodyExcerpt ?? '', /502 Bad Gateway/);
  });

  it('a stream that ends without [DONE] after content is stream_interrupted', async () => {
    const { failure: f } = await failure('nodone', { stream: true });
    assert.equal(f.errorClass, 'stream_interrupted');
    assert.ok(f.ttftMs !== null);
  });

  it('a stream whose connection is cut after content is stream_interrupted', async () => {
    const { failure: f } = await failure('cut', { stream: true });
    assert.equal(f.errorClass, 'stream_interrupted');
  });

  it('an error object inside the stream is stream_interrupted with its type kept', async () => {
    const { failure: f } = await failure('instream', { stream: true });
    assert.equal(f.errorClass, 'stream_interrupted');
    assert.equal(f.providerErrorType, 'server_error');
  });

  it('a JSON answer to a streaming request is still read', async () => {
    const client = clientFor('jsonwhenstreaming');
    const r = await client.send(request, { model: 'm', stream: true, timeouts: TIMEOUTS });
    assert.equal(r.text, 'whole');
    assert.equal(r.timing.tpotMs, null, 'no per-token time without a stream');
  });
});

describe('classifyThrown', () => {
  const ctx: FailureContext = {
    provider: 'p',
    apiKey: KEY,
    status: null,
    headers: {},
    requestId: null,
    headersMs: null,
    ttftMs: null,
    totalMs: 5,
  };
  const t = { abortedBy: null, totalTimeoutMs: 100, bodyStarted: false, streaming: false };

  it('maps undici timeouts to their phase', () => {
    assert.equal(
      classifyThrown(ctx, t, new undiciErrors.ConnectTimeoutError()).failure.errorClass,
      'timeout_connect',
    );
    assert.equal(
      classifyThrown(ctx, t, new undiciErrors.HeadersTimeoutError()).failure.errorClass,
      'timeout_headers',
    );
    assert.equal(
      classifyThrown(ctx, t, new undiciErrors.BodyTimeoutError()).failure.errorClass,
      'timeout_body',
    );
  });

  it('maps socket-level codes to network', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']) {
      const e = Object.assign(new Error(`connect ${code}`), { code });
      assert.equal(classifyThrown(ctx, t, e).failure.errorClass, 'network', code);
    }
    assert.equal(
      classifyThrown(ctx, t, new undiciErrors.SocketError('other side closed')).failure.errorClass,
      'network',
    );
  });

  it('our own abort wins over the error it causes', () => {
    const abort = new DOMException('aborted', 'AbortError');
    assert.equal(
      classifyThrown(ctx, { ...t, abortedBy: 'total' }, abort).failure.errorClass,
      'timeout_total',
    );
    assert.equal(classifyThrown(ctx, { ...t, abortedBy: 'caller' }, abort).failure.errorClass, 'canceled');
  });

  it('scrubs the key and bearer tokens from any text', () => {
    const s = scrubSecrets(`key ${KEY}; Authorization: Bearer abc.def; other sk-proj-zzzzzzzzzzzz`, KEY);
    assert.ok(!s.includes(KEY) && !s.includes('abc.def') && !s.includes('sk-proj'), s);
  });
});
