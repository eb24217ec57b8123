/**
 * The provider clients against the simulator: every fault kind, both kinds,
 * streamed and whole, classified as the retry engine expects; and the
 * official `openai` client pointed at the simulator as a cross-check of the
 * wire format.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { ProviderKind } from '../../src/config/types.js';
import { createProviderClient } from '../../src/providers/create-provider.js';
import type { ChatRequest, ProviderClient, ProviderResponse } from '../../src/providers/types.js';
import { estimateUsage } from '../../src/providers/usage.js';
import { isAttemptError, type ProviderFailure } from '../../src/shared/attempt-error.js';
import type { ErrorClass } from '../../src/shared/outcome-class.js';
import { FAULT_KINDS, type FaultKind } from '../../src/sim/faults.js';
import { BUILTIN_PROFILES } from '../../src/sim/profiles.js';
import { FORCE_FAULT_HEADER, type SimServer, startSimServer } from '../../src/sim/server.js';
import { openaiConfig } from './fixtures.js';

const request: ChatRequest = {
  model: 'sim-model',
  messages: [
    { role: 'system', content: 'You are helpful.' },
    { role: 'user', content: 'Name three rivers in Europe.' },
  ],
  max_tokens: 64,
};

/** Short phase timeouts so hang and stall fail fast; undici's timer tick adds up to ~1 s. */
const TIMEOUTS = { connectMs: 1000, headersMs: 150, bodyMs: 150, totalMs: 5000 };

type Expected = { ok: 'reported' | 'estimated' } | { errorClass: ErrorClass; status?: number };

function expected(fault: FaultKind | 'none', stream: boolean): Expected {
  switch (fault) {
    case 'none':
      return { ok: 'reported' };
    case 'missing-usage':
      return { ok: 'estimated' };
    case '429':
      return { errorClass: 'http_429', status: 429 };
    case '500':
    case '502':
    case '503':
    case '504':
    case '529':
      return { errorClass: 'http_5xx', status: Number(fault) };
    case 'reset':
      return { errorClass: 'network' };
    case 'hang':
      return { errorClass: 'timeout_headers' };
    case 'stall':
      return { errorClass: 'timeout_body' };
    // A streamed answer cut short is an interrupted stream; a whole body cut short is a dropped connection.
    case 'cutoff':
      return { errorClass: stream ? 'stream_interrupted' : 'network' };
    case 'malformed-json':
    case 'html':
      return { errorClass: 'protocol' };
  }
}

