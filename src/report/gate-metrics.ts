/** The shadow report's figures as the judge reads them: every shadow metric of the typed list, with its interval. */
import type { MetricName, ShadowMetrics } from '../judge/metrics.js';
import type { TimingErrorLimit } from '../judge/timing-error.js';
import type { ArmReport, Comparison, IntervalEstimate } from './shadow-report.js';

function fromEstimate(e: IntervalEstimate) {
  return { value: e.value, n: e.n, interval: e.ci };
}

export function gateMetrics(candidate: ArmReport, r: Comparison): ShadowMetrics {
  const asked = candidate.requests - candidate.refused;
  return {
    'candidate.error_rate': { value: candidate.errorRate, n: asked, interval: candidate.errorRateCi },
    'errors.delta': { value: r.errors.delta, n: r.errors.n, interval: r.errors.ci },
    'errors.delta_upper': { value: r.errors.ci?.[1] ?? null, n: r.errors.n },
    'attempts.first_failure_rate': {
      value: r.attempts.candidateFirstFailureRate,
      n: r.attempts.n,
      interval: r.attempts.candidateFirstFailureCi,
    },
    'attempts.first_failure_delta': {
      value: r.attempts.firstFailureDelta,
      n: r.attempts.n,
      interval: r.attempts.firstFailureCi,
    },
    'attempts.amplification_delta': fromEstimate(r.attempts.amplificationDelta),
    'latency.p50_ratio': fromEstimate(r.latency.p50Ratio),
    'latency.p95_ratio': fromEstimate(r.latency.p95Ratio),
    'latency.median_delta_ms': { value: r.latency.medianDeltaMs, n: r.latency.n, interval: r.latency.ci },
    'latency.median_delta_upper_ms': { value: r.latency.ci?.[1] ?? null, n: r.latency.n },
    'ttft.p95_ratio': fromEstimate(r.latency.ttftP95Ratio),
    'outputs.drift_share': {
      value: r.outputs.driftShare,
      n: r.outputs.similarityN,
      interval: r.outputs.driftShareCi,
    },
    'outputs.similarity_median': {
      value: r.outputs.similarityMedian,
      n: r.outputs.similarityN,
      interval: r.outputs.similarityMedianCi,
    },
    'usage.input_token_ratio': {
      value: r.usage.inputTokenRatio,
      n: r.usage.inputTokenRatioN,
      interval: r.usage.inputTokenRatioCi,
    },
    'usage.model_mismatch_share': {
      value: r.usage.modelMismatchShare,
      n: r.usage.modelMismatchN,
      interval: r.usage.modelMismatchCi,
    },
    'cost.savings_pct': { value: r.cost.savingsPct, n: r.cost.n, interval: r.cost.savingsCi },
  };
}

/**
 * Each latency gate's tolerance in ms, for the timing-error limit of a
 * saturated run: a ms gate's threshold as it is (its distance from no
 * difference), a ratio gate's |threshold - 1| times the baseline's figure
 * the ratio divides by. Null for every other metric.
 */
export function latencyToleranceMs(baseline: ArmReport): TimingErrorLimit['toleranceMs'] {
  return (metric: MetricName, threshold: number) => {
    const ratioOf = (baselineMs: number | null) =>
      baselineMs === null ? null : Math.abs(threshold - 1) * baselineMs;
    switch (metric) {
      case 'latency.median_delta_ms':
      case 'latency.median_delta_upper_ms':
        return Math.abs(threshold);
      case 'latency.p50_ratio':
        return ratioOf(baseline.latencyMs.p50);
      case 'latency.p95_ratio':
        return ratioOf(baseline.latencyMs.p95);
      case 'ttft.p95_ratio':
        return ratioOf(baseline.ttftMs.p95);
      default:
        return null;
    }
  };
}
