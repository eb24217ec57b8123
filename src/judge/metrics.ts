/**
 * The one typed list of metrics a gate may name. The shadow report computes
 * every `shadow` metric and the rollout every `rollout` metric (the compiler
 * holds them to it through ShadowMetrics / RolloutMetrics), so a gate naming a
 * metric nobody computes is a validation error, never a silent `insufficient`.
 */

export type MetricScope = 'shadow' | 'rollout';

export interface MetricDefinition {
  /** What it measures, quoted by the report and the docs. */
  description: string;
  /** Where it is computed. */
  scopes: readonly MetricScope[];
  /** How its interval is made; null for a metric judged on its point value. */
  interval: string | null;
}

const SHADOW = ['shadow'] as const;
const BOTH = ['shadow', 'rollout'] as const;
const ROLLOUT = ['rollout'] as const;

export const METRICS = {
  'candidate.error_rate': {
    description:
      'candidate requests ending in a provider error / candidate requests (engine refusals excluded)',
    scopes: BOTH,
    interval: 'Wilson score',
  },
  'errors.delta': {
    description:
      'candidate error rate minus baseline error rate: paired prompts in a shadow run, served requests in a rollout (fallbacks count as candidate failures)',
    scopes: BOTH,
    interval: 'Newcombe paired (shadow); confidence sequence (rollout)',
  },
  'errors.delta_upper': {
    description: 'upper end of the interval of errors.delta (kept for gates files written before intervals)',
    scopes: SHADOW,
    interval: null,
  },
  'attempts.first_failure_rate': {
    description: 'share of candidate requests whose first attempt failed (before any retry)',
    scopes: SHADOW,
    interval: 'Wilson score',
  },
  'attempts.first_failure_delta': {
    description: 'candidate minus baseline share of requests whose first attempt failed, paired prompts',
    scopes: SHADOW,
    interval: 'Newcombe paired',
  },
  'attempts.amplification_delta': {
    description: 'candidate minus baseline mean attempts per request (retry amplification), paired prompts',
    scopes: SHADOW,
    interval: 'paired bootstrap of the mean',
  },
  'latency.p50_ratio': {
    description: 'candidate p50 end-to-end latency / baseline p50, ok requests',
    scopes: BOTH,
    interval: 'paired bootstrap over prompts (shadow); confidence sequence (rollout)',
  },
  'latency.p95_ratio': {
    description: 'candidate p95 end-to-end latency / baseline p95, ok requests',
    scopes: BOTH,
    interval: 'paired bootstrap over prompts (shadow); confidence sequence (rollout)',
  },
  'latency.median_delta_ms': {
    description: 'median of per-prompt (candidate - baseline) end-to-end latency, prompts both answered',
    scopes: SHADOW,
    interval: 'bootstrap of the median',
  },
  'latency.median_delta_upper_ms': {
    description: 'upper end of the interval of latency.median_delta_ms (kept for older gates files)',
    scopes: SHADOW,
    interval: null,
  },
  'ttft.p95_ratio': {
    description: 'candidate p95 time to first token / baseline p95, streaming runs',
    scopes: BOTH,
    interval: 'paired bootstrap over prompts (shadow); confidence sequence (rollout)',
  },
  'outputs.drift_share': {
    description:
      'share of paired prompts whose candidate answer differs from the baseline more than the noise floor',
    scopes: SHADOW,
    interval: "two-sample bootstrap (candidate pairs and replica pairs, so the threshold's own noise counts)",
  },
  'outputs.similarity_median': {
    description: 'median candidate-vs-baseline text similarity, paired prompts',
    scopes: SHADOW,
    interval: 'bootstrap of the median',
  },
  'usage.input_token_ratio': {
    description: "median over paired prompts of the candidate's reported input tokens / the baseline's",
    scopes: SHADOW,
    interval: 'bootstrap of the median',
  },
  'usage.model_mismatch_share': {
    description: 'share of candidate ok responses whose `model` does not match the requested model',
    scopes: SHADOW,
    interval: 'Wilson score',
  },
  'cost.savings_pct': {
    description: '(baseline cost - candidate cost) / baseline cost x 100, per request',
    scopes: BOTH,
    interval: 'paired bootstrap (shadow); confidence sequence (rollout)',
  },
  'rollout.fallback_rate': {
    description: 'share of candidate-routed requests the baseline had to serve after the candidate failed',
    scopes: ROLLOUT,
    interval: 'confidence sequence',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;

export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** A metric's value with the sample size it rests on and, where it has one, its interval. */
export interface MetricValue {
  /** The point estimate; null when it cannot be computed. */
  value: number | null;
  /** Sample size behind `value`. */
  n: number;
  /**
   * Two-sided interval at level 2 x confidence - 1, so that each end is a
   * one-sided bound at `confidence` (at 0.95: a 90% interval whose upper end
   * is a 95% upper bound). Absent or null: the gate falls back to the point.
   */
  interval?: [number, number] | null;
}

type MetricsOf<S extends MetricScope> = {
  [K in MetricName as S extends (typeof METRICS)[K]['scopes'][number] ? K : never]: MetricValue;
};

/** Every metric the shadow report computes. */
export type ShadowMetrics = MetricsOf<'shadow'>;
/** Every metric a rollout stage computes. */
export type RolloutMetrics = MetricsOf<'rollout'>;
/** Any subset, as a gate evaluation reads it. */
export type Metrics = Partial<Record<MetricName, MetricValue>>;

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}

export function metricsInScope(scope: MetricScope): MetricName[] {
  return METRIC_NAMES.filter((name) => (METRICS[name].scopes as readonly string[]).includes(scope));
}
