import type { ProviderConfig } from '../../src/config/types.js';

/** A complete OpenAI-kind provider config with test defaults. */
export function openaiConfig(baseUrl: string, over: Partial<ProviderConfig> = {}): ProviderConfig {
  return {
    name: 'candidate',
    kind: 'openai',
    baseUrl,
    apiKeyEnv: 'TEST_KEY',
    headers: { 'x-team': 'search' },
    anthropicVersion: '2023-06-01',
    idempotencyHeader: 'Idempotency-Key',
    streamUsage: true,
    maxResponseBytes: 1024 * 1024,
    modelMap: {},
    models: {},
    ...over,
  };
}

/** Generous phase timeouts for tests that are not about timeouts, ms. */
export const TIMEOUTS = { connectMs: 2000, headersMs: 2000, bodyMs: 2000, totalMs: 10_000 };
