import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../src/providers/types.js';
import { estimateUsage, normaliseAnthropicUsage, normaliseOpenAIUsage } from '../../src/providers/usage.js';

describe('usage normalisation', () => {
  it('OpenAI usage is already inclusive: cached and reasoning are split out, not added', () => {
    assert.deepEqual(
      normaliseOpenAIUsage({
        prompt_tokens: 1000,
        completion_tokens: 300,
        prompt_tokens_details: { cached_tokens: 800 },
        completion_tokens_details: { reasoning_tokens: 120 },
      }),
      { inputTokens: 1000, cachedTokens: 800, cacheWriteTokens: 0, outputTokens: 300, reasoningTokens: 120 },
    );
  });

  it('OpenAI usage without details (relays) reads as zero cached and reasoning', () => {
    assert.deepEqual(
      normaliseOpenAIUsage({ prompt_tokens: 9, completion_tokens: 2, prompt_tokens_details: null }),
      {
        inputTokens: 9,
        cachedTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 2,
        reasoningTokens: 0,
      },
    );
  });

  it("Anthropic's input_tokens excludes cache reads and writes: the inclusive input adds them", () => {
    const u = normaliseAnthropicUsage({
      input_tokens: 50,
      cache_read_input_tokens: 2000,
      cache_creation_input_tokens: 300,
      output_tokens: 40,
    });
    assert.deepEqual(u, {
      inputTokens: 2350,
      cachedTokens: 2000,
      cacheWriteTokens: 300,
      outputTokens: 40,
      reasoningTokens: 0,
    });
    assert.ok(u.inputTokens >= u.cachedTokens + u.cacheWriteTokens, 'inclusive form holds');
  });

  it('nulls and garbage count as zero rather than NaN', () => {
    const u = normaliseAnthropicUsage({
      input_tokens: null,
      output_tokens: Number.NaN,
      cache_read_input_tokens: -3,
    });
    assert.deepEqual(u, {
      inputTokens: 0,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    });
  });
});

describe('estimateUsage', () => {
  const request: ChatRequest = {
    model: 'm',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: [{ type: 'text', text: 'Summarise the plot of Hamlet in one sentence.' }] },
    ],
  };

  it('counts more tokens for longer text, and never zero for a non-empty answer', () => {
    const short = estimateUsage(request, 'Revenge.');
    const long = estimateUsage(
      request,
      'A Danish prince feigns madness to avenge his father, and nearly everyone dies.',
    );
    assert.ok(short.outputTokens >= 1);
    assert.ok(long.outputTokens > short.outputTokens + 5);
    assert.equal(short.inputTokens, long.inputTokens);
    assert.ok(short.inputTokens > 15, `input covers both messages, got ${short.inputTokens}`);
  });

  it('counts tool definitions and earlier tool calls in the input', () => {
    const plain = estimateUsage(request, '').inputTokens;
    const withTools = estimateUsage(
      {
        ...request,
        tools: [
          { type: 'function', function: { name: 'search', parameters: { type: 'object', properties: {} } } },
        ],
      },
      '',
    ).inputTokens;
    assert.ok(withTools > plain);
    assert.equal(estimateUsage(request, '').outputTokens, 0);
  });
});
