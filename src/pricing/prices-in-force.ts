import type { ExperimentConfig, ModelConfig } from '../config/types.js';

/** The prices a run used, per provider and model, as stored in `runs.prices_json`. */
export interface PricesInForce {
  baseline: Record<string, ModelConfig>;
  candidate: Record<string, ModelConfig>;
}

export function pricesInForce(config: ExperimentConfig): PricesInForce {
  return { baseline: config.providers.baseline.models, candidate: config.providers.candidate.models };
}

export function pricesJson(config: ExperimentConfig): string {
  return JSON.stringify(pricesInForce(config));
}
