import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExperimentConfig } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate-config.js';
import {
  loadPriceFile,
  lookupPrice,
  parseLiteLlmPrices,
  withFilePrices,
} from '../../src/pricing/litellm-prices.js';
import { pricesInForce } from '../../src/pricing/prices-in-force.js';
import { ConfigError } from '../../src/shared/errors.js';

const FIXTURE = 'test/fixtures/litellm-prices.json';

function config(): ExperimentConfig {
  const result = validateConfig({
    providers: {
      baseline: {
        kind: 'openai',
        baseUrl: 'https://api.openai.com/v1',
        models: { 'gpt-4.1': { inputPerMTok: 3, outputPerMTok: 9 } },
      },
      candidate: {
        kind: 'anthropic',
        baseUrl: 'https://api.anthropic.com/v1',
        modelMap: { 'gpt-4.1': 'claude-haiku-4-5', 'o3-mini': 'not-in-the-file' },
      },
    },
  });
  if ('errors' in result) throw new Error(result.errors.join('\n'));
  return result.value;
}

describe('LiteLLM price file', () => {
  it('reads per-token costs as USD per 1M tokens, all five fields, and skips non-token models', () => {
    const table = loadPriceFile(FIXTURE);
    assert.equal(table.source, FIXTURE);
    assert.deepEqual(
      [...table.models.keys()],
      ['gpt-4.1', 'relay-4.1', 'o3-mini', 'anthropic/claude-haiku-4-5'],
    );
    assert.deepEqual(table.models.get('gpt-4.1'), {
      inputPerMTok: 2,
      outputPerMTok: 8,
      cachedInputPerMTok: 0.5,
    });
    assert.deepEqual(table.models.get('o3-mini'), {
      inputPerMTok: 1.1,
      outputPerMTok: 4.4,
      cachedInputPerMTok: 0.55,
      reasoningPerMTok: 4.4,
    });
    assert.deepEqual(table.models.get('anthropic/claude-haiku-4-5'), {
      inputPerMTok: 1,
      outputPerMTok: 5,
      cachedInputPerMTok: 0.1,
      cacheWritePerMTok: 1.25,
    });
    assert.equal(lookupPrice(table, 'claude-haiku-4-5', 'anthropic')?.cacheWritePerMTok, 1.25);
    assert.equal(lookupPrice(table, 'claude-haiku-4-5', 'openai'), null);
  });

  it('refuses a file that is missing, not JSON or not an object, naming it', () => {
    assert.throws(
      () => loadPriceFile('test/fixtures/none.json'),
      /price file not found: test\/fixtures\/none\.json/,
    );
    assert.throws(
      () => loadPriceFile('README.md'),
      (e: unknown) => e instanceof ConfigError && /README\.md/.test(e.message),
    );
    assert.throws(() => parseLiteLlmPrices([], 'x.json'), /price file x\.json: must be a JSON object/);
  });

  it('fills only models the config does not price, after modelMap; config wins; sources say which', () => {
    const before = config();
    const snapshot = JSON.stringify(before);
    const filled = withFilePrices(before, loadPriceFile(FIXTURE), ['gpt-4.1', 'o3-mini']);
    assert.equal(JSON.stringify(before), snapshot, 'the input config is not changed');
    // The baseline prices gpt-4.1 itself (3/9, not the file's 2/8); it sends o3-mini as recorded.
    assert.deepEqual(filled.providers.baseline.models['gpt-4.1'], { inputPerMTok: 3, outputPerMTok: 9 });
    assert.equal(filled.providers.baseline.models['o3-mini']?.reasoningPerMTok, 4.4);
    // The candidate is sent claude-haiku-4-5 (found under anthropic/...) and not-in-the-file (left unpriced).
    assert.deepEqual(Object.keys(filled.providers.candidate.models), ['claude-haiku-4-5']);
    assert.deepEqual(pricesInForce(filled).sources, {
      baseline: { 'gpt-4.1': 'config', 'o3-mini': FIXTURE },
      candidate: { 'claude-haiku-4-5': FIXTURE },
    });
  });
});
