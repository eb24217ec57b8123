/**
 * The Mann-Whitney U (Wilcoxon rank-sum) test of two independent samples,
 * with the normal approximation, the tie correction and the continuity
 * correction (as scipy.stats.mannwhitneyu, method 'asymptotic'). It is the
 * unpaired comparison a canary judge such as Kayenta runs on latency; the
 * shadow report pairs the arms by prompt instead, and the pairing-power
 * study (test/judge/pairing-power.ts) measures what that pairing buys.
 */
import { normalSf } from './normal.js';

export interface MannWhitneyResult {
  /** U of `y`: the number of (x, y) pairs with y > x, ties counting one half. */
  u: number;
  /** One-sided p-value of "y tends to be larger than x". */
  pGreater: number;
  /** One-sided p-value of "y tends to be smaller than x". */
  pLess: number;
  /** Two-sided p-value. */
  pTwoSided: number;
}

export function mannWhitneyU(x: ArrayLike<number>, y: ArrayLike<number>): MannWhitneyResult {
  const nx = x.length;
  const ny = y.length;
  if (nx === 0 || ny === 0)
    return { u: Number.NaN, pGreater: Number.NaN, pLess: Number.NaN, pTwoSided: Number.NaN };
  const n = nx + ny;
  const values = new Float64Array(n);
  for (let i = 0; i < nx; i++) values[i] = x[i]!;
  for (let j = 0; j < ny; j++) values[nx + j] = y[j]!;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);

  // Mid-ranks, and the tie term sum(t^3 - t) over groups of equal values.
  let rankSumY = 0;
  let tieTerm = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    const midRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) if (order[k]! >= nx) rankSumY += midRank;
    const t = end - start;
    tieTerm += t * t * t - t;
    start = end;
  }
  const u = rankSumY - (ny * (ny + 1)) / 2;
  const mean = (nx * ny) / 2;
  const variance = ((nx * ny) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { u, pGreater: 1, pLess: 1, pTwoSided: 1 };
  const sd = Math.sqrt(variance);
  const pGreater = normalSf((u - mean - 0.5) / sd);
  const pLess = normalSf((mean - u - 0.5) / sd);
  return { u, pGreater, pLess, pTwoSided: Math.min(1, 2 * Math.min(pGreater, pLess)) };
}
