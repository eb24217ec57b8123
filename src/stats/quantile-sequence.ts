import { csHalfWidth } from './confidence-sequence.js';

/** The q-quantile of ascending `sorted` by linear interpolation (type 7, as simple-statistics and R's default). */
export function sortedQuantile(sorted: readonly number[], q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Anytime-valid interval for one quantile, distribution-free: the indicator
 * 1{X <= xi_q} is a Bernoulli with mean q, so a confidence sequence for that
 * mean (half-width h at time n, sigma = sqrt(q (1 - q))) bounds the rank of
 * the quantile among the order statistics (Howard and Ramdas 2022,
 * "Sequential estimation of quantiles with applications to A/B-testing and
 * best-arm identification", in its asymptotic form):
 *
 *   lower = x_(floor(n (q - h))),  upper = x_(ceil(n (q + h)))
 *
 * A rank below the first order statistic gives 0 (latencies are not
 * negative); one above the last gives +Infinity: not enough data in the tail.
 */
export function quantileSequenceInterval(
  sorted: readonly number[],
  q: number,
  alpha: number,
  nStar?: number,
): [number, number] {
  const n = sorted.length;
  if (n === 0) return [0, Number.POSITIVE_INFINITY];
  const h = csHalfWidth(Math.sqrt(q * (1 - q)), n, alpha, nStar);
  const lo = Math.floor(n * (q - h)) - 1;
  const hi = Math.ceil(n * (q + h)) - 1;
  return [lo < 0 ? 0 : sorted[lo]!, hi > n - 1 ? Number.POSITIVE_INFINITY : sorted[hi]!];
}

/**
 * Anytime-valid interval for the ratio of two independent quantiles
 * (candidate / baseline): each quantile's sequence at alpha / 2 (a union
 * bound), combined as [lowC / highB, highC / lowB]. Conservative, and robust
 * to the heavy tails latencies have, where a delta-method interval on the log
 * ratio explodes. Null when either arm has fewer than 2 values.
 */
export function quantileRatioSequence(
  candidateSorted: readonly number[],
  baselineSorted: readonly number[],
  q: number,
  alpha: number,
  nStar?: number,
): { value: number; interval: [number, number] } | null {
  if (candidateSorted.length < 2 || baselineSorted.length < 2) return null;
  const qc = sortedQuantile(candidateSorted, q)!;
  const qb = sortedQuantile(baselineSorted, q)!;
  if (!(qb > 0)) return null;
  const [loC, hiC] = quantileSequenceInterval(candidateSorted, q, alpha / 2, nStar);
  const [loB, hiB] = quantileSequenceInterval(baselineSorted, q, alpha / 2, nStar);
  const lower = hiB === Number.POSITIVE_INFINITY ? 0 : loC / hiB;
  const upper = loB > 0 ? hiC / loB : Number.POSITIVE_INFINITY;
  return { value: qc / qb, interval: [lower, upper] };
}
