import type { RolloutMetrics } from '../judge/metrics.js';
import { csDifference, csHalfWidth, DEFAULT_TUNING_N } from '../stats/confidence-sequence.js';
import { quantileRatioSequence } from '../stats/quantile-sequence.js';
import type { JudgedRequest } from '../store/rollout-store.js';

/**
 * The rollout's metrics, each with an anytime-valid interval (a confidence
 * sequence), so that judging after every stage on growing data keeps the
 * false-rollback rate at most 1 - confidence over the whole rollout.
 *
 * Unpaired: candidate-routed requests against baseline-routed ones. A
 * fallback counts as a candidate failure in every metric: the candidate's
 * error rate and the error delta use the candidate's own outcome, and the
 * latency and cost of a fallback (the candidate's failed try plus the
 * baseline's answer) are the candidate side's. The proportions' variances
 * are cluster-robust by sticky key (the unit of assignment); the latency and
 * cost intervals treat requests as independent, and the report says so.
 */
export function rolloutMetrics(
  rows: readonly JudgedRequest[],
  confidence: number,
  nStar: number = DEFAULT_TUNING_N,
): RolloutMetrics {
  // Two-sided at 2C - 1, so each end is a one-sided bound at C (as the shadow gates).
  const alpha = 2 * (1 - confidence);
  let nc = 0;
  let nb = 0;
  let failC = 0;
  let failB = 0;
  let fallbacks = 0;
  const latC: number[] = [];
  const latB: number[] = [];
  const ttftC: number[] = [];
  const ttftB: number[] = [];
  const costC: number[] = [];
  const costB: number[] = [];
  // Per sticky key: [requests, failures, fallbacks], for the cluster-robust variances.
  const keysC = new Map<string, [number, number, number]>();
  const keysB = new Map<string, [number, number, number]>();
  for (const r of rows) {
    const candidate = r.routed_arm === 'candidate';
    const keys = candidate ? keysC : keysB;
    let k = keys.get(r.sticky_key_hash);
    if (!k) {
      k = [0, 0, 0];
      keys.set(r.sticky_key_hash, k);
    }
    k[0]++;
    if (candidate) {
      nc++;
      if (r.candidate_error_class !== null) {
        failC++;
        k[1]++;
      }
      if (r.fallback) {
        fallbacks++;
        k[2]++;
      }
    } else {
      nb++;
      if (r.outcome === 'error') {
        failB++;
        k[1]++;
      }
    }
    if (r.outcome === 'ok' && r.latency_ms !== null) (candidate ? latC : latB).push(r.latency_ms);
    if (r.outcome === 'ok' && r.ttft_ms !== null) (candidate ? ttftC : ttftB).push(r.ttft_ms);
    if (r.cost_usd !== null) (candidate ? costC : costB).push(r.cost_usd);
  }
  for (const a of [latC, latB, ttftC, ttftB]) a.sort((x, y) => x - y);

  const quantileRatio = (c: number[], b: number[], q: number) => {
    const r = quantileRatioSequence(c, b, q, alpha, nStar);
    return r === null
      ? { value: null, n: Math.min(c.length, b.length) }
      : { value: r.value, n: Math.min(c.length, b.length), interval: r.interval };
  };

  return {
    'candidate.error_rate': proportion(failC, nc, clusteredVariance(keysC, 1, failC, nc), alpha, nStar),
    'errors.delta': proportionDelta(
      failC,
      nc,
      clusteredVariance(keysC, 1, failC, nc),
      failB,
      nb,
      clusteredVariance(keysB, 1, failB, nb),
      alpha,
      nStar,
    ),
    'rollout.fallback_rate': proportion(
      fallbacks,
      nc,
      clusteredVariance(keysC, 2, fallbacks, nc),
      alpha,
      nStar,
    ),
    'latency.p50_ratio': quantileRatio(latC, latB, 0.5),
    'latency.p95_ratio': quantileRatio(latC, latB, 0.95),
    'ttft.p95_ratio': quantileRatio(ttftC, ttftB, 0.95),
    'cost.savings_pct': savings(costC, costB, alpha, nStar),
  };
}

/**
 * The variance of a Bernoulli mean with half a pseudo-success on each side
 * ((x + 0.5) / (n + 1)), so that 0 failures in a short stage does not read
 * as a zero-width interval.
 */
function bernoulliVariance(x: number, n: number): number {
  const p = (x + 0.5) / (n + 1);
  return p * (1 - p);
}

/**
 * The per-request variance of a proportion x / n whose requests cluster by
 * sticky key (one user sends many, and a provider often fails the same
 * prompt again): the linearised variance of a ratio estimator over K keys,
 *
 *   Var(p) ~ K / (K - 1) x sum_k (x_k - p n_k)^2 / n^2,
 *
 * returned per request (x n), and never below the independent Bernoulli
 * variance, so clustering can only widen an interval.
 */
function clusteredVariance(
  keys: Map<string, [number, number, number]>,
  field: 1 | 2,
  x: number,
  n: number,
): number {
  const iid = bernoulliVariance(x, n);
  const k = keys.size;
  if (n === 0 || k < 2) return iid;
  const p = x / n;
  let ss = 0;
  for (const tally of keys.values()) ss += (tally[field] - p * tally[0]) ** 2;
  const perRequest = ((k / (k - 1)) * ss) / n;
  return Math.max(iid, perRequest);
}

function proportion(x: number, n: number, variance: number, alpha: number, nStar: number) {
  if (n === 0) return { value: null, n: 0 };
  const p = x / n;
  const h = csHalfWidth(Math.sqrt(variance), n, alpha, nStar);
  return { value: p, n, interval: [Math.max(0, p - h), Math.min(1, p + h)] as [number, number] };
}

function proportionDelta(
  xc: number,
  nc: number,
  varC: number,
  xb: number,
  nb: number,
  varB: number,
  alpha: number,
  nStar: number,
) {
  if (nc === 0 || nb === 0) return { value: null, n: Math.min(nc, nb) };
  const interval = csDifference(xc / nc, varC, nc, xb / nb, varB, nb, alpha, nStar);
  return { value: xc / nc - xb / nb, n: Math.min(nc, nb), interval };
}

/**
 * Savings of the candidate's mean cost per request against the baseline's,
 * percent: 100 (1 - mC / mB). Its interval comes from the log ratio of the
 * means by the delta method, Var = vC / (nC mC^2) + vB / (nB mB^2), through
 * the same confidence sequence.
 */
function savings(c: number[], b: number[], alpha: number, nStar: number) {
  const n = Math.min(c.length, b.length);
  if (c.length < 2 || b.length < 2) return { value: null, n };
  const [mc, vc] = meanVar(c);
  const [mb, vb] = meanVar(b);
  if (!(mc > 0 && mb > 0)) return { value: null, n };
  const logRatio = Math.log(mc / mb);
  const variance = vc / (c.length * mc * mc) + vb / (b.length * mb * mb);
  const total = c.length + b.length;
  const h = csHalfWidth(Math.sqrt(variance * total), total, alpha, nStar);
  return {
    value: 100 * (1 - mc / mb),
    n,
    interval: [100 * (1 - Math.exp(logRatio + h)), 100 * (1 - Math.exp(logRatio - h))] as [number, number],
  };
}

function meanVar(xs: number[]): [number, number] {
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return [mean, ss / (xs.length - 1)];
}
