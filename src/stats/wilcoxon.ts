import { normalSf } from './normal.js';

export interface WilcoxonResult {
  /** Non-zero differences used (zeros and NaN dropped). */
  n: number;
  /** min(W+, W-), the two-sided statistic scipy reports. NaN when n = 0. */
  statistic: number;
  /** Two-sided p-value; NaN when n = 0. */
  pValue: number;
  method: 'exact' | 'normal';
}

/** Largest n for which the exact null distribution is used (scipy's old default; 2^25 outcomes). */
export const WILCOXON_EXACT_MAX_N = 25;

/**
 * Wilcoxon signed-rank test that paired differences are centred on zero,
 * two-sided.
 *
 * - Zero differences are dropped before ranking (scipy's default
 *   zero_method='wilcox'); NaN differences are dropped too.
 * - |d| are ranked with ties given their average rank.
 * - n <= 25 without ties: the exact null distribution of W+ (all 2^n sign
 *   patterns equally likely), p = min(1, 2 P(W <= statistic)).
 * - Otherwise the normal approximation: mean n(n+1)/4, variance
 *   n(n+1)(2n+1)/24 - sum(t^3 - t)/48 over tie groups of size t, with a 0.5
 *   continuity correction toward the mean (scipy's correction=True).
 *   Unlike scipy, which falls back to the normal form when there are zeros, the
 *   exact form is still used after dropping zeros when the rest has no ties.
 *
 * Two typed-array sorts: O(n log n), about 0.2 s for 1e6 differences.
 */
export function wilcoxonSignedRank(diffs: ArrayLike<number>): WilcoxonResult {
  const all = new Float64Array(diffs.length);
  const positives = new Float64Array(diffs.length);
  let n = 0;
  let nPositive = 0;
  for (let i = 0; i < diffs.length; i++) {
    const d = diffs[i]!;
    if (d === 0 || Number.isNaN(d)) continue;
    all[n++] = Math.abs(d);
    if (d > 0) positives[nPositive++] = d;
  }
  if (n === 0) return { n: 0, statistic: Number.NaN, pValue: Number.NaN, method: 'normal' };
  const ranked = all.subarray(0, n).sort();
  const positiveSorted = positives.subarray(0, nPositive).sort();

  // Walk the tie groups of |d|; each group's members share the average of the ranks it spans.
  let wPlus = 0;
  let tieTerm = 0;
  let p = 0;
  for (let start = 0; start < n; ) {
    const value = ranked[start]!;
    let end = start;
    while (end < n && ranked[end] === value) end++;
    const size = end - start;
    const averageRank = (start + 1 + end) / 2;
    let positivesInGroup = 0;
    while (p < nPositive && positiveSorted[p]! < value) p++;
    while (p < nPositive && positiveSorted[p] === value) {
      positivesInGroup++;
      p++;
    }
    wPlus += averageRank * positivesInGroup;
    if (size > 1) tieTerm += size * size * size - size;
    start = end;
  }
  const total = (n * (n + 1)) / 2;
  const statistic = Math.min(wPlus, total - wPlus);

  if (n <= WILCOXON_EXACT_MAX_N && tieTerm === 0) {
    return { n, statistic, pValue: Math.min(1, 2 * exactSignedRankCdf(n, statistic)), method: 'exact' };
  }
  const mean = total / 2;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  const deviation = Math.abs(wPlus - mean);
  const z = deviation === 0 ? 0 : Math.abs(deviation - 0.5) / Math.sqrt(variance);
  return { n, statistic, pValue: Math.min(1, 2 * normalSf(z)), method: 'normal' };
}

/** P(W+ <= w) under the null for n untied ranks: counts of subsets of {1..n} by sum, over 2^n. */
export function exactSignedRankCdf(n: number, w: number): number {
  const maxSum = (n * (n + 1)) / 2;
  const counts = new Float64Array(maxSum + 1);
  counts[0] = 1;
  for (let rank = 1; rank <= n; rank++) {
    for (let s = maxSum; s >= rank; s--) counts[s]! += counts[s - rank]!;
  }
  let below = 0;
  for (let s = 0; s <= Math.min(maxSum, Math.floor(w)); s++) below += counts[s]!;
  return below / 2 ** n;
}
