import type { ExperimentConfig, ModelConfig, ProviderConfig } from '../config/types.js';

/** What a price's source is called when the config set it. */
export const CONFIG_SOURCE = 'config';

/** The prices a run used, per provider and model, as stored in `runs.prices_json`. */
export interface PricesInForce {
  baseline: Record<string, ModelConfig>;
  candidate: Record<string, ModelConfig>;
  /** Per provider, model -> `config` or the price file's path. */
  sources: { baseline: Record<string, string>; candidate: Record<string, string> };
}

export function pricesInForce(config: ExperimentConfig): PricesInForce {
  const { baseline, candidate } = config.providers;
  return {
    baseline: baseline.models,
    candidate: candidate.models,
    sources: { baseline: priceSources(baseline), candidate: priceSources(candidate) },
  };
}

/** Model -> where its price came from: `config`, or the file named in priceSources. */
export function priceSources(provider: ProviderConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const model of Object.keys(provider.models)) {
    out[model] =
      provider.priceSources && Object.hasOwn(provider.priceSources, model)
        ? provider.priceSources[model]!
        : CONFIG_SOURCE;
  }
  return out;
}

export function pricesJson(config: ExperimentConfig): string {
  return JSON.stringify(pricesInForce(config));
}
