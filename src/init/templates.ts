/**
 * What `shadowgate init` writes: a commented experiment config, a rollout
 * plan and a three-line scenario. Plain text, so the comments survive; the
 * tests load each through the same validators `run` and `rollout` use.
 */
import type { ProviderKind } from '../config/types.js';

/** A provider as init fills it in: where it is, which variable holds its key, two priced models. */
interface ProviderPreset {
  baseUrl: string;
  apiKeyEnv: string;
  /** The recorded model names the example scenario uses, cheap one last. */
  models: { name: string; prices: string }[];
  comment: string;
}

const PRESETS: Record<ProviderKind, ProviderPreset> = {
  openai: {
    baseUrl: 'https://api.openai.com/v1',
    apiKeyEnv: 'OPENAI_API_KEY',
    models: [
      { name: 'gpt-4.1', prices: '{ inputPerMTok: 2.0, cachedInputPerMTok: 0.5, outputPerMTok: 8.0 }' },
      { name: 'gpt-4.1-mini', prices: '{ inputPerMTok: 0.4, cachedInputPerMTok: 0.1, outputPerMTok: 1.6 }' },
    ],
    comment: 'OpenAI, or any OpenAI-compatible server (relay, vLLM, Ollama)',
  },
  anthropic: {
    baseUrl: 'https://api.anthropic.com/v1',
    apiKeyEnv: 'ANTHROPIC_API_KEY',
    models: [
      {
        name: 'claude-sonnet-4-5',
        prices:
          '{ inputPerMTok: 3.0, cachedInputPerMTok: 0.3, cacheWritePerMTok: 3.75, outputPerMTok: 15.0 }',
      },
      {
        name: 'claude-haiku-4-5',
        prices: '{ inputPerMTok: 1.0, cachedInputPerMTok: 0.1, cacheWritePerMTok: 1.25, outputPerMTok: 5.0 }',
      },
    ],
    comment: "Anthropic's Messages API (requests are translated from the recorded OpenAI shape)",
  },
};

/** A same-kind candidate is usually a relay: it gets its own URL and key variable. */
const RELAY = { baseUrl: 'https://relay.example.com/v1', apiKeyEnv: 'RELAY_API_KEY' };

export interface TemplateOptions {
  baseline: ProviderKind;
  candidate: ProviderKind;
  /** What `$schema=` points at, relative to the written file or absolute. */
  configSchema: string;
  planSchema: string;
}

/** The recorded models: the baseline's, since the scenario is recorded from today's traffic. */
export function scenarioModels(baseline: ProviderKind): string[] {
  return PRESETS[baseline].models.map((m) => m.name);
}

/** The key variables the config names: baseline's, then candidate's. */
export function apiKeyEnvFor(baseline: ProviderKind, candidate: ProviderKind): [string, string] {
  return [
    PRESETS[baseline].apiKeyEnv,
    baseline === candidate ? RELAY.apiKeyEnv : PRESETS[candidate].apiKeyEnv,
  ];
}

