import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planResponse } from '../../src/sim/plan.js';
import { BUILTIN_PROFILES, type SimProfile } from '../../src/sim/profiles.js';
import { parseChatCompletionsRequest, type SimRequest } from '../../src/sim/sim-request.js';

function request(prompt: string, extra: Record<string, unknown> = {}): SimRequest {
  const parsed = parseChatCompletionsRequest({
    model: 'm',
    messages: [{ role: 'user', content: prompt }],
    ...extra,
  });
  assert.notEqual(typeof parsed, 'string');
  return parsed as SimRequest;
}

function profile(overrides: Partial<SimProfile> = {}): SimProfile {
  return {
    ...structuredClone(BUILTIN_PROFILES['openai-like']),
    variability: 0,
    faultRates: {},
    ...overrides,
  };
}

function words(text: string): string[] {
  return text.toLowerCase().replace(/\./g, '').split(' ');
}

function changedShare(a: string, b: string): number {
  const wa = words(a);
  const wb = words(b);
  assert.equal(wa.length, wb.length);
  return wa.filter((w, i) => w !== wb[i]).length / wa.length;
}

const text = (p: SimProfile, prompt: string, sample = 0, seed = 11, extra: Record<string, unknown> = {}) =>
  planResponse(p, seed, request(prompt, extra), sample, 'none').answer;

