/**
 * Accuracy statistics: how far the harness's recorded timings are from the
 * delays the simulator says it injected. Pure.
 */
import { medianSorted, quantileSorted, round } from './summary-stats.js';

export interface AbsErrorStats {
  /** Pairs compared. */
  n: number;
  /** Pairs skipped because a side was missing or not finite. */
  unmatched: number;
  median_abs_error_ms: number | null;
  p99_abs_error_ms: number | null;
  max_abs_error_ms: number | null;
  /** Mean of (recorded - injected): positive when the harness reads late. */
  mean_signed_error_ms: number | null;
}

/** One (recorded, injected) timing pair in ms; null where a side is unknown. */
export interface TimingPair {
  recordedMs: number | null;
  injectedMs: number | null;
}

export function absErrorStats(pairs: Iterable<TimingPair>): AbsErrorStats {
  const errors: number[] = [];
  let unmatched = 0;
  let signedSum = 0;
  for (const { recordedMs, injectedMs } of pairs) {
    if (
      recordedMs === null ||
      injectedMs === null ||
      !Number.isFinite(recordedMs) ||
      !Number.isFinite(injectedMs)
    ) {
      unmatched++;
      continue;
    }
    const d = recordedMs - injectedMs;
    signedSum += d;
    errors.push(Math.abs(d));
  }
  const sorted = Float64Array.from(errors).sort();
  const n = sorted.length;
  return {
    n,
    unmatched,
    median_abs_error_ms: round(medianSorted(sorted), 3),
    p99_abs_error_ms: round(quantileSorted(sorted, 0.99), 3),
    max_abs_error_ms: n === 0 ? null : round(sorted[n - 1]!, 3),
    mean_signed_error_ms: n === 0 ? null : round(signedSum / n, 3),
  };
}
