import type { RetryPolicy } from '../retry/policy.js';
import type { ExperimentConfig, ModelConfig, ProviderConfig } from './types.js';

/**
 * The model a provider is sent for a recorded model (through `modelMap`; an
 * unmapped name passes through unchanged) and its prices, or null when the
 * config has none: the runner decides whether that is fatal (e.g. with a budget).
 */
export function resolveModel(
  provider: ProviderConfig,
  recordedModel: string,
): { model: string; prices: ModelConfig | null } {
  const model = Object.hasOwn(provider.modelMap, recordedModel)
    ? provider.modelMap[recordedModel]!
    : recordedModel;
  const prices = Object.hasOwn(provider.models, model) ? provider.models[model]! : null;
  return { model, prices };
}

/** The retry policy in force for a provider: its own `retry:` merged over the top-level one. */
export function retryPolicyFor(config: ExperimentConfig, provider: ProviderConfig): RetryPolicy {
  if (!provider.retry) return config.retry;
  return {
    ...config.retry,
    ...provider.retry,
    budget: { ...config.retry.budget, ...provider.retry.budget },
    breaker: { ...config.retry.breaker, ...provider.retry.breaker },
  };
}