export function configTemplate(o: TemplateOptions): string {
  const base = PRESETS[o.baseline];
  const cand = PRESETS[o.candidate];
  const sameKind = o.baseline === o.candidate;
  const candUrl = sameKind ? RELAY.baseUrl : cand.baseUrl;
  const candKey = apiKeyEnvFor(o.baseline, o.candidate)[1];
  const recorded = scenarioModels(o.baseline);
  const candModels = sameKind ? base.models : cand.models;
  const mapLines = recorded.map((m, i) => `      ${m}: ${candModels[i]!.name}`);
  return `# yaml-language-server: $schema=${o.configSchema}
# The experiment: the provider you use now (baseline) and the one you may move
# to (candidate). Reference: docs/config.md in shadowgate's repository.
# Prices are USD per 1M tokens; check them against your provider's price page
# (or pass \`--prices model_prices_and_context_window.json\` for models left out).
providers:
  baseline:
    # ${base.comment}
    kind: ${o.baseline}
    baseUrl: ${base.baseUrl}
    # The NAME of the environment variable holding the key, never the key itself.
    apiKeyEnv: ${base.apiKeyEnv}
    models:
${base.models.map((m) => `      ${m.name}: ${m.prices}`).join('\n')}
  candidate:
    # ${sameKind ? 'An OpenAI-compatible relay: replace the URL with yours' : cand.comment}
    kind: ${o.candidate}
    baseUrl: ${candUrl}
    apiKeyEnv: ${candKey}
    # Recorded model name -> the name this provider is sent.
    modelMap:
${mapLines.join('\n')}
    models:
${candModels.map((m) => `      ${m.name}: ${m.prices}`).join('\n')}
# One retry policy for both arms (a provider may override it under its own \`retry:\`).
# Durations are ms. \`shadowgate retry schedule\` prints the waits this gives.
retry:
  strategy: exponential-capped   # constant | linear | exponential | exponential-capped | decorrelated
  jitter: full                   # none | full | equal | range
  maxAttempts: 4                 # counts the first try
  baseDelayMs: 500
  maxDelayMs: 20000
  maxRetryAfterMs: 60000         # a longer Retry-After gives up (retryAfterOverflow: fail)
  budget: { enabled: true, ratio: 0.2 }           # retries add at most 20% of requests
  breaker: { enabled: true, consecutiveFailures: 10 }
run:
  concurrency: 8                 # prompts in flight, each holding 2-3 requests
  stream: true                   # measure time to first token
`;
}

export function planTemplate(o: TemplateOptions): string {
  return `# yaml-language-server: $schema=${o.planSchema}
# Week 2: the rollout plan. Traffic moves to the candidate in stages; each
# stage must pass the gates before the next. Reference: the rollout section
# of shadowgate's README.
stages: [5, 25, 50, 100]        # percent of traffic on the candidate, ending at 100
minRequestsPerStage: 400        # evidence needed before a stage is judged
maxStageRepeats: 2              # an inconclusive stage is repeated at most this often
stickyKey: metadata.user_id     # one user stays on one side (default: the prompt id)
salt: auto                      # the routing hash's salt; auto derives it from the run
fallback: true                  # a failed candidate request is retried on the baseline
confidence: 0.95                # one-sided confidence of each gate's bound
gates:
  maxErrorRateIncrease: 0.01    # candidate error rate at most 1 point above the baseline's
  maxP95LatencyRatio: 1.2       # candidate p95 latency at most 1.2x
  maxFallbackRate: 0.02
  minCostSavingsPct: 10
onFail: rollback                # rollback | hold
`;
}

/** Three prompts in the plain form: one per line, an OpenAI chat request plus id and metadata. */
export function scenarioTemplate(baseline: ProviderKind): string {
  const [big, small] = scenarioModels(baseline) as [string, string];
  const lines = [
    {
      id: 'example-1',
      model: small,
      messages: [
        { role: 'user', content: 'Summarise in one sentence: the meeting moved to Thursday at 3 pm.' },
      ],
      max_tokens: 64,
      metadata: { user_id: 'u-1', category: 'summarise' },
    },
    {
      id: 'example-2',
      model: small,
      messages: [
        { role: 'system', content: 'Answer with a JSON object {"sentiment": "positive" | "negative"}.' },
        { role: 'user', content: 'The delivery was late and the box was crushed.' },
      ],
      max_tokens: 32,
      response_format: { type: 'json_object' },
      metadata: { user_id: 'u-2', category: 'classify' },
    },
    {
      id: 'example-3',
      model: big,
      messages: [{ role: 'user', content: 'Write a SQL query for the ten newest orders.' }],
      max_tokens: 256,
      metadata: { user_id: 'u-1', category: 'coding' },
    },
  ];
  return `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
}
