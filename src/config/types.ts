/**
 * The experiment config, after validation (see ./validate-config.ts for the
 * file shape and defaults). All durations are ms, all prices USD per 1M tokens.
 */
import type { RetryPolicy } from '../retry/policy.js';

/** Prices and limits for one model. */
export interface ModelConfig {
  inputPerMTok: number;
  /** Price of cached input tokens; defaults to inputPerMTok. */
  cachedInputPerMTok?: number;
  /** Price of cache-write tokens (Anthropic); defaults to inputPerMTok. */
  cacheWritePerMTok?: number;
  outputPerMTok: number;
  /** Reasoning tokens; defaults to outputPerMTok. */
  reasoningPerMTok?: number;
  /** Per-attempt timeout override for this model. */
  timeoutMs?: number;
}

export type ProviderKind = 'openai' | 'anthropic';

export interface ProviderConfig {
  /** The key under `providers:` (e.g. `baseline`). */
  name: string;
  kind: ProviderKind;
  /** e.g. `https://api.openai.com/v1` (no trailing slash after validation). */
  baseUrl: string;
  /** Name of the environment variable holding the API key; absent for keyless servers. */
  apiKeyEnv?: string;
  /** Extra request headers (never put keys here; use apiKeyEnv). */
  headers: Record<string, string>;
  /** Anthropic only; default `2023-06-01`. */
  anthropicVersion: string;
  /** Header carrying the idempotency key; null turns it off. Default `Idempotency-Key`. */
  idempotencyHeader: string | null;
  /** Ask for `stream_options.include_usage` when streaming. Default true. */
  streamUsage: boolean;
  /** Cap on one response body, bytes. Default 4 MiB. */
  maxResponseBytes: number;
  /** Recorded model name -> this provider's model name. */
  modelMap: Record<string, string>;
  /** Keyed by this provider's model name. */
  models: Record<string, ModelConfig>;
  /**
   * Model -> where its price came from, for prices not from the config (the
   * `--prices` file's path). Absent for a model the config prices.
   */
  priceSources?: Record<string, string>;
  /** Retry policy overrides for this provider, merged over the top-level `retry`. */
  retry?: Partial<RetryPolicy>;
}

export interface RunSettings {
  concurrency: number;
  stream: boolean;
}

export interface ExperimentConfig {
  providers: { baseline: ProviderConfig; candidate: ProviderConfig };
  retry: RetryPolicy;
  run: RunSettings;
}
