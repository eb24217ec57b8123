/**
 * Asymptotic confidence sequences (Waudby-Smith, Arnold, Wu, Ramdas and
 * Howard, "Time-uniform central limit theory and asymptotic confidence
 * sequences", 2021/2024, eq. for the normal-mixture boundary), as GrowthBook's
 * gbstats implements its sequential tests:
 *
 *   halfwidth(n) = sigma * sqrt( 2 (n rho^2 + 1) / (n^2 rho^2) * ln( sqrt(n rho^2 + 1) / alpha ) )
 *   rho = sqrt( (-2 ln alpha + ln(-2 ln alpha + 1)) / N* )
 *
 * where sigma is the per-observation standard deviation, n the sample size,
 * alpha = 1 - level (two-sided) and N* the tuning parameter (the sample size at
 * which the boundary is tightest; GrowthBook's default 5000). The interval
 * mean +/- halfwidth(n) covers the true mean at every n simultaneously with
 * probability about 1 - alpha, so looking after every stage does not inflate
 * the error rate.
 */

/** GrowthBook's default `sequentialTuningParameter`. */
export const DEFAULT_TUNING_N = 5000;

/** The mixing parameter rho of the boundary, tuned to be tightest near nStar. */
export function csRho(alpha: number, nStar: number = DEFAULT_TUNING_N): number {
  const l = -2 * Math.log(alpha);
  return Math.sqrt((l + Math.log(l + 1)) / nStar);
}

/** Half-width of the confidence sequence for a mean of n observations with standard deviation sigma. */
export function csHalfWidth(
  sigma: number,
  n: number,
  alpha: number,
  nStar: number = DEFAULT_TUNING_N,
): number {
  if (!(n > 0)) return Number.POSITIVE_INFINITY;
  const rho2 = csRho(alpha, nStar) ** 2;
  const a = n * rho2 + 1;
  return sigma * Math.sqrt(((2 * a) / (n * n * rho2)) * Math.log(Math.sqrt(a) / alpha));
}

/**
 * Anytime-valid interval for the difference of two independent means
 * (candidate minus baseline, unpaired): the variance of the difference per
 * unit of the total sample, as gbstats does for a two-arm test.
 */
export function csDifference(
  meanA: number,
  varA: number,
  nA: number,
  meanB: number,
  varB: number,
  nB: number,
  alpha: number,
  nStar: number = DEFAULT_TUNING_N,
): [number, number] {
  const delta = meanA - meanB;
  if (!(nA > 0 && nB > 0)) return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  const n = nA + nB;
  const se2 = varA / nA + varB / nB;
  const h = csHalfWidth(Math.sqrt(se2 * n), n, alpha, nStar);
  return [delta - h, delta + h];
}
