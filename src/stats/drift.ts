import { percentile, sortedCopy } from './percentile.js';

export interface DriftThresholdOptions {
  /** Percentile of the replica similarities taken as the noise floor, in [0, 100]; default 5. */
  percentile?: number;
  /** Threshold used when there is no replica to measure the noise; default 0.9. */
  fallback?: number;
}

/** Similarity threshold used when the run had no baseline replica. */
export const DEFAULT_DRIFT_THRESHOLD = 0.9;
/** Percentile of baseline-vs-replica similarities that sets the noise floor. */
export const DEFAULT_NOISE_PERCENTILE = 5;

/**
 * The similarity below which a candidate answer counts as drift. The noise
 * floor is how much the baseline differs from itself: the `percentile`-th
 * percentile (linear interpolation) of baseline-vs-replica similarities. A
 * candidate as consistent as the baseline is then flagged on about 5% of
 * prompts, so drift shares well above that are the signal.
 *
 * Without replica similarities (a run with no replica arm) the threshold is
 * the fixed `fallback`, 0.9 by default: a guess, which `source: 'default'`
 * lets the report say so. NaN similarities are skipped.
 */
export function driftThreshold(
  replicaSimilarities: ArrayLike<number>,
  options: DriftThresholdOptions = {},
): { threshold: number; source: 'replica' | 'default' } {
  const p = options.percentile ?? DEFAULT_NOISE_PERCENTILE;
  const sorted = sortedCopy(replicaSimilarities);
  if (sorted.length === 0)
    return { threshold: options.fallback ?? DEFAULT_DRIFT_THRESHOLD, source: 'default' };
  return { threshold: percentile(sorted, p), source: 'replica' };
}

/** A prompt drifts when its candidate-vs-baseline similarity is strictly below the threshold. */
export function isDrift(similarity: number, threshold: number): boolean {
  return similarity < threshold;
}

/** Share of (non-NaN) similarities below the threshold; NaN when there are none. */
export function driftShare(similarities: ArrayLike<number>, threshold: number): number {
  let n = 0;
  let drifted = 0;
  for (let i = 0; i < similarities.length; i++) {
    const s = similarities[i]!;
    if (Number.isNaN(s)) continue;
    n++;
    if (isDrift(s, threshold)) drifted++;
  }
  return n === 0 ? Number.NaN : drifted / n;
}
