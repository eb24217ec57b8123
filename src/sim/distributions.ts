import type { Rng } from '../shared/clock.js';

/**
 * A delay in ms: a fixed value, or a lognormal fitted to a median and a 99th
 * percentile (the two numbers a latency dashboard shows).
 */
export type DelayDistribution = { fixedMs: number } | { medianMs: number; p99Ms: number };

/** z for the 99th percentile of the standard normal. */
const Z_P99 = 2.326347874;
/** Draws are capped at this multiple of the p99 so one unlucky draw cannot stall a run. */
const TAIL_CAP_FACTOR = 4;

/** A standard normal draw (Box-Muller; one of the pair is enough here). */
export function normalDraw(rng: Rng): number {
  const u1 = Math.max(rng(), 1e-12);
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * A lognormal draw with the given median and 99th percentile, capped at
 * 4 x p99. A p99 at or below the median gives the median every time.
 */
export function lognormalDraw(median: number, p99: number, rng: Rng): number {
  if (median <= 0) return 0;
  if (p99 <= median) return median;
  const sigma = (Math.log(p99) - Math.log(median)) / Z_P99;
  const value = median * Math.exp(sigma * normalDraw(rng));
  return Math.min(value, p99 * TAIL_CAP_FACTOR);
}

/** Draws a delay in ms (unscaled). Fixed delays consume no randomness. */
export function drawDelayMs(dist: DelayDistribution, rng: Rng): number {
  if ('fixedMs' in dist) return dist.fixedMs;
  return lognormalDraw(dist.medianMs, dist.p99Ms, rng);
}
