/**
 * Builds a provider client from its config: the kind picks the protocol, the
 * transport (undici Pool, timeouts, classification) is shared.
 */
import type { ProviderConfig } from '../config/types.js';
import type { Clock } from '../shared/clock.js';
import { UsageError } from '../shared/errors.js';
import { anthropicAdapter, DEFAULT_ANTHROPIC_VERSION } from './anthropic-messages.js';
import { openAIAdapter } from './openai-chat.js';
import type { ProtocolAdapter } from './protocol-adapter.js';
import type { ProviderClient } from './types.js';
import { UndiciProviderClient } from './undici-provider-client.js';

/** Default cap on one response body when the config sets none, bytes (4 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface ProviderClientOptions {
  /** Most concurrent connections to this provider; size it to the run's concurrency. */
  connections: number;
  /** Where the API key is read from (the variable `config.apiKeyEnv` names). */
  env: Record<string, string | undefined>;
  /** Monotonic timing of attempts. Default: performance.now(). */
  clock?: Clock;
}

/**
 * Throws UsageError naming the env var (never a value) when config.apiKeyEnv
 * is set but the variable is unset or empty.
 */
export function createProviderClient(config: ProviderConfig, options: ProviderClientOptions): ProviderClient {
  let apiKey: string | null = null;
  if (config.apiKeyEnv) {
    const value = options.env[config.apiKeyEnv];
    if (value === undefined || value.length === 0) {
      throw new UsageError(
        `provider ${config.name}: environment variable ${config.apiKeyEnv} is not set (it should hold the API key)`,
      );
    }
    apiKey = value;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', ...config.headers };
  let adapter: ProtocolAdapter;
  switch (config.kind) {
    case 'openai':
      adapter = openAIAdapter({ streamUsage: config.streamUsage !== false });
      if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
      break;
    case 'anthropic':
      adapter = anthropicAdapter();
      headers['anthropic-version'] = config.anthropicVersion || DEFAULT_ANTHROPIC_VERSION;
      if (apiKey !== null) headers['x-api-key'] = apiKey;
      break;
    default:
      throw new UsageError(
        `provider ${config.name}: unknown kind ${String((config as { kind: unknown }).kind)}`,
      );
  }
  return new UndiciProviderClient({
    name: config.name,
    baseUrl: config.baseUrl,
    adapter,
    headers,
    idempotencyHeader: config.idempotencyHeader === undefined ? 'Idempotency-Key' : config.idempotencyHeader,
    apiKey,
    connections: Math.max(1, Math.floor(options.connections)),
    maxResponseBytes: config.maxResponseBytes > 0 ? config.maxResponseBytes : DEFAULT_MAX_RESPONSE_BYTES,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

/** The model name to send for a recorded model: `modelMap` when it has one, else the recorded name. */
export function mapModel(config: Pick<ProviderConfig, 'modelMap'>, recordedModel: string): string {
  return config.modelMap?.[recordedModel] ?? recordedModel;
}