describe('content', () => {
  it('is the same for the same (seed, prompt, sample) whatever the latency and fault settings', () => {
    const a = profile({ name: 'a' });
    const b = profile({
      name: 'b',
      ttft: { fixedMs: 5 },
      faultRates: { '500': 0.5 },
      jsonBreakRate: 0.5,
      retryAfterMs: 3,
    });
    for (let i = 0; i < 20; i++) assert.equal(text(a, `q${i}`).text, text(b, `q${i}`).text);
  });

  it('differs across seeds and across prompts', () => {
    const p = profile();
    assert.notEqual(text(p, 'q', 0, 1).text, text(p, 'q', 0, 2).text);
    assert.notEqual(text(p, 'q1').text, text(p, 'q2').text);
  });

  it('a shorter output profile answers with a prefix of the same base answer', () => {
    const long = text(profile(), 'prefix check');
    const short = text(BUILTIN_PROFILES.steady, 'prefix check');
    const wl = words(long.text);
    const ws = words(short.text);
    assert.ok(ws.length < wl.length);
    assert.deepEqual(ws, wl.slice(0, ws.length));
  });

  it('drift changes about that share of words, the same way on every sample', () => {
    const base = profile({ name: 'base' });
    const drifted = profile({ name: 'cand', drift: 0.2 });
    let changed = 0;
    let total = 0;
    for (let i = 0; i < 60; i++) {
      const b = text(base, `drift ${i}`).text;
      const d0 = text(drifted, `drift ${i}`, 0).text;
      assert.equal(text(drifted, `drift ${i}`, 5).text, d0);
      const n = words(b).length;
      changed += changedShare(b, d0) * n;
      total += n;
    }
    const share = changed / total;
    assert.ok(share > 0.15 && share < 0.25, `drift share ${share}`);
  });

  it('variability makes about that share of calls differ a little from the base answer', () => {
    const base = text(profile(), 'noisy prompt').text;
    const noisy = profile({ variability: 0.3 });
    let varied = 0;
    for (let sample = 0; sample < 400; sample++) {
      const answer = text(noisy, 'noisy prompt', sample);
      const share = changedShare(base, answer.text);
      if (answer.varied) {
        varied++;
        assert.ok(share > 0 && share <= 0.1, `a noisy sample changed ${share} of words`);
      } else assert.equal(share, 0);
    }
    assert.ok(varied > 90 && varied < 150, `varied ${varied} of 400`);
  });

  it('respects max_tokens and says length when it cuts', () => {
    let cut = 0;
    for (let i = 0; i < 200; i++) {
      const plan = planResponse(profile(), 3, request(`len ${i}`, { max_tokens: 150 }), 0, 'none');
      assert.ok(plan.completionTokens <= 150);
      assert.equal(plan.completionTokens, plan.answer.pieces.length);
      if (plan.answer.finishReason === 'length') {
        cut++;
        assert.equal(plan.completionTokens, 150);
      } else assert.equal(plan.answer.finishReason, 'stop');
    }
    assert.ok(cut > 20 && cut < 180, `cut ${cut}`);
    const completion = planResponse(profile(), 3, request('x', { max_completion_tokens: 3 }), 0, 'none');
    assert.equal(completion.completionTokens, 3);
  });

  it('longer prompts get longer answers on average', () => {
    const p = profile({ output: { ...profile().output, perPromptToken: 0.5 } });
    let short = 0;
    let long = 0;
    for (let i = 0; i < 50; i++) {
      short += planResponse(p, 1, request(`s${i}`), 0, 'none').completionTokens;
      long += planResponse(p, 1, request(`l${i} ${'word '.repeat(400)}`), 0, 'none').completionTokens;
    }
    assert.ok(long > short + 50 * 100, `short ${short} long ${long}`);
  });

  it('answers valid JSON for json_object and fills a json_schema', () => {
    const plain = text(profile(), 'json please', 0, 1, { response_format: { type: 'json_object' } });
    assert.equal(plain.kind, 'json');
    assert.equal(typeof JSON.parse(plain.text), 'object');
    assert.equal(plain.pieces.join(''), plain.text);

    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string' },
        score: { type: 'number' },
        count: { type: 'integer' },
        ok: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' } },
        level: { enum: ['low', 'high'] },
      },
    };
    const filled = text(profile(), 'schema please', 0, 1, {
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
    });
    const value = JSON.parse(filled.text);
    assert.equal(typeof value.title, 'string');
    assert.equal(typeof value.score, 'number');
    assert.ok(Number.isInteger(value.count));
    assert.equal(typeof value.ok, 'boolean');
    assert.ok(Array.isArray(value.tags) && value.tags.every((t: unknown) => typeof t === 'string'));
    assert.ok(['low', 'high'].includes(value.level));
  });

  it('jsonBreakRate breaks JSON answers', () => {
    const broken = text(profile({ jsonBreakRate: 1 }), 'json', 0, 1, {
      response_format: { type: 'json_object' },
    });
    assert.equal(broken.kind, 'json-broken');
    assert.throws(() => JSON.parse(broken.text));
  });

  it('answers with a tool call to the first tool at the profile rate', () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } },
        },
      },
      { type: 'function', function: { name: 'other' } },
    ];
    const call = text(profile({ toolCallRate: 1 }), 'weather?', 0, 1, { tools });
    assert.equal(call.kind, 'tool-call');
    assert.equal(call.toolName, 'get_weather');
    assert.equal(call.finishReason, 'tool_calls');
    const args = JSON.parse(call.text);
    assert.equal(typeof args.city, 'string');
    assert.ok(Number.isInteger(args.days));
    assert.equal(text(profile({ toolCallRate: 0 }), 'weather?', 0, 1, { tools }).kind, 'text');
    let calls = 0;
    for (let i = 0; i < 200; i++) {
      if (text(profile({ toolCallRate: 0.5 }), `w${i}`, 0, 1, { tools }).kind === 'tool-call') calls++;
    }
    assert.ok(calls > 70 && calls < 130, `calls ${calls}`);
  });

  it('misreports the model and inflates prompt tokens when the profile says so', () => {
    const honest = planResponse(profile(), 1, request('count me'), 0, 'none');
    const liar = planResponse(
      profile({ misreport: { model: 'cheap-model', promptTokenFactor: 2 } }),
      1,
      request('count me'),
      0,
      'none',
    );
    assert.equal(honest.model, 'm');
    assert.equal(liar.model, 'cheap-model');
    assert.equal(liar.promptTokens, honest.promptTokens * 2);
  });
});

describe('prompt token estimate', () => {
  it('grows with the prompt and counts every message', () => {
    const one = request('a'.repeat(400));
    const two = parseChatCompletionsRequest({
      model: 'm',
      messages: [
        { role: 'system', content: 'a'.repeat(400) },
        { role: 'user', content: [{ type: 'text', text: 'a'.repeat(400) }] },
      ],
    }) as SimRequest;
    assert.ok(one.promptTokens >= 100 && one.promptTokens < 110);
    assert.ok(two.promptTokens >= 2 * one.promptTokens - 1);
  });
});
