/**
 * A latency gate cannot be judged on timings less accurate than its
 * tolerance. When the harness that took the timings was saturated (its
 * event loop read timestamps late; see src/runner/instrument.ts), a latency
 * gate whose tolerance, in ms, is within the timing error becomes
 * `inconclusive` instead of pass or fail: the difference it looks for is no
 * bigger than the error of the measurement. Pure.
 */
import type { GateResult } from './gates.js';
import type { MetricName } from './metrics.js';

/** The harness's timing error, and each latency gate's tolerance expressed in ms. */
export interface TimingErrorLimit {
  /** The run's timing error bound (p99 over attempts), ms. */
  errorMs: number;
  /**
   * How many ms the gate's tolerance amounts to (for a ratio, |threshold - 1|
   * times the baseline's figure); null for a metric that is not a latency, or
   * when it cannot be said.
   */
  toleranceMs: (metric: MetricName, threshold: number) => number | null;
}

/** What made a gate inconclusive: its tolerance was within the timing error. */
export interface TimingErrorNote {
  toleranceMs: number;
  errorMs: number;
  /** What the interval alone said. */
  statusWithoutLimit: 'pass' | 'fail';
}

/** `result` as judged under the limit: a decided latency gate within the error turns inconclusive. */
export function limitByTimingError(result: GateResult, limit: TimingErrorLimit): GateResult {
  if (result.status !== 'pass' && result.status !== 'fail') return result;
  const toleranceMs = limit.toleranceMs(result.metric, result.threshold);
  if (toleranceMs === null || !(toleranceMs <= limit.errorMs)) return result;
  return {
    ...result,
    status: 'inconclusive',
    pass: false,
    moreSamples: null,
    timingError: { toleranceMs, errorMs: limit.errorMs, statusWithoutLimit: result.status },
  };
}
