import { UsageError } from '../shared/errors.js';
import type { RolloutWriter } from '../store/async-rollout-store.js';
import type { RolloutPlan } from './plan.js';
import { resolveRolloutFrom } from './rollout-state.js';
import { judgeStage, planGateSpecs, planTuningN, type StageJudgement } from './stage-judge.js';

/** A stored stage judged again from its requests: what `gate --rollout` prints. */
export interface StoredStageJudgement extends StageJudgement {
  rolloutId: string;
  stage: number;
  percentage: number;
  confidence: number;
}

/** The reads a stored stage is judged from, which either store's RolloutWriter answers. */
export type StoredStageSource = Pick<
  RolloutWriter,
  'getRollout' | 'latestRollout' | 'stages' | 'judgedRequests'
>;

/**
 * Re-derives the judgement of one stage attempt (default: the last) from the
 * stored requests and the stored plan, exactly as the rehearsal made it; a
 * stage still running is judged on what it has so far.
 */
export async function judgeRolloutStage(
  store: StoredStageSource,
  rolloutId: string,
  stage?: number,
): Promise<StoredStageJudgement> {
  const rollout = await resolveRolloutFrom(store, rolloutId, 'the database');
  const stages = await store.stages(rollout.id);
  if (stages.length === 0) throw new UsageError(`rollout ${rollout.id} has no stage yet`);
  const row = stage === undefined ? stages.at(-1)! : stages.find((s) => s.stage === stage);
  if (!row)
    throw new UsageError(`rollout ${rollout.id} has no stage ${stage} (stages 1 to ${stages.at(-1)!.stage})`);
  const plan = JSON.parse(rollout.plan_json) as RolloutPlan;
  const judged = judgeStage(
    await store.judgedRequests(rollout.id, row.stage),
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
