import { type Rng, seededRng } from '../shared/clock.js';
import { percentile } from './percentile.js';
import { RandomVariates } from './random-variates.js';

/** A statistic of one arm's values: a percentile (numpy 'linear') or the mean. */
export type ArmStatistic = { kind: 'percentile'; p: number } | { kind: 'mean' };

export interface PairedBootstrapOptions {
  /** Seed of the resampling stream: same data and seed, same interval. */
  seed: number;
  /** Resamples; default 1000. */
  resamples?: number;
  /** Two-sided level in (0, 1); default 0.90 (each end a one-sided 95% bound). */
  level?: number;
  /**
   * Above this many pairs the bootstrap runs on a random subsample of this
   * size and its spread is scaled by sqrt(m / n) (the m-out-of-n bootstrap,
   * Bickel, Götze and van Zwet 1997; valid for smooth statistics such as
   * sample quantiles of a continuous distribution). Default 4000.
   */
  maxPairs?: number;
}

export interface RatioEstimate {
  /** statistic(candidate) / statistic(baseline) on all pairs; NaN when the baseline's is 0. */
  ratio: number;
  /** Percentile-bootstrap interval of the ratio at `level`. */
  interval: [number, number];
}

/**
 * Paired percentile bootstrap of ratios candidate/baseline (Efron and
 * Tibshirani 1993, ch. 13; the resampling unit is the prompt, so both arms'
 * values of a prompt stay together and the prompt's own difficulty, which
 * both arms share, cancels out of the ratio's spread). One resampling serves
 * every statistic asked for: p50 and p95 from the same draws.
 *
 * `baseline[i]` and `candidate[i]` are the same prompt's values; pairs with
 * a NaN on either side must be dropped by the caller. Returns one estimate per
 * statistic, NaN intervals when there are no pairs.
 */
export function pairedRatioBootstrap(
  baseline: Float64Array,
  candidate: Float64Array,
  statistics: readonly ArmStatistic[],
  options: PairedBootstrapOptions,
): RatioEstimate[] {
  if (baseline.length !== candidate.length) throw new RangeError('baseline and candidate must be paired');
  const n = baseline.length;
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.9;
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  if (n === 0) return statistics.map(() => ({ ratio: Number.NaN, interval: [Number.NaN, Number.NaN] }));
  const rng = seededRng(options.seed);
  const full = statistics.map((s) => ratio(statistic(baseline.slice(), s), statistic(candidate.slice(), s)));

  const maxPairs = options.maxPairs ?? 4000;
  let b = baseline;
  let c = candidate;
  let scale = 1;
  if (n > maxPairs) {
    [b, c] = subsample(baseline, candidate, maxPairs, rng);
    scale = Math.sqrt(maxPairs / n);
  }
  const centre =
    scale === 1 ? full : statistics.map((s) => ratio(statistic(b.slice(), s), statistic(c.slice(), s)));
  const draws = resampleRatios(b, c, statistics, resamples, rng);
  const tail = ((1 - level) / 2) * 100;
  return statistics.map((_, k) => {
    const sorted = draws[k]!.filter((v) => Number.isFinite(v)).sort();
    if (sorted.length === 0) return { ratio: full[k]!, interval: [Number.NaN, Number.NaN] };
    const lo = percentile(sorted, tail);
    const hi = percentile(sorted, 100 - tail);
    const mid = centre[k]!;
    return {
      ratio: full[k]!,
      interval: [full[k]! - (mid - lo) * scale, full[k]! + (hi - mid) * scale] as [number, number],
    };
  });
}

/**
 * The bootstrap's inner loop, by counting instead of copying: a resample is
 * the number of times each pair was drawn, and a percentile of it is found
 * by walking the pairs in value order (sorted once) until the counts pass
 * its rank. It uses the same draws in the same order as materialising each
 * resample and selecting in it, so it returns the same numbers, bit for bit
 * (the mean is summed in draw order), in about a third of the time.
 */
