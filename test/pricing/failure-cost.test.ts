import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelConfig } from '../../src/config/types.js';
import { estimateTextTokens, worstCaseCostUsd } from '../../src/pricing/cost.js';
import { estimatedFailureCostUsd, type FailedAttempt } from '../../src/pricing/failure-cost.js';

const prices = { inputPerMTok: 2, outputPerMTok: 8 } as ModelConfig;
const basis = { estimatedInputTokens: 100, maxOutputTokens: 50, prices };
const worst = worstCaseCostUsd(100, 50, prices);
const f = (over: Partial<FailedAttempt>): FailedAttempt => ({
  errorClass: 'timeout_total',
  bytesArrived: true,
  streamed: true,
  abandoned: false,
  ...over,
});

describe('estimatedFailureCostUsd', () => {
  it('is $0 for what a provider does not bill: error statuses, no connection, engine refusals', () => {
    for (const errorClass of [
      'http_429',
      'http_4xx',
      'http_5xx',
      'timeout_connect',
      'circuit_open',
    ] as const) {
      assert.equal(estimatedFailureCostUsd(f({ errorClass }), basis), 0, errorClass);
    }
    assert.equal(estimatedFailureCostUsd(f({ errorClass: 'network', bytesArrived: false }), basis), 0);
  });

  it('a broken stream costs its input and what had streamed; a whole answer its output cap', () => {
    const text = 'abcdefghi \u00e9\u00e9'; // 10 ASCII characters (4 tokens) and 2 others (2 tokens)
    assert.equal(estimateTextTokens(text), 6);
    const streamed = estimatedFailureCostUsd(
      f({ errorClass: 'stream_interrupted', partialOutputText: text }),
      basis,
    );
    assert.equal(streamed, (100 * 2 + 6 * 8) / 1e6);
    assert.equal(
      estimatedFailureCostUsd(f({ errorClass: 'network', partialOutputText: null }), basis),
      200 / 1e6,
    );
    assert.equal(
      estimatedFailureCostUsd(f({ errorClass: 'timeout_headers', streamed: false }), basis),
      worst,
    );
  });

  it('an abandoned attempt costs its worst case, and no estimate exceeds it', () => {
    assert.equal(estimatedFailureCostUsd(f({ abandoned: true, errorClass: 'http_5xx' }), basis), worst);
    const long = 'x'.repeat(10_000);
    assert.equal(
      estimatedFailureCostUsd(f({ errorClass: 'stream_interrupted', partialOutputText: long }), basis),
      worst,
    );
  });
});
