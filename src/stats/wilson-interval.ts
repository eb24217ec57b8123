import { twoSidedZ } from './normal.js';

/**
 * Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998
 * method 3). Unlike the Wald interval it stays inside [0, 1] and keeps its
 * coverage at 0 or n successes, which is where error rates usually sit.
 *
 * @param successes count in [0, n]
 * @param n trials; with n = 0 nothing is known and the interval is [0, 1]
 * @param confidence two-sided level in (0, 1), default 0.95
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): [number, number] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!(successes >= 0 && successes <= n))
    throw new RangeError(`successes must be in [0, ${n}], got ${successes}`);
  const z = twoSidedZ(confidence);
  if (n === 0) return [0, 1];
  const z2 = z * z;
  const p = successes / n;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // The bounds at 0 and n successes are exactly 0 and 1; rounding would leave 1e-17 off.
  const lower = successes === 0 ? 0 : Math.max(0, centre - half);
  const upper = successes === n ? 1 : Math.min(1, centre + half);
  return [lower, upper];
}