function resampleRatios(
  b: Float64Array,
  c: Float64Array,
  statistics: readonly ArmStatistic[],
  resamples: number,
  rng: Rng,
): Float64Array[] {
  const m = b.length;
  const draws = statistics.map(() => new Float64Array(resamples));
  const ranks = percentileRanks(statistics, m);
  const orderB = ascendingOrder(b);
  const orderC = ascendingOrder(c);
  const counts = new Uint32Array(m);
  const valuesB = new Float64Array(statistics.length);
  const valuesC = new Float64Array(statistics.length);
  const wantsMean = statistics.some((s) => s.kind === 'mean');
  for (let r = 0; r < resamples; r++) {
    counts.fill(0);
    let sumB = 0;
    let sumC = 0;
    if (wantsMean) {
      for (let i = 0; i < m; i++) {
        const j = Math.floor(rng() * m);
        counts[j]!++;
        sumB += b[j]!;
        sumC += c[j]!;
      }
    } else {
      for (let i = 0; i < m; i++) counts[Math.floor(rng() * m)]!++;
    }
    percentilesOfCounts(b, orderB, counts, ranks, valuesB);
    percentilesOfCounts(c, orderC, counts, ranks, valuesC);
    for (let k = 0; k < statistics.length; k++) {
      draws[k]![r] =
        statistics[k]!.kind === 'mean' ? ratio(sumB / m, sumC / m) : ratio(valuesB[k]!, valuesC[k]!);
    }
  }
  return draws;
}

/** Where a percentile statistic reads a sample of m: ranks k and k + 1 with weight h - k (numpy 'linear'). */
interface PercentileRank {
  slot: number;
  k: number;
  weight: number;
}

/**
 * The percentile statistics of a sample of m, split for the two walks: the
 * lower half by rank ascending, the upper half by the highest rank each reads
 * (k + 1 when it interpolates), descending.
 */
function percentileRanks(
  statistics: readonly ArmStatistic[],
  m: number,
): { lower: PercentileRank[]; upper: PercentileRank[] } {
  const lower: PercentileRank[] = [];
  const upper: PercentileRank[] = [];
  statistics.forEach((s, slot) => {
    if (s.kind !== 'percentile') return;
    const h = ((m - 1) * s.p) / 100;
    const k = Math.floor(h);
    const rank = { slot, k, weight: k + 1 >= m ? 0 : h - k };
    (2 * k < m - 1 ? lower : upper).push(rank);
  });
  const top = (r: PercentileRank) => (r.weight === 0 ? r.k : r.k + 1);
  lower.sort((x, y) => x.k - y.k);
  upper.sort((x, y) => top(y) - top(x));
  return { lower, upper };
}

function ascendingOrder(values: Float64Array): Uint32Array {
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((x, y) => values[x]! - values[y]!);
}

/**
 * Writes into `out[slot]` each percentile of the resample that drew pair i
 * `counts[i]` times. Ranks in the lower half are found walking up from the
 * smallest value, those in the upper half walking down from the largest, so
 * a p95 reads a twentieth of the pairs, not nineteen twentieths.
 */
function percentilesOfCounts(
  values: Float64Array,
  order: Uint32Array,
  counts: Uint32Array,
  ranks: { lower: readonly PercentileRank[]; upper: readonly PercentileRank[] },
  out: Float64Array,
): void {
  const m = order.length;
  // Walking up: `below` draws sit at positions before `up`. The walk stops at rank k; the value
  // of rank k + 1 is looked up ahead without moving, since the next rank may be k again.
  let up = 0;
  let below = 0;
  for (const { slot, k, weight } of ranks.lower) {
    while (below + counts[order[up]!]! <= k) below += counts[order[up++]!]!;
    const low = values[order[up]!]!;
    if (weight === 0) {
      out[slot] = low;
      continue;
    }
    let next = up;
    if (below + counts[order[next]!]! <= k + 1) {
      next++;
      while (counts[order[next]!]! === 0) next++;
    }
    out[slot] = low + weight * (values[order[next]!]! - low);
  }
  // Walking down from the largest: rank k from the bottom is m - 1 - k from the top. The walk
  // stops at rank k + 1 (the higher of the two a rank reads); rank k is looked up below it.
  let down = m - 1;
  let above = 0;
  for (const { slot, k, weight } of ranks.upper) {
    const top = weight === 0 ? k : k + 1;
    while (above + counts[order[down]!]! <= m - 1 - top) above += counts[order[down--]!]!;
    const high = values[order[down]!]!;
    if (weight === 0) {
      out[slot] = high;
      continue;
    }
    let at = down;
    if (above + counts[order[at]!]! <= m - 1 - k) {
      at--;
      while (counts[order[at]!]! === 0) at--;
    }
    const low = values[order[at]!]!;
    out[slot] = low + weight * (high - low);
  }
}

function ratio(base: number, cand: number): number {
  return base > 0 ? cand / base : Number.NaN;
}

/** The statistic of `values`, which it may reorder. */
function statistic(values: Float64Array, s: ArmStatistic): number {
  if (s.kind === 'mean') {
    let total = 0;
    for (let i = 0; i < values.length; i++) total += values[i]!;
    return total / values.length;
  }
  return selectPercentile(values, s.p);
}

