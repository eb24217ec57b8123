import { UsageError } from '../shared/errors.js';
import type { Database } from '../store/open-store.js';
import { RolloutStore } from '../store/rollout-store.js';
import type { RolloutPlan } from './plan.js';
import { resolveRollout } from './rollout-state.js';
import { judgeStage, planGateSpecs, planTuningN, type StageJudgement } from './stage-judge.js';

/** A stored stage judged again from its requests: what `gate --rollout` prints. */
export interface StoredStageJudgement extends StageJudgement {
  rolloutId: string;
  stage: number;
  percentage: number;
  confidence: number;
}

/**
 * Re-derives the judgement of one stage attempt (default: the last) from the
 * stored requests and the stored plan, exactly as the rehearsal made it; a
 * stage still running is judged on what it has so far.
 */
export function judgeRolloutStage(db: Database, rolloutId: string, stage?: number): StoredStageJudgement {
  const store = new RolloutStore(db);
  const rollout = resolveRollout(store, rolloutId, 'the database');
  const stages = store.stages(rollout.id);
  if (stages.length === 0) throw new UsageError(`rollout ${rollout.id} has no stage yet`);
  const row = stage === undefined ? stages.at(-1)! : stages.find((s) => s.stage === stage);
  if (!row)
    throw new UsageError(`rollout ${rollout.id} has no stage ${stage} (stages 1 to ${stages.at(-1)!.stage})`);
  const plan = JSON.parse(rollout.plan_json) as RolloutPlan;
  const judged = judgeStage(
    store.judgedRequests(rollout.id, row.stage),
    row.stage,
    row.percentage,
    planGateSpecs(plan),
    plan.confidence,
    planTuningN(plan),
  );
  return {
    ...judged,
    rolloutId: rollout.id,
    stage: row.stage,
    percentage: row.percentage,
    confidence: plan.confidence,
  };
}
