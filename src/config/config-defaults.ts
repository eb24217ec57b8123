import type { ProviderConfig, RunSettings } from './types.js';

/** Provider settings a config may leave out, written out as data so the README can quote them. */
export const DEFAULT_PROVIDER_SETTINGS = {
  headers: {},
  anthropicVersion: '2023-06-01',
  idempotencyHeader: 'Idempotency-Key',
  streamUsage: true,
  maxResponseBytes: 4 * 1024 * 1024,
  modelMap: {},
  models: {},
} as const satisfies Partial<ProviderConfig>;

/** The `run:` block's defaults. Flags on `shadowgate run` override them. */
export const DEFAULT_RUN_SETTINGS: Readonly<RunSettings> = {
  concurrency: 16,
  stream: true,
};

/**
 * Header names that carry credentials. A config that sets one in `headers`
 * is refused: the key would end up in the config file and, worse, in logs;
 * `apiKeyEnv` is the way.
 */
export const CREDENTIAL_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
];
