/**
 * Prices from LiteLLM's `model_prices_and_context_window.json`: one object
 * per model, costs in USD per token. Read for models the config does not
 * price; the config always wins (see withFilePrices).
 */
import { readFileSync } from 'node:fs';
import { resolveModel } from '../config/resolve-model.js';
import type { ExperimentConfig, ModelConfig, ProviderConfig } from '../config/types.js';
import { ConfigError } from '../shared/errors.js';

/** LiteLLM's per-token field -> our per-1M-token key. */
export const LITELLM_FIELDS = {
  input_cost_per_token: 'inputPerMTok',
  output_cost_per_token: 'outputPerMTok',
  cache_read_input_token_cost: 'cachedInputPerMTok',
  cache_creation_input_token_cost: 'cacheWritePerMTok',
  output_cost_per_reasoning_token: 'reasoningPerMTok',
} as const satisfies Record<string, keyof ModelConfig>;

export interface PriceTable {
  /** Where the prices came from (the file's path), as the report shows it. */
  source: string;
  /** Model name (as the file spells it) -> prices, USD per 1M tokens. */
  models: Map<string, ModelConfig>;
}

/** Per token -> per 1M tokens, without float dust (2.5e-6 x 1e6 is 2.4999999999999996). */
const perMTok = (perToken: number) => Number((perToken * 1_000_000).toPrecision(12));
const isCost = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Parses the file's content. Entries without both an input and an output
 * price per token (image, audio, embedding-only models; the `sample_spec`
 * entry) are left out; other fields are ignored.
 */
export function parseLiteLlmPrices(json: unknown, source: string): PriceTable {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`price file ${source}: must be a JSON object of model name -> prices`);
  }
  const models = new Map<string, ModelConfig>();
  for (const [name, entry] of Object.entries(json)) {
    if (name === 'sample_spec' || typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    if (!isCost(e['input_cost_per_token']) || !isCost(e['output_cost_per_token'])) continue;
    const prices: Record<string, number> = {};
    for (const [field, key] of Object.entries(LITELLM_FIELDS)) {
      const v = e[field];
      if (isCost(v)) prices[key] = perMTok(v);
    }
    models.set(name, prices as unknown as ModelConfig);
  }
  return { source, models };
}

/** Reads a price file; ConfigError naming it when it cannot be read or is not JSON. */
export function loadPriceFile(path: string): PriceTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `price file not found: ${path}`
        : `cannot read price file ${path}: ${(err as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`invalid JSON in price file ${path}: ${(err as Error).message}`);
  }
  return parseLiteLlmPrices(json, path);
}

/**
 * A model's prices in the table: its own name, else LiteLLM's
 * provider-prefixed spelling (`anthropic/claude-...`, `openai/gpt-...`).
 */
export function lookupPrice(
  table: PriceTable,
  model: string,
  kind: ProviderConfig['kind'],
): ModelConfig | null {
  return table.models.get(model) ?? table.models.get(`${kind}/${model}`) ?? null;
}

/**
 * The config with prices from `table` added for the models the recorded
 * `models` resolve to (after modelMap) that the config does not price.
 * Config prices win; each added model is named in the provider's
 * `priceSources` with the table's source. Pure: the input is not changed.
 */
export function withFilePrices(
  config: ExperimentConfig,
  table: PriceTable,
  recordedModels: readonly string[],
): ExperimentConfig {
  const fill = (provider: ProviderConfig): ProviderConfig => {
    const models = { ...provider.models };
    const priceSources = { ...provider.priceSources };
    for (const recorded of recordedModels) {
      const { model, prices } = resolveModel({ ...provider, models }, recorded);
      if (prices !== null) continue;
      const found = lookupPrice(table, model, provider.kind);
      if (found === null) continue;
      models[model] = { ...found };
      priceSources[model] = table.source;
    }
    return Object.keys(priceSources).length > 0 ? { ...provider, models, priceSources } : provider;
  };
  return {
    ...config,
    providers: { baseline: fill(config.providers.baseline), candidate: fill(config.providers.candidate) },
  };
}
