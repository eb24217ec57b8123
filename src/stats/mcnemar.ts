import { chiSquare1Sf } from './normal.js';

export interface McNemarResult {
  /** Exact: min(b, c). Chi-square: (|b - c| - 1)^2 / (b + c). */
  statistic: number;
  pValue: number;
  method: 'exact' | 'chi2';
}

/** Below this many discordant pairs the chi-square approximation is poor, so the exact test is used. */
export const MCNEMAR_EXACT_BELOW = 25;

/**
 * McNemar's test that two paired arms fail equally often, from the discordant
 * pair counts alone: b pairs where only the first failed, c where only the
 * second failed. Under the null each discordant pair is a fair coin.
 *
 * - b + c < 25: exact two-sided binomial, p = min(1, 2 P(X <= min(b, c))), X ~ Bin(b + c, 1/2)
 *   (statsmodels' mcnemar(exact=True)); with no discordant pairs p = 1.
 * - otherwise: chi-square with one degree of freedom and Edwards' continuity
 *   correction, as R's mcnemar.test and statsmodels' mcnemar(exact=False, correction=True).
 */
export function mcnemar(b: number, c: number): McNemarResult {
  for (const [name, v] of [
    ['b', b],
    ['c', c],
  ] as const) {
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  const n = b + c;
  if (n < MCNEMAR_EXACT_BELOW) {
    const k = Math.min(b, c);
    // n < 25 keeps every binomial coefficient exact in a double.
    let coefficient = 1;
    let tail = 0;
    for (let i = 0; i <= k; i++) {
      tail += coefficient;
      coefficient = (coefficient * (n - i)) / (i + 1);
    }
    return { statistic: k, pValue: Math.min(1, (2 * tail) / 2 ** n), method: 'exact' };
  }
  const statistic = (Math.abs(b - c) - 1) ** 2 / n;
  return { statistic, pValue: chiSquare1Sf(statistic), method: 'chi2' };
}
