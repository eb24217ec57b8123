/**
 * Calibration of the rollout's sequential gates on synthetic rollouts whose
 * truth is known: rows written as the rehearsal writes them, judged after
 * every stage on the growing data exactly as runRollout judges them. The
 * false-rollback rate over all of a rollout's looks must stay at most
 * 1 - confidence; a candidate failing ten times as often must be rolled back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ROLLOUT_PLAN, type RolloutPlan } from '../../src/rollout/plan.js';
import { judgeStage, planGateSpecs, planTuningN } from '../../src/rollout/stage-judge.js';
import { type Rng, seededRng } from '../../src/shared/clock.js';
import { RandomVariates } from '../../src/stats/random-variates.js';
import type { JudgedRequest } from '../../src/store/rollout-store.js';

interface Arm {
  errorRate: number;
  /** Median latency, ms (lognormal, sigma 0.5). */
  medianMs: number;
  costUsd: number;
}

const PLAN: RolloutPlan = { ...DEFAULT_ROLLOUT_PLAN, stages: [5, 25, 50, 100], minRequestsPerStage: 400 };

/** One synthetic rollout; returns the decision of every stage until it stops. */
function rollout(rng: Rng, baseline: Arm, candidate: Arm, plan = PLAN): string[] {
  const v = new RandomVariates(rng);
  const rows: JudgedRequest[] = [];
  const specs = planGateSpecs(plan);
  const decisions: string[] = [];
  let user = 0;
  let stageIndex = 0;
  let attempt = 0;
  for (let stage = 1; stageIndex < plan.stages.length; stage++) {
    const pct = plan.stages[stageIndex]!;
    let candidateRows = 0;
    while (candidateRows < plan.minRequestsPerStage) {
      // Users send 1-4 requests each, and an unhealthy candidate fails a user's requests together.
      const key = `u${user++}`;
      const toCandidate = rng() * 100 < pct;
      const arm = toCandidate ? candidate : baseline;
      const n = 1 + Math.floor(rng() * 4);
      for (let i = 0; i < n; i++) {
        const failed = rng() < arm.errorRate;
        rows.push({
          stage,
          routed_arm: toCandidate ? 'candidate' : 'baseline',
          served_arm: failed && toCandidate ? 'baseline' : toCandidate ? 'candidate' : 'baseline',
          fallback: failed && toCandidate ? 1 : 0,
          candidate_error_class: failed && toCandidate ? 'server_error' : null,
          outcome: failed && !toCandidate ? 'error' : 'ok',
          latency_ms: arm.medianMs * Math.exp(0.5 * v.normal()),
          ttft_ms: null,
          cost_usd: arm.costUsd * (0.5 + rng()),
          sticky_key_hash: key,
        });
        if (toCandidate) candidateRows++;
      }
    }
    const j = judgeStage(rows, stage, pct, specs, plan.confidence, planTuningN(plan));
    decisions.push(j.decision);
    if (j.decision === 'rollback') break;
    if (j.decision === 'promote') {
      stageIndex++;
      attempt = 0;
    } else if (++attempt > plan.maxStageRepeats) break;
  }
  return decisions;
}

function rates(trials: number, seed: number, baseline: Arm, candidate: Arm) {
  let rolledBack = 0;
  let completed = 0;
  let looks = 0;
  for (let i = 0; i < trials; i++) {
    const d = rollout(seededRng(seed + i), baseline, candidate);
    looks += d.length;
    if (d.at(-1) === 'rollback') rolledBack++;
    else if (d.length >= PLAN.stages.length && d.at(-1) === 'promote') completed++;
  }
  return { rolledBack: rolledBack / trials, completed: completed / trials, looksPerRollout: looks / trials };
}

const HEALTHY: Arm = { errorRate: 0.01, medianMs: 800, costUsd: 0.002 };

describe('sequential rollout gates, on synthetic rollouts with a known truth', () => {
  it('A/A: the false-rollback rate over every look of the rollout stays under 1 - confidence', () => {
    const r = rates(120, 1000, HEALTHY, HEALTHY);
    assert.ok(r.rolledBack <= 1 - PLAN.confidence, `false rollbacks ${r.rolledBack}`);
    assert.ok(r.looksPerRollout >= 4, `only ${r.looksPerRollout} looks per rollout`);
    // A healthy candidate mostly walks through (power to promote, not just to avoid rollbacks).
    assert.ok(r.completed >= 0.6, `completed ${r.completed}`);
  });

  it('a candidate failing 10x as often is rolled back, nearly always at its first stage', () => {
    let atFirst = 0;
    let rolledBack = 0;
    for (let i = 0; i < 40; i++) {
      const d = rollout(seededRng(5000 + i), HEALTHY, { ...HEALTHY, errorRate: 0.1 });
      if (d.at(-1) === 'rollback') rolledBack++;
      if (d.at(-1) === 'rollback' && d.length <= PLAN.maxStageRepeats + 1) atFirst++;
    }
    assert.ok(rolledBack >= 38, `rolled back ${rolledBack}/40`);
    assert.ok(atFirst >= 36, `rolled back within the first stage's attempts ${atFirst}/40`);
  });

  it('a candidate twice as slow at p95 is never promoted to 100%', () => {
    const r = rates(30, 9000, HEALTHY, { ...HEALTHY, medianMs: 1600 });
    assert.equal(r.completed, 0);
    assert.ok(r.rolledBack >= 0.8, `rolled back ${r.rolledBack}`);
  });
});
