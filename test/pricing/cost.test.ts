import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { encodeChat } from 'gpt-tokenizer';
import { costUsd, estimateInputTokens, maxOutputTokens, worstCaseCostUsd } from '../../src/pricing/cost.js';
import type { ChatRequest, Usage } from '../../src/providers/types.js';

const usage = (u: Partial<Usage>): Usage => ({
  inputTokens: 0,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  ...u,
});
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

describe('costUsd', () => {
  it('prices input and output per million tokens', () => {
    // 1000 in at $2/M = $0.002; 500 out at $8/M = $0.004.
    close(
      costUsd(usage({ inputTokens: 1000, outputTokens: 500 }), { inputPerMTok: 2, outputPerMTok: 8 }),
      0.006,
    );
  });

  it('prices cached input, cache writes and reasoning separately', () => {
    const prices = {
      inputPerMTok: 3,
      cachedInputPerMTok: 0.3,
      cacheWritePerMTok: 3.75,
      outputPerMTok: 15,
      reasoningPerMTok: 20,
    };
    // input 10,000 = 6,000 uncached + 3,000 cached + 1,000 cache writes; output 2,000 = 1,500 visible + 500 reasoning.
    const u = usage({
      inputTokens: 10_000,
      cachedTokens: 3_000,
      cacheWriteTokens: 1_000,
      outputTokens: 2_000,
      reasoningTokens: 500,
    });
    const expected = (6_000 * 3 + 3_000 * 0.3 + 1_000 * 3.75 + 1_500 * 15 + 500 * 20) / 1e6; // 0.05515
    close(costUsd(u, prices), expected);
    close(expected, 0.05515);
  });

  it('defaults cached, cache-write and reasoning prices to the input and output prices', () => {
    const u = usage({
      inputTokens: 1_000,
      cachedTokens: 400,
      cacheWriteTokens: 100,
      outputTokens: 300,
      reasoningTokens: 200,
    });
    close(costUsd(u, { inputPerMTok: 1, outputPerMTok: 4 }), (1_000 * 1 + 300 * 4) / 1e6);
  });

  it('clamps inconsistent counts instead of going negative', () => {
    const u = usage({ inputTokens: 100, cachedTokens: 150, outputTokens: 10, reasoningTokens: 50 });
    close(
      costUsd(u, { inputPerMTok: 1, cachedInputPerMTok: 0.5, outputPerMTok: 2, reasoningPerMTok: 3 }),
      (100 * 0.5 + 10 * 3) / 1e6,
    );
  });
});

describe('worstCaseCostUsd', () => {
  it('assumes no cache discount and the dearest output price', () => {
    close(
      worstCaseCostUsd(1_000, 500, { inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8 }),
      0.006,
    );
    close(
      worstCaseCostUsd(1_000, 500, {
        inputPerMTok: 3,
        cacheWritePerMTok: 3.75,
        outputPerMTok: 15,
        reasoningPerMTok: 20,
      }),
      (3_750 + 10_000) / 1e6,
    );
  });
});

describe('estimateInputTokens', () => {
  it('never underestimates the real token count of the sample scenario', () => {
    const lines = readFileSync('scenarios/sample.jsonl', 'utf8').trim().split('\n');
    let estimated = 0;
    let actual = 0;
    for (const text of lines) {
      const line = JSON.parse(text);
      const request: ChatRequest = line.body ?? line;
      const chat = request.messages
        .filter((m) => typeof m.content === 'string')
        .map((m) => ({
          role: m.role === 'tool' ? 'user' : m.role,
          content: m.content as string,
        })) as Parameters<typeof encodeChat>[0];
      const real = encodeChat(chat, 'gpt-4o').length;
      const guess = estimateInputTokens(request);
      assert.ok(
        guess >= real,
        `estimate ${guess} < actual ${real} for ${JSON.stringify(request).slice(0, 80)}`,
      );
      estimated += guess;
      actual += real;
    }
    // Upper-leaning, not absurd: within 2.5x over the whole sample.
    assert.ok(estimated < actual * 2.5, `estimate ${estimated} vs actual ${actual}`);
  });

  it('counts tools and response_format, and non-text parts at a flat rate', () => {
    const base: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    const withTools = {
      ...base,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: {} } }],
    };
    assert.ok(estimateInputTokens(withTools) > estimateInputTokens(base));
    const image: ChatRequest = {
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }],
    };
    assert.ok(estimateInputTokens(image) >= 1_000);
  });

  it('maxOutputTokens prefers max_completion_tokens and falls back', () => {
    const base: ChatRequest = { model: 'm', messages: [] };
    assert.equal(maxOutputTokens({ ...base, max_tokens: 64, max_completion_tokens: 128 }), 128);
    assert.equal(maxOutputTokens({ ...base, max_tokens: 64 }), 64);
    assert.equal(maxOutputTokens(base, 999), 999);
  });
});