describe('provider clients against the simulator', () => {
  let sim: SimServer;
  const clients = new Map<string, ProviderClient>();
  before(async () => {
    sim = await startSimServer({ profile: BUILTIN_PROFILES.steady, seed: 7 });
    // Load the tokenizer (~0.3 s, more on a busy machine) before anything is timed.
    estimateUsage(request, 'warm up');
  });
  after(async () => {
    await Promise.all([...clients.values()].map((c) => c.close()));
    await sim.close();
  });

  function client(kind: ProviderKind, fault: string): ProviderClient {
    const key = `${kind}:${fault}`;
    let c = clients.get(key);
    if (!c) {
      c = createProviderClient(
        openaiConfig(sim.url, { kind, apiKeyEnv: undefined, headers: { [FORCE_FAULT_HEADER]: fault } }),
        { connections: 4, env: {} },
      );
      clients.set(key, c);
    }
    return c;
  }

  async function attempt(
    kind: ProviderKind,
    fault: string,
    stream: boolean,
  ): Promise<{ ok: ProviderResponse } | { failure: ProviderFailure }> {
    try {
      return {
        ok: await client(kind, fault).send(request, { model: 'sim-model', stream, timeouts: TIMEOUTS }),
      };
    } catch (e) {
      assert.ok(isAttemptError(e), `${kind} ${fault}: not an AttemptError: ${String(e)}`);
      return { failure: e.failure };
    }
  }

  for (const kind of ['openai', 'anthropic'] as const) {
    for (const stream of [false, true]) {
      it(`${kind}, ${stream ? 'streaming' : 'whole'}: every fault kind is classified, none hangs`, async () => {
        const faults = ['none', ...FAULT_KINDS] as const;
        const started = performance.now();
        const results = await Promise.all(faults.map((f) => attempt(kind, f, stream)));
        assert.ok(
          performance.now() - started < TIMEOUTS.totalMs,
          'hang and stall end on their phase timeouts',
        );
        faults.forEach((fault, i) => {
          const want = expected(fault, stream);
          const got = results[i]!;
          const label = `${kind} ${stream ? 'stream' : 'json'} fault=${fault}`;
          if ('ok' in want) {
            assert.ok('ok' in got, `${label}: failed: ${'failure' in got ? got.failure.message : ''}`);
            const r = got.ok;
            assert.equal(r.usageSource, want.ok, label);
            assert.ok(r.text.length > 0 || r.toolCalls.length > 0, label);
            assert.ok(r.usage.outputTokens > 0 && r.usage.inputTokens > 0, label);
            assert.equal(r.headers['x-sim-fault'], fault, label);
            assert.ok(r.requestId, `${label}: request id kept`);
            if (want.ok === 'reported')
              assert.equal(String(r.usage.outputTokens), r.headers['x-sim-output-tokens']);
            if (stream) assert.ok(r.timing.ttftMs !== null && r.timing.ttftMs <= r.timing.totalMs, label);
            return;
          }
          assert.ok('failure' in got, `${label}: expected ${want.errorClass}, got a success`);
          const f = got.failure;
          assert.equal(f.errorClass, want.errorClass, `${label}: ${f.message}`);
          if (want.status !== undefined) {
            assert.equal(f.status, want.status, label);
            assert.equal(f.headers['x-sim-fault'], fault, `${label}: response headers kept on the failure`);
            assert.ok(f.providerErrorType, `${label}: provider error type kept`);
          }
          if (fault === '429') {
            assert.ok(f.headers['retry-after-ms'] || f.headers['retry-after'], `${label}: retry hint kept`);
          }
        });
      });
    }
  }

  it('a broken stream reports the text that had arrived, for the estimate of what it cost', async () => {
    for (const kind of ['openai', 'anthropic'] as const) {
      const whole = await attempt(kind, 'none', true);
      assert.ok('ok' in whole);
      for (const fault of ['cutoff', 'stall'] as const) {
        const got = await attempt(kind, fault, true);
        assert.ok('failure' in got, `${kind} ${fault}`);
        const partial = got.failure.partialOutputText ?? '';
        assert.ok(partial.length > 0, `${kind} ${fault}: some text had streamed`);
        assert.ok(whole.ok.text.startsWith(partial), `${kind} ${fault}: a prefix of the answer`);
        assert.ok(partial.length < whole.ok.text.length, `${kind} ${fault}: not all of it`);
      }
      // Nothing streamed before a hang: nothing to report.
      const hang = await attempt(kind, 'hang', true);
      assert.ok('failure' in hang && (hang.failure.partialOutputText ?? null) === null);
    }
  });

  it('the official openai client reads the simulator, whole and streamed, as we do', async () => {
    const official = new OpenAI({ baseURL: sim.url, apiKey: 'sk-sim-unused', maxRetries: 0 });
    const ours = client('openai', 'none');
    const messages = request.messages as OpenAI.Chat.ChatCompletionMessageParam[];

    const whole = await official.chat.completions.create({ model: 'sim-model', messages, max_tokens: 64 });
    const oursWhole = await ours.send(request, {
      model: 'sim-model',
      stream: false,
      timeouts: { ...TIMEOUTS, headersMs: 2000, bodyMs: 2000 },
    });
    assert.ok(whole.choices[0]?.message.content);
    assert.equal(oursWhole.text, whole.choices[0]?.message.content);
    assert.equal(oursWhole.usage.inputTokens, whole.usage?.prompt_tokens);
    assert.equal(oursWhole.usage.outputTokens, whole.usage?.completion_tokens);

    const stream = await official.chat.completions.create({
      model: 'sim-model',
      messages,
      max_tokens: 64,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    const oursStream = await ours.send(request, {
      model: 'sim-model',
      stream: true,
      timeouts: { ...TIMEOUTS, headersMs: 2000, bodyMs: 2000 },
    });
    assert.equal(oursStream.text, text);
    assert.equal(text, whole.choices[0]?.message.content, 'streamed and whole answers agree');
    assert.equal(oursStream.usage.outputTokens, usage?.completion_tokens);
  });
});
