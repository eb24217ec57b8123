import { twoSidedZ } from './normal.js';
import { wilsonInterval } from './wilson-interval.js';

/** Paired outcomes of two arms on the same prompts (counts of prompts). */
export interface PairedFailureTable {
  bothFail: number;
  /** The first arm (the baseline) failed, the second did not. */
  onlyFirstFail: number;
  /** The second arm (the candidate) failed, the first did not. */
  onlySecondFail: number;
  neitherFail: number;
}

/**
 * Difference of paired failure rates, second minus first (candidate minus
 * baseline), with Newcombe's (1998) square-and-add interval for paired data,
 * method 10: the Wilson intervals of both rates combined with their
 * correlation phi, where phi's numerator ad - bc is shrunk by n/2 toward zero
 * when positive (0 when 0 <= ad - bc <= n/2) and phi = 0 when a margin is empty.
 * It stays inside [-1, 1] and behaves at zero failures, where the Wald interval collapses to a point.
 *
 * @param confidence two-sided level in (0, 1), default 0.95
 * @returns delta NaN and ci [NaN, NaN] when the table is empty
 */
export function pairedProportionDiff(
  table: PairedFailureTable,
  confidence = 0.95,
): { delta: number; ci: [number, number] } {
  const { bothFail: a, onlyFirstFail: b, onlySecondFail: c, neitherFail: d } = table;
  for (const [name, v] of Object.entries(table)) {
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  twoSidedZ(confidence);
  const n = a + b + c + d;
  if (n === 0) return { delta: Number.NaN, ci: [Number.NaN, Number.NaN] };
  const first = (a + b) / n;
  const second = (a + c) / n;
  const [l1, u1] = wilsonInterval(a + b, n, confidence);
  const [l2, u2] = wilsonInterval(a + c, n, confidence);

  const marginProduct = (a + b) * (c + d) * (a + c) * (b + d);
  let phi = 0;
  if (marginProduct > 0) {
    const cross = a * d - b * c;
    const shrunk = cross > n / 2 ? cross - n / 2 : Math.min(cross, 0);
    phi = shrunk / Math.sqrt(marginProduct);
  }
  const delta = second - first;
  const below = Math.sqrt(
    Math.max(0, (second - l2) ** 2 + (u1 - first) ** 2 - 2 * phi * (second - l2) * (u1 - first)),
  );
  const above = Math.sqrt(
    Math.max(0, (u2 - second) ** 2 + (first - l1) ** 2 - 2 * phi * (u2 - second) * (first - l1)),
  );
  return { delta, ci: [Math.max(-1, delta - below), Math.min(1, delta + above)] };
}
