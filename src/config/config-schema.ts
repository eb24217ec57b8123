/**
 * The experiment config's shape: what validateConfig walks and what
 * `npm run schema` writes to schema/shadowgate.config.schema.json.
 */
import { MAX_TIMER_MS } from '../retry/policy.js';
import type { NumberNode, ObjectNode } from '../shared/field-schema.js';
import { CREDENTIAL_HEADERS, DEFAULT_PROVIDER_SETTINGS, DEFAULT_RUN_SETTINGS } from './config-defaults.js';
import { retryPolicyNode } from './retry-policy-shape.js';
import type { ProviderKind } from './types.js';

export const PROVIDER_NAMES = ['baseline', 'candidate'] as const;
export const PROVIDER_KINDS: readonly ProviderKind[] = ['openai', 'anthropic'];

const ENV_NAME = '[A-Za-z_][A-Za-z0-9_]*';
const HEADER_NAME = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const HEADER_NAME_RE = new RegExp(`^${HEADER_NAME}$`);

const price = (description: string): NumberNode => ({
  type: 'number',
  minimum: 0,
  description: `${description}, USD per 1M tokens`,
  message: 'must be a number >= 0 (USD per 1M tokens)',
});
const PRICE_REQUIRED = 'required (USD per 1M tokens)';

const MODEL: ObjectNode = {
  type: 'object',
  definition: 'model',
  description: "A model's prices and limits",
  message: 'must be a mapping with inputPerMTok and outputPerMTok (USD per 1M tokens)',
  fields: {
    inputPerMTok: { node: price('Input tokens'), required: PRICE_REQUIRED },
    cachedInputPerMTok: { node: price('Cached input tokens (default inputPerMTok)') },
    cacheWritePerMTok: { node: price('Cache-write tokens, Anthropic (default inputPerMTok)') },
    outputPerMTok: { node: price('Output tokens'), required: PRICE_REQUIRED },
    reasoningPerMTok: { node: price('Reasoning tokens (default outputPerMTok)') },
    timeoutMs: {
      node: {
        type: 'number',
        integer: true,
        minimum: 1,
        maximum: MAX_TIMER_MS,
        description: 'Per-attempt timeout for this model, ms',
        message: 'must be an integer >= 1 (ms)',
        tooLargeMessage: `must be at most ${MAX_TIMER_MS} ms (Node timers fire at once above it)`,
      },
    },
  },
};

/** http(s), parseable, no credentials: JSON Schema cannot say it, so the validator does. */
function urlProblem(v: string): string | null {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password)
    return 'must not contain credentials; name the environment variable in apiKeyEnv';
  return null;
}

const PROVIDER: ObjectNode = {
  type: 'object',
  definition: 'provider',
  description: 'One side of the experiment',
  fields: {
    kind: {
      node: { type: 'string', enum: PROVIDER_KINDS, description: 'The protocol' },
      required: `required (one of ${PROVIDER_KINDS.join(', ')})`,
    },
    baseUrl: {
      node: {
        type: 'string',
        description: 'e.g. https://api.openai.com/v1 or https://api.anthropic.com/v1',
        message: 'not a URL',
        refine: (v: string) => urlProblem(v),
      },
      required: 'required (e.g. https://api.openai.com/v1)',
    },
    apiKeyEnv: {
      node: {
        type: 'string',
        pattern: ENV_NAME,
        description: 'NAME of the environment variable holding the API key (never the key)',
        message: 'must be an environment variable name (letters, digits, _), not a key',
      },
    },
    headers: {
      node: {
        type: 'record',
        nullable: true,
        description: 'Extra request headers (no credentials: use apiKeyEnv)',
        message: 'must be a mapping of strings',
        keyPattern: HEADER_NAME,
        keyCheck: (key) => {
          if (!HEADER_NAME_RE.test(key)) return 'not a valid header name';
          if (CREDENTIAL_HEADERS.includes(key.toLowerCase()))
            return 'credentials do not belong in headers; name the environment variable in apiKeyEnv';
          return null;
        },
        values: { type: 'string' },
        default: DEFAULT_PROVIDER_SETTINGS.headers,
      },
    },
    anthropicVersion: {
      node: {
        type: 'string',
        minLength: 1,
        default: DEFAULT_PROVIDER_SETTINGS.anthropicVersion,
        description: 'anthropic-version header (Anthropic only)',
      },
    },
    idempotencyHeader: {
      node: {
        type: 'anyOf',
        options: [{ type: 'string', pattern: HEADER_NAME }, { type: 'null' }],
        default: DEFAULT_PROVIDER_SETTINGS.idempotencyHeader,
        description: "Header carrying each request's idempotency key; null sends none",
        message: 'must be a header name, or null to send none',
      },
    },
    streamUsage: {
      node: {
        type: 'boolean',
        default: DEFAULT_PROVIDER_SETTINGS.streamUsage,
        description: 'Ask for stream_options.include_usage when streaming (OpenAI kind)',
      },
    },
    maxResponseBytes: {
      node: {
        type: 'number',
        integer: true,
        minimum: 1,
        default: DEFAULT_PROVIDER_SETTINGS.maxResponseBytes,
        description: 'Cap on one response body, bytes',
      },
    },
    modelMap: {
      node: {
        type: 'record',
        nullable: true,
        description: 'Recorded model name -> the name sent to this provider',
        message: 'must be a mapping of strings',
        values: { type: 'string', minLength: 1, message: 'must be a non-empty model name' },
        default: DEFAULT_PROVIDER_SETTINGS.modelMap,
      },
    },
    models: {
      node: {
        type: 'record',
        nullable: true,
        description: "Prices per model, keyed by this provider's model name",
        message: 'must be a mapping of model name to prices',
        values: MODEL,
        default: DEFAULT_PROVIDER_SETTINGS.models,
      },
    },
    retry: { node: retryPolicyNode('Overrides merged over the top-level retry policy', true) },
  },
};

export const CONFIG_SHAPE: ObjectNode = {
  type: 'object',
  description: 'A shadowgate experiment: the two providers, the retry policy, run settings',
  message: 'must be a mapping with providers, retry and run',
  fields: {
    retry: { node: retryPolicyNode('The retry policy both providers use') },
    providers: {
      node: {
        type: 'object',
        description: 'The provider used now (baseline) and the one to move to (candidate)',
        message: 'must be a mapping with baseline and candidate',
        unknownKeyMessage: 'unknown provider; expected baseline and candidate',
        fields: Object.fromEntries(PROVIDER_NAMES.map((name) => [name, { node: PROVIDER, required: true }])),
      },
      required: 'required (baseline and candidate)',
    },
    run: {
      node: {
        type: 'object',
        nullable: true,
        description: 'Defaults for `shadowgate run` (flags override them)',
        fields: {
          concurrency: {
            node: {
              type: 'number',
              integer: true,
              minimum: 1,
              default: DEFAULT_RUN_SETTINGS.concurrency,
              description: 'Prompts in flight',
            },
          },
          stream: {
            node: { type: 'boolean', default: DEFAULT_RUN_SETTINGS.stream, description: 'Stream responses' },
          },
        },
      },
    },
  },
};
