import { type Decision, evaluateGates, type GateResult, type GateSpec } from '../judge/gates.js';
import { loadGates } from '../judge/load-gates.js';
import type { RolloutMetrics } from '../judge/metrics.js';
import { type SampleRatioCheck, sampleRatioCheck } from '../stats/sample-ratio.js';
import type { JudgedRequest } from '../store/rollout-store.js';
import type { RolloutPlan, RolloutPlanGates } from './plan.js';
import { rolloutMetrics } from './rollout-metrics.js';

/** The gates of a plan that names none: errors, tail latency and fallbacks, each rolling back on proven harm. */
export const DEFAULT_PLAN_GATES: RolloutPlanGates = {
  maxErrorRateIncrease: 0.03,
  maxP95LatencyRatio: 1.5,
  maxFallbackRate: 0.05,
};

/**
 * The confidence sequences' tuning sample size: the candidate requests the
 * plan expects over the whole rollout, where the boundary is made tightest.
 * Any value keeps the sequences valid; this one spends their width where the
 * decisions are made.
 */
export function planTuningN(plan: RolloutPlan): number {
  return plan.minRequestsPerStage * plan.stages.length;
}

/** The gates a plan's shorthand stands for, or its gates file's. */
export function planGateSpecs(plan: RolloutPlan): GateSpec[] {
  if (plan.gatesFile) return loadGates(plan.gatesFile, 'rollout').gates;
  // A plan that names no gate gets the defaults: no gate at all could never promote.
  const g = Object.keys(plan.gates).length > 0 ? plan.gates : DEFAULT_PLAN_GATES;
  const specs: GateSpec[] = [];
  if (g.maxErrorRateIncrease !== undefined)
    specs.push({
      name: 'error-rate-increase',
      metric: 'errors.delta',
      op: '<=',
      threshold: g.maxErrorRateIncrease,
      onFail: plan.onFail,
    });
  if (g.maxP95LatencyRatio !== undefined)
    specs.push({
      name: 'latency-p95',
      metric: 'latency.p95_ratio',
      op: '<=',
      threshold: g.maxP95LatencyRatio,
      onFail: plan.onFail,
    });
  if (g.maxFallbackRate !== undefined)
    specs.push({
      name: 'fallback-rate',
      metric: 'rollout.fallback_rate',
      op: '<=',
      threshold: g.maxFallbackRate,
      onFail: plan.onFail,
    });
  // Saving less than hoped is no harm to users: it holds, never rolls back.
  if (g.minCostSavingsPct !== undefined)
    specs.push({
      name: 'cost-savings',
      metric: 'cost.savings_pct',
      op: '>=',
      threshold: g.minCostSavingsPct,
      onFail: 'hold',
    });
  return specs;
}

export interface StageJudgement {
  decision: Decision;
  reasons: string[];
  gates: GateResult[];
  /** The sample-ratio check over this stage attempt's distinct sticky keys. */
  srm: SampleRatioCheck;
  metrics: RolloutMetrics;
}

/**
 * Judges a stage attempt: the gates on every request so far (cumulative, the
 * confidence sequences allow the repeated looks), and the sample-ratio check
 * on this attempt's keys. A broken assignment holds whatever the gates say:
 * its evidence cannot be trusted either way.
 */
export function judgeStage(
  cumulative: readonly JudgedRequest[],
  stage: number,
  percentage: number,
  specs: readonly GateSpec[],
  confidence: number,
  nStar?: number,
): StageJudgement {
  const metrics = rolloutMetrics(cumulative, confidence, nStar);
  const verdict = evaluateGates(specs, metrics);
  const candidateKeys = new Set<string>();
  const baselineKeys = new Set<string>();
  for (const r of cumulative) {
    if (r.stage !== stage) continue;
    (r.routed_arm === 'candidate' ? candidateKeys : baselineKeys).add(r.sticky_key_hash);
  }
  const srm = sampleRatioCheck(candidateKeys.size, baselineKeys.size, percentage / 100);
  if (srm.mismatch) {
    const observed = ((srm.observedShare ?? 0) * 100).toFixed(2);
    return {
      decision: 'hold',
      reasons: [
        `sample ratio mismatch: ${candidateKeys.size} of ${candidateKeys.size + baselineKeys.size} sticky keys (${observed}%) went to the candidate at a ${percentage}% stage (chi-square p = ${srm.pValue?.toExponential(2)} < 0.001): the assignment is broken -> hold`,
        ...verdict.reasons,
      ],
      gates: verdict.gates,
      srm,
      metrics,
    };
  }
  return { decision: verdict.decision, reasons: verdict.reasons, gates: verdict.gates, srm, metrics };
}