/**
 * numpy.percentile's 'linear' value of `values` by selection (Hoare's
 * quickselect, expected O(n)) instead of a sort; reorders `values`.
 */
export function selectPercentile(values: Float64Array, p: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const h = ((n - 1) * p) / 100;
  const k = Math.floor(h);
  const low = select(values, k);
  if (k + 1 >= n || h === k) return low;
  let next = Number.POSITIVE_INFINITY;
  for (let i = k + 1; i < n; i++) if (values[i]! < next) next = values[i]!;
  return low + (h - k) * (next - low);
}

/** Places the k-th smallest at index k, smaller ones before it and larger ones after; returns it. */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const pivot = a[(left + right) >> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k]!;
  }
  return a[k]!;
}

function subsample(b: Float64Array, c: Float64Array, m: number, rng: Rng): [Float64Array, Float64Array] {
  // Partial Fisher-Yates over indices: m distinct pairs, uniformly.
  const n = b.length;
  const index = new Uint32Array(n);
  for (let i = 0; i < n; i++) index[i] = i;
  const sb = new Float64Array(m);
  const sc = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const t = index[i]!;
    index[i] = index[j]!;
    index[j] = t;
    sb[i] = b[index[i]!]!;
    sc[i] = c[index[i]!]!;
  }
  return [sb, sc];
}

export interface DriftShareEstimate {
  /** Share of candidate similarities strictly below the replica's `noisePercentile`-th percentile. */
  share: number;
  threshold: number;
  /** Two-sample bootstrap interval at `level`. */
  interval: [number, number];
}

/**
 * Drift share with the noise floor's own uncertainty in it: a two-sample
 * bootstrap that resamples the replica similarities (which set the threshold)
 * and the candidate similarities (which are counted against it)
 * independently. Both steps are drawn exactly without materialising a
 * resample: the k-th order statistic of m uniform indices is Beta(k, m-k+1)
 * (as in bootstrapMedianCi), and the count of a resample of n candidates below
 * a threshold t is Binomial(n, F(t)), F the candidates' empirical CDF.
 *
 * @param sortedReplica ascending, no NaN
 * @param sortedCandidate ascending, no NaN
 */
export function driftShareBootstrap(
  sortedReplica: Float64Array,
  sortedCandidate: Float64Array,
  noisePercentile: number,
  options: { seed: number; resamples?: number; level?: number },
): DriftShareEstimate {
  const m = sortedReplica.length;
  const n = sortedCandidate.length;
  const threshold = percentile(sortedReplica, noisePercentile);
  const share = n > 0 && m > 0 ? countBelow(sortedCandidate, threshold) / n : Number.NaN;
  if (n === 0 || m === 0) return { share, threshold, interval: [Number.NaN, Number.NaN] };
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.9;
  const rng = seededRng(options.seed);
  const variates = new RandomVariates(rng);
  const draws = new Float64Array(resamples);
  // The order statistic nearest the percentile's rank, 1-based.
  const k = Math.min(m, Math.max(1, Math.round(((m - 1) * noisePercentile) / 100) + 1));
  for (let r = 0; r < resamples; r++) {
    const u = variates.beta(k, m - k + 1);
    const t = sortedReplica[Math.min(m, Math.max(1, Math.ceil(m * u))) - 1]!;
    const p = countBelow(sortedCandidate, t) / n;
    draws[r] = binomial(n, p, rng, variates) / n;
  }
  draws.sort();
  const tail = ((1 - level) / 2) * 100;
  return { share, threshold, interval: [percentile(draws, tail), percentile(draws, 100 - tail)] };
}

/** Values strictly below t in an ascending array: a binary search. */
function countBelow(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Binomial(n, p): exact, by inversion of the CDF (one uniform, about n * min(p, 1 - p)
 * steps; Devroye 1986, X.4.3, with the symmetry for p > 1/2) when that is
 * short; by the normal approximation (rounded, clamped) past 1000 draws with
 * enough spread, where inversion's walk would be long and the approximation is good.
 */
export function binomial(n: number, p: number, rng: Rng, variates: RandomVariates): number {
  if (p <= 0) return 0;
  if (p >= 1) return n;
  if (n > 1000 && n * p * (1 - p) > 25) {
    return Math.min(n, Math.max(0, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * variates.normal())));
  }
  if (p > 0.5) return n - binomial(n, 1 - p, rng, variates);
  const odds = p / (1 - p);
  let mass = Math.exp(n * Math.log1p(-p)); // P(X = 0)
  let u = rng();
  let x = 0;
  while (u > mass && x < n) {
    u -= mass;
    mass *= (odds * (n - x)) / (x + 1);
    x++;
  }
  return x;
}
