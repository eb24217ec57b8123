import type { ExperimentConfig, ProviderConfig } from './types.js';

/** What a masked value is replaced with. */
export const REDACTED = '[redacted]';

const SECRET_HEADER_NAME = /auth|key|token|secret|password|passwd|cookie|session|signature/i;
const SECRET_VALUE = [
  /^(bearer|basic|token)\s+\S/i,
  /^(sk|pk|rk|ak)[-_][A-Za-z0-9_-]{8,}/,
  /^[A-Za-z0-9+/_=-]{24,}$/, // long opaque strings: keys, JWTs, hashes
];
const SECRET_QUERY_PARAM = /key|token|secret|sig|password|auth/i;

/**
 * The config as JSON for `runs.config_json`, with nothing secret in it.
 * API keys never enter the config (only `apiKeyEnv` names, which are kept),
 * but header values and URL query strings could still carry a credential
 * someone put there, so those that look like one are masked.
 */
export function redactedConfigJson(config: ExperimentConfig): string {
  return JSON.stringify({
    ...config,
    providers: {
      baseline: redactProvider(config.providers.baseline),
      candidate: redactProvider(config.providers.candidate),
    },
  });
}

function redactProvider(provider: ProviderConfig): ProviderConfig {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(provider.headers)) {
    headers[name] = looksSecret(name, value) ? REDACTED : value;
  }
  return { ...provider, baseUrl: redactUrl(provider.baseUrl), headers };
}

function looksSecret(name: string, value: string): boolean {
  return SECRET_HEADER_NAME.test(name) || SECRET_VALUE.some((re) => re.test(value.trim()));
}

function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  let changed = false;
  if (url.username || url.password) {
    url.username = REDACTED;
    url.password = '';
    changed = true;
  }
  for (const [param, value] of [...url.searchParams]) {
    if (SECRET_QUERY_PARAM.test(param) || SECRET_VALUE.some((re) => re.test(value))) {
      url.searchParams.set(param, REDACTED);
      changed = true;
    }
  }
  return changed ? url.toString().replace(/\/+$/, '') : raw;
}
