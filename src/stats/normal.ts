/**
 * The standard normal distribution, accurate to close to double precision in
 * both tails.
 *
 * simple-statistics has `cumulativeStdNormalProbability` and `probit`, but the
 * first reads a two-decimal table and the second inverts an erf approximation
 * good to about 1e-3 relative; a p-value of 1e-6 needs better than that, so
 * these are computed from a series and a continued fraction instead.
 */

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT_2 = Math.SQRT2;
const SQRT_2PI = Math.sqrt(2 * Math.PI);
/** Below this the erf series is cheap and accurate; above it the continued fraction converges fast. */
const SERIES_LIMIT = 2.5;

/** Complementary error function, erfc(x) = 1 - erf(x), relative error ~1e-14 for x > 0. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < SERIES_LIMIT) return 1 - erfSeries(x);
  return erfcContinuedFraction(x);
}

/** erf(x) = 2/sqrt(pi) e^{-x^2} sum 2^k x^{2k+1} / (1*3*...*(2k+1)): all terms positive, so no cancellation. */
function erfSeries(x: number): number {
  const twoXSquared = 2 * x * x;
  let term = x;
  let total = x;
  for (let k = 1; k < 500; k++) {
    term *= twoXSquared / (2 * k + 1);
    total += term;
    if (term < total * 1e-17) break;
  }
  return ((2 / SQRT_PI) * Math.exp(-x * x) * total) as number;
}

/** erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated by the modified Lentz method. */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 1000; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (SQRT_PI * f);
}

/** P(Z <= z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT_2);
}

/** P(Z > z), computed directly so that small upper tails keep their precision. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / SQRT_2);
}

/** Survival function of the chi-square distribution with one degree of freedom: P(X > x). */
export function chiSquare1Sf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  return erfc(Math.sqrt(x / 2));
}

// Acklam's rational approximation (relative error 1.15e-9), then one Halley
// step against the accurate CDF above, which brings it to ~1e-15.
const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** The z with P(Z <= z) = p (the probit). -Infinity at 0, +Infinity at 1, NaN outside [0, 1]. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  let x: number;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) /
      ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  } else if (p <= 1 - P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) /
      (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) /
      ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  }
  // Halley refinement; the upper tail is refined through the survival function to keep precision.
  const e = p < 0.5 ? normalCdf(x) - p : 1 - p - normalSf(x);
  const u = e * SQRT_2PI * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Two-sided critical value for a confidence level, e.g. 1.959964 for 0.95. */
export function twoSidedZ(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  }
  return normalQuantile(1 - (1 - confidence) / 2);
}
