/**
 * The power of pairing: how often a 10% slower candidate is detected, at the
 * same one-sided 5% level, by
 * - the shadow report's p50 gate statistic: the paired bootstrap of the p50
 *   ratio, the prompt as resampling unit (src/report/comparison.ts);
 * - the report's paired significance test: Wilcoxon's signed-rank test on the
 *   per-prompt latency deltas;
 * - an unpaired Mann-Whitney test, what Kayenta runs on a canary's latency.
 *   A canary sends each request to one side only, so each arm answers its own
 *   prompts: the same latency model and seeds, without the pairing. (Run on
 *   the paired arrays, Mann-Whitney would not hold its level: it assumes the
 *   two samples independent.)
 * The data follow the known-truth latency model: each prompt's own
 * difficulty, shared by both arms in a shadow run, times each arm's own noise.
 */
import { seededRng } from '../../src/shared/clock.js';
import { mannWhitneyU } from '../../src/stats/mann-whitney.js';
import { pairedRatioBootstrap } from '../../src/stats/paired-bootstrap.js';
import { RandomVariates } from '../../src/stats/random-variates.js';
import { wilcoxonSignedRank } from '../../src/stats/wilcoxon.js';
import { drawArmLatency, drawPromptLatency } from './known-truth.js';

/** One-sided 5%: the report's default confidence 0.95 is a two-sided 90% interval. */
const LEVEL = 0.9;
const ALPHA = 0.05;

export interface Power {
  prompts: number;
  seeds: number;
  /** Share of seeds whose paired p50 ratio interval lies above 1. */
  pairedP50: number;
  /** Share of seeds whose signed-rank test of the paired deltas says slower at one-sided 5%. */
  pairedSignedRank: number;
  /** Share of seeds whose Mann-Whitney one-sided p-value (each arm its own prompts) is below 5%. */
  unpaired: number;
}

export type Method = Exclude<keyof Power, 'prompts' | 'seeds'>;
export const METHODS: readonly Method[] = ['pairedP50', 'pairedSignedRank', 'unpaired'];

/** Detection rates of a candidate `factor` times slower, over `seeds` seeded runs of `prompts` prompts. */
export function pairingPower(factor: number, prompts: number, seeds: number, firstSeed = 1): Power {
  const hits = { pairedP50: 0, pairedSignedRank: 0, unpaired: 0 };
  for (let s = firstSeed; s < firstSeed + seeds; s++) {
    const v = new RandomVariates(seededRng((s * 0x9e3779b9 + prompts) >>> 0));
    const baseline = new Float64Array(prompts);
    const candidate = new Float64Array(prompts);
    const deltas = new Float64Array(prompts);
    const canary = new Float64Array(prompts);
    for (let i = 0; i < prompts; i++) {
      const promptLatency = drawPromptLatency(v);
      baseline[i] = drawArmLatency(v, promptLatency, 1);
      candidate[i] = drawArmLatency(v, promptLatency, factor);
      deltas[i] = candidate[i]! - baseline[i]!;
      canary[i] = drawArmLatency(v, drawPromptLatency(v), factor);
    }
    const [p50] = pairedRatioBootstrap(baseline, candidate, [{ kind: 'percentile', p: 50 }], {
      seed: s,
      level: LEVEL,
    });
    if (p50!.interval[0] > 1) hits.pairedP50++;
    if (wilcoxonSignedRank(deltas).pValue < 2 * ALPHA && sum(deltas) > 0) hits.pairedSignedRank++;
    if (mannWhitneyU(baseline, canary).pGreater < ALPHA) hits.unpaired++;
  }
  return {
    prompts,
    seeds,
    pairedP50: hits.pairedP50 / seeds,
    pairedSignedRank: hits.pairedSignedRank / seeds,
    unpaired: hits.unpaired / seeds,
  };
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** The smallest of `sizes` at which each method reaches `target` power. */
export function promptsForPower(
  factor: number,
  sizes: readonly number[],
  seeds: number,
  target = 0.9,
): { curve: Power[]; needed: Record<Method, number | null> } {
  const curve = sizes.map((n) => pairingPower(factor, n, seeds));
  // The smallest size from which every larger one reaches the target too: a
  // seeded curve wobbles, and one lucky size must not stand for the method.
  const first = (key: Method) => {
    let from: number | null = null;
    for (const p of curve)
      if (p[key] < target) from = null;
      else from ??= p.prompts;
    return from;
  };
  return {
    curve,
    needed: {
      pairedP50: first('pairedP50'),
      pairedSignedRank: first('pairedSignedRank'),
      unpaired: first('unpaired'),
    },
  };
}
