/** Small order statistics for bench numbers. Pure. */

/**
 * Nearest-rank quantile of an ascending array (q in [0, 1]): an observed value,
 * so a p99 is a real request's error rather than an interpolation.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
  return sorted[rank - 1]!;
}

/** Median (midpoint of the two middle values for an even count) of an ascending array. */
export function medianSorted(sorted: ArrayLike<number>): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median of unsorted values; null when empty. */
export function median(values: readonly number[]): number | null {
  return medianSorted(Float64Array.from(values).sort());
}

/** Rounds to `decimals` places; keeps null. */
export function round(x: number | null, decimals: number): number | null {
  if (x === null) return null;
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
