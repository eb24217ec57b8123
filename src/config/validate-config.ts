import { MAX_TIMER_MS, validateRetryPolicy } from '../retry/policy.js';
import { CREDENTIAL_HEADERS, DEFAULT_PROVIDER_SETTINGS, DEFAULT_RUN_SETTINGS } from './config-defaults.js';
import type { ExperimentConfig, ModelConfig, ProviderConfig, ProviderKind, RunSettings } from './types.js';

export const PROVIDER_NAMES = ['baseline', 'candidate'] as const;
export const PROVIDER_KINDS: readonly ProviderKind[] = ['openai', 'anthropic'];

const TOP_KEYS = ['providers', 'retry', 'run'];
const PROVIDER_KEYS = [
  'kind',
  'baseUrl',
  'apiKeyEnv',
  'headers',
  'anthropicVersion',
  'idempotencyHeader',
  'streamUsage',
  'maxResponseBytes',
  'modelMap',
  'models',
  'retry',
];
const MODEL_KEYS = [
  'inputPerMTok',
  'cachedInputPerMTok',
  'cacheWritePerMTok',
  'outputPerMTok',
  'reasoningPerMTok',
  'timeoutMs',
];
const RUN_KEYS = ['concurrency', 'stream'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

type Record_ = Record<string, unknown>;

const isMapping = (v: unknown): v is Record_ => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates an experiment config (already parsed from YAML or JSON) and fills
 * in defaults. Pure. Collects every problem, each with its path
 * (`providers.candidate.baseUrl: not a URL`), rather than stopping at the first.
 */
export function validateConfig(input: unknown): { value: ExperimentConfig } | { errors: string[] } {
  const errors: string[] = [];
  if (!isMapping(input)) return { errors: ['(top level): must be a mapping with providers, retry and run'] };
  unknownKeys(input, TOP_KEYS, '', errors);

  const retry = validateRetryPolicy(input['retry'], 'retry');
  if ('errors' in retry) errors.push(...retry.errors);
  const basePolicy = 'value' in retry ? retry.value : undefined;

  const providers: Partial<Record<(typeof PROVIDER_NAMES)[number], ProviderConfig>> = {};
  const providersInput = input['providers'];
  if (providersInput === undefined) errors.push('providers: required (baseline and candidate)');
  else if (!isMapping(providersInput))
    errors.push('providers: must be a mapping with baseline and candidate');
  else {
    for (const key of Object.keys(providersInput)) {
      if (!(PROVIDER_NAMES as readonly string[]).includes(key)) {
        errors.push(`providers.${key}: unknown provider; expected baseline and candidate`);
      }
    }
    for (const name of PROVIDER_NAMES) {
      const provider = validateProvider(name, providersInput[name], basePolicy, errors);
      if (provider) providers[name] = provider;
    }
  }

  const run = validateRun(input['run'], errors);

  if (errors.length > 0 || !providers.baseline || !providers.candidate || !basePolicy) return { errors };
  return {
    value: {
      providers: { baseline: providers.baseline, candidate: providers.candidate },
      retry: basePolicy,
      run,
    },
  };
}

function validateProvider(
  name: string,
  input: unknown,
  basePolicy: ExperimentConfig['retry'] | undefined,
  errors: string[],
): ProviderConfig | null {
  const path = `providers.${name}`;
  if (input === undefined) {
    errors.push(`${path}: required`);
    return null;
  }
  if (!isMapping(input)) {
    errors.push(`${path}: must be a mapping`);
    return null;
  }
  const before = errors.length;
  unknownKeys(input, PROVIDER_KEYS, path, errors);

  const kind = input['kind'];
  if (kind === undefined) errors.push(`${path}.kind: required (one of ${PROVIDER_KINDS.join(', ')})`);
  else if (!PROVIDER_KINDS.includes(kind as ProviderKind)) {
    errors.push(`${path}.kind: must be one of ${PROVIDER_KINDS.join(', ')}`);
  }

  const baseUrl = checkUrl(input['baseUrl'], `${path}.baseUrl`, errors);

  const apiKeyEnv = input['apiKeyEnv'];
  if (apiKeyEnv !== undefined && (typeof apiKeyEnv !== 'string' || !ENV_NAME.test(apiKeyEnv))) {
    errors.push(`${path}.apiKeyEnv: must be an environment variable name (letters, digits, _), not a key`);
  }

  const headers = stringRecord(input['headers'], `${path}.headers`, errors, (key, keyPath) => {
    if (!HEADER_NAME.test(key)) return `${keyPath}: not a valid header name`;
    if (CREDENTIAL_HEADERS.includes(key.toLowerCase())) {
      return `${keyPath}: credentials do not belong in headers; name the environment variable in apiKeyEnv`;
    }
    return null;
  });

  const anthropicVersion = input['anthropicVersion'] ?? DEFAULT_PROVIDER_SETTINGS.anthropicVersion;
  if (typeof anthropicVersion !== 'string' || anthropicVersion === '') {
    errors.push(`${path}.anthropicVersion: must be a non-empty string`);
  }

  const idempotencyHeader =
    input['idempotencyHeader'] === undefined
      ? DEFAULT_PROVIDER_SETTINGS.idempotencyHeader
      : input['idempotencyHeader'];
  if (
    idempotencyHeader !== null &&
    (typeof idempotencyHeader !== 'string' || !HEADER_NAME.test(idempotencyHeader))
  ) {
    errors.push(`${path}.idempotencyHeader: must be a header name, or null to send none`);
  }

  const streamUsage = input['streamUsage'] ?? DEFAULT_PROVIDER_SETTINGS.streamUsage;
  if (typeof streamUsage !== 'boolean') errors.push(`${path}.streamUsage: must be true or false`);

  const maxResponseBytes = input['maxResponseBytes'] ?? DEFAULT_PROVIDER_SETTINGS.maxResponseBytes;
  if (!isPositiveInteger(maxResponseBytes)) errors.push(`${path}.maxResponseBytes: must be an integer >= 1`);

  const modelMap = stringRecord(input['modelMap'], `${path}.modelMap`, errors, (_key, keyPath, value) =>
    value === '' ? `${keyPath}: must be a non-empty model name` : null,
  );

  const models: Record<string, ModelConfig> = {};
  const modelsInput = input['models'];
  if (modelsInput !== undefined && modelsInput !== null) {
    if (!isMapping(modelsInput)) errors.push(`${path}.models: must be a mapping of model name to prices`);
    else {
      for (const [model, prices] of Object.entries(modelsInput)) {
        if (model === '__proto__') {
          errors.push(`${path}.models.__proto__: not a model name`);
          continue;
        }
        const checked = validateModel(prices, `${path}.models.${model}`, errors);
        if (checked) models[model] = checked;
      }
    }
  }

  let retry: ProviderConfig['retry'];
  if (input['retry'] !== undefined && input['retry'] !== null) {
    const result = validateRetryPolicy(input['retry'], `${path}.retry`, basePolicy);
    if ('errors' in result) errors.push(...result.errors);
    // The full merged policy, so a shallow `{ ...config.retry, ...provider.retry }` is still right.
    else retry = result.value;
  }

  if (errors.length > before) return null;
  const provider: ProviderConfig = {
    name,
    kind: kind as ProviderKind,
    baseUrl: baseUrl!,
    headers,
    anthropicVersion: anthropicVersion as string,
    idempotencyHeader: idempotencyHeader as string | null,
    streamUsage: streamUsage as boolean,
    maxResponseBytes: maxResponseBytes as number,
    modelMap,
    models,
  };
  if (typeof apiKeyEnv === 'string') provider.apiKeyEnv = apiKeyEnv;
  if (retry) provider.retry = retry;
  return provider;
}

function validateModel(input: unknown, path: string, errors: string[]): ModelConfig | null {
  if (!isMapping(input)) {
    errors.push(`${path}: must be a mapping with inputPerMTok and outputPerMTok (USD per 1M tokens)`);
    return null;
  }
  const before = errors.length;
  unknownKeys(input, MODEL_KEYS, path, errors);
  const out: Record<string, number> = {};
  for (const key of ['inputPerMTok', 'outputPerMTok']) {
    const v = input[key];
    if (v === undefined) errors.push(`${path}.${key}: required (USD per 1M tokens)`);
    else if (!isPrice(v)) errors.push(`${path}.${key}: must be a number >= 0 (USD per 1M tokens)`);
    else out[key] = v;
  }
  for (const key of ['cachedInputPerMTok', 'cacheWritePerMTok', 'reasoningPerMTok']) {
    const v = input[key];
    if (v === undefined) continue;
    if (!isPrice(v)) errors.push(`${path}.${key}: must be a number >= 0 (USD per 1M tokens)`);
    else out[key] = v;
  }
  const timeoutMs = input['timeoutMs'];
  if (timeoutMs !== undefined) {
    if (!isPositiveInteger(timeoutMs)) errors.push(`${path}.timeoutMs: must be an integer >= 1 (ms)`);
    else if (timeoutMs > MAX_TIMER_MS)
      errors.push(
        `${path}.timeoutMs: must be at most ${MAX_TIMER_MS} ms (Node timers fire at once above it)`,
      );
    else out['timeoutMs'] = timeoutMs;
  }
  return errors.length > before ? null : (out as unknown as ModelConfig);
}

function validateRun(input: unknown, errors: string[]): RunSettings {
  const run: RunSettings = { ...DEFAULT_RUN_SETTINGS };
  if (input === undefined || input === null) return run;
  if (!isMapping(input)) {
    errors.push('run: must be a mapping');
    return run;
  }
  unknownKeys(input, RUN_KEYS, 'run', errors);
  if (input['concurrency'] !== undefined) {
    if (!isPositiveInteger(input['concurrency'])) errors.push('run.concurrency: must be an integer >= 1');
    else run.concurrency = input['concurrency'];
  }
  if (input['stream'] !== undefined) {
    if (typeof input['stream'] !== 'boolean') errors.push('run.stream: must be true or false');
    else run.stream = input['stream'];
  }
  return run;
}

function unknownKeys(input: Record_, known: readonly string[], path: string, errors: string[]): void {
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) {
      const hint = closest(key, known);
      errors.push(`${path ? `${path}.` : ''}${key}: unknown key${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
  }
}

/** The known key a typo most likely meant: same letters ignoring case, or within two edits. */
function closest(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function checkUrl(v: unknown, path: string, errors: string[]): string | null {
  if (v === undefined) {
    errors.push(`${path}: required (e.g. https://api.openai.com/v1)`);
    return null;
  }
  if (typeof v !== 'string') {
    errors.push(`${path}: not a URL`);
    return null;
  }
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    errors.push(`${path}: not a URL`);
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    errors.push(`${path}: must be an http or https URL`);
    return null;
  }
  if (url.username || url.password) {
    errors.push(`${path}: must not contain credentials; name the environment variable in apiKeyEnv`);
    return null;
  }
  return v.replace(/\/+$/, '');
}

function stringRecord(
  input: unknown,
  path: string,
  errors: string[],
  check: (key: string, keyPath: string, value: string) => string | null,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (input === undefined || input === null) return out;
  if (!isMapping(input)) {
    errors.push(`${path}: must be a mapping of strings`);
    return out;
  }
  for (const [key, value] of Object.entries(input)) {
    const keyPath = `${path}.${key}`;
    if (key === '__proto__' || typeof value !== 'string') {
      errors.push(`${keyPath}: must be a string`);
      continue;
    }
    const problem = check(key, keyPath, value);
    if (problem) errors.push(problem);
    else out[key] = value;
  }
  return out;
}

function isPrice(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}
