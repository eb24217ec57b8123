import { type RetryPolicy, validateRetryPolicy } from '../retry/policy.js';
import { checkShape } from '../shared/field-schema.js';
import { DEFAULT_PROVIDER_SETTINGS, DEFAULT_RUN_SETTINGS } from './config-defaults.js';
import { CONFIG_SHAPE, PROVIDER_NAMES } from './config-schema.js';
import type { ExperimentConfig, ModelConfig, ProviderConfig, ProviderKind, RunSettings } from './types.js';

export { PROVIDER_KINDS, PROVIDER_NAMES } from './config-schema.js';

type Mapping = Record<string, unknown>;

/**
 * Validates an experiment config (already parsed from YAML or JSON) and fills
 * in defaults. Pure. Collects every problem, each with its path
 * (`providers.candidate.baseUrl: not a URL`), rather than stopping at the
 * first. The shape is CONFIG_SHAPE (config-schema.ts), the same definition
 * schema/shadowgate.config.schema.json is generated from.
 */
export function validateConfig(input: unknown): { value: ExperimentConfig } | { errors: string[] } {
  const errors: string[] = [];
  checkShape(CONFIG_SHAPE, input, '', errors);
  if (errors.length > 0 && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    return { errors };
  }
  const top = input as Mapping;
  const retry = validateRetryPolicy(top['retry'], 'retry');
  const basePolicy = 'value' in retry ? retry.value : undefined;
  const providersInput = (top['providers'] ?? {}) as Mapping;
  const providers: Partial<Record<(typeof PROVIDER_NAMES)[number], ProviderConfig>> = {};
  for (const name of PROVIDER_NAMES) {
    const provider = providersInput[name] as Mapping | undefined;
    if (typeof provider !== 'object' || provider === null) continue;
    // A provider's own retry is merged over the top-level policy, so cross-key rules
    // (maxDelayMs >= baseDelayMs) are checked on the merge, not on the defaults.
    let providerRetry: RetryPolicy | undefined;
    if (basePolicy && provider['retry'] !== undefined && provider['retry'] !== null) {
      const merged = validateRetryPolicy(provider['retry'], `providers.${name}.retry`, basePolicy);
      if ('errors' in merged) {
        for (const e of merged.errors) if (!errors.includes(e)) errors.push(e);
      } else providerRetry = merged.value;
    }
    if (errors.length === 0) providers[name] = buildProvider(name, provider, providerRetry);
  }
  if (errors.length > 0 || !providers.baseline || !providers.candidate || !basePolicy) return { errors };
  return {
    value: {
      providers: { baseline: providers.baseline, candidate: providers.candidate },
      retry: basePolicy,
      run: buildRun(top['run'] as Mapping | null | undefined),
    },
  };
}

/** The typed provider, defaults filled in; its input has passed checkShape. */
function buildProvider(name: string, input: Mapping, retry: RetryPolicy | undefined): ProviderConfig {
  const or = <T>(key: string, fallback: T): T => (input[key] ?? fallback) as T;
  const models: Record<string, ModelConfig> = {};
  for (const [model, prices] of Object.entries(or<Mapping>('models', {}))) {
    models[model] = { ...(prices as ModelConfig) };
  }
  const provider: ProviderConfig = {
    name,
    kind: input['kind'] as ProviderKind,
    baseUrl: (input['baseUrl'] as string).replace(/\/+$/, ''),
    headers: { ...or<Record<string, string>>('headers', DEFAULT_PROVIDER_SETTINGS.headers) },
    anthropicVersion: or('anthropicVersion', DEFAULT_PROVIDER_SETTINGS.anthropicVersion),
    idempotencyHeader:
      input['idempotencyHeader'] === undefined
        ? DEFAULT_PROVIDER_SETTINGS.idempotencyHeader
        : (input['idempotencyHeader'] as string | null),
    streamUsage: or('streamUsage', DEFAULT_PROVIDER_SETTINGS.streamUsage),
    maxResponseBytes: or('maxResponseBytes', DEFAULT_PROVIDER_SETTINGS.maxResponseBytes),
    modelMap: { ...or<Record<string, string>>('modelMap', DEFAULT_PROVIDER_SETTINGS.modelMap) },
    models,
  };
  if (typeof input['apiKeyEnv'] === 'string') provider.apiKeyEnv = input['apiKeyEnv'];
  // The full merged policy, so a shallow `{ ...config.retry, ...provider.retry }` is still right.
  if (retry) provider.retry = retry;
  return provider;
}

function buildRun(input: Mapping | null | undefined): RunSettings {
  return { ...DEFAULT_RUN_SETTINGS, ...(input ?? {}) } as RunSettings;
}
