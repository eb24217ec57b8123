/**
 * The `runs` and `run_shards` rows of one shard's session of a sharded run
 * (`run --shard I/N --run-id ID`): the first shard to arrive makes the run's
 * row, every shard its own; a shard given again resumes where it stopped.
 */
import { redactedConfigJson } from '../config/redacted-config.js';
import { pricesJson } from '../pricing/prices-in-force.js';
import { InterruptedError, UsageError } from '../shared/errors.js';
import type { RunWriter } from '../store/async-run-store.js';
import type { RunRow, RunStatus } from '../store/rows.js';
import { fillSplitPairSimilarity } from './pair-similarity.js';
import type { RunPlan } from './run-plan.js';
import type { OpenedRun } from './run-record.js';
import { inShard, type ShardSpec } from './shard.js';

/** The shard's budget share: `budgetUsd / N`, or all of it with --budget-per-shard; null = no budget. */
export function shardBudgetUsd(budgetUsd: number | null, shard: ShardSpec, perShard: boolean): number | null {
  return budgetUsd === null ? null : perShard ? budgetUsd : budgetUsd / shard.count;
}

export async function openShardRun(
  plan: RunPlan,
  store: RunWriter,
  shard: ShardSpec,
  session: {
    runId: string;
    nowMs: number;
    label: string | null;
    perShard: boolean;
    warn: (line: string) => void;
  },
): Promise<OpenedRun & { budgetUsd: number | null }> {
  const { runId } = session;
  const startedAt = new Date(session.nowMs).toISOString();
  const configJson = redactedConfigJson(plan.config);
  const stored = await store.createRunIfAbsent({
    id: runId,
    kind: 'shadow',
    label: session.label,
    startedAt,
    configJson,
    pricesJson: pricesJson(plan.config),
    scenarioPath: plan.scenarioPath,
    scenarioSha256: plan.scenarioSha256,
    seed: plan.stored.seed,
    optionsJson: JSON.stringify(plan.stored),
    budgetUsd:
      plan.budgetUsd === null ? null : session.perShard ? plan.budgetUsd * shard.count : plan.budgetUsd,
    // Each shard counts its own prompts; the run's total is theirs together, unknown to any one.
    totalPrompts: null,
  });
  checkSameRun(stored, { configJson, scenarioSha256: plan.scenarioSha256, seed: plan.stored.seed });
  const budgetUsd = shardBudgetUsd(plan.budgetUsd, shard, session.perShard);
  const row = await store.openShard(runId, shard.index, shard.count, startedAt, budgetUsd);
  const orphans = await store.deleteOrphanAttempts(runId, (id) => inShard(id, shard));
  if (orphans > 0)
    session.warn(`resume: deleted ${orphans} attempt row(s) without a final request row; they are redone`);
  const lostUsd = await store.settleLostReservations(runId);
  if (lostUsd > 0)
    session.warn(
      `resume: booked $${lostUsd.toFixed(6)} as spent: reserved for attempts whose rows the last session never wrote (killed mid-run)`,
    );
  const completed = await store.completedKeys(runId);
  await store.setRunStatus(runId, 'running', null);
  return { runId, completed, spentBeforeUsd: row.spent_usd + lostUsd, budgetUsd };
}

/** Every shard of a run replays the same config, scenario and seed; one line naming what differs. */
function checkSameRun(
  stored: RunRow,
  mine: { configJson: string; scenarioSha256: string; seed: number },
): void {
  const what =
    stored.kind !== 'shadow'
      ? `is a ${stored.kind} run`
      : stored.scenario_sha256 !== mine.scenarioSha256
        ? 'replays another scenario (sha256 differs)'
        : stored.config_json !== mine.configJson
          ? 'was started with another config'
          : stored.seed !== mine.seed
            ? `was started with --seed ${stored.seed}`
            : null;
  if (what !== null)
    throw new UsageError(
      `run ${stored.id} ${what}: every shard of a run replays the same config, scenario and seed`,
    );
}

/** A fatal error ended the shard's session: the shard is `failed` (never masking the error). */
export async function markShardFailed(
  store: RunWriter,
  runId: string,
  shard: ShardSpec,
  finishedAt: string,
): Promise<void> {
  try {
    await store.finishShard(runId, shard.index, 'failed', finishedAt);
  } catch {
    // The original error says more than a failure to record it.
  }
}

/**
 * Records how the shard's session ended, fills the similarity of pairs split
 * across sessions, and returns the run's status (completed once every shard
 * is). Throws InterruptedError, naming the shard's resume command.
 */
export async function finishShardRun(
  store: RunWriter,
  plan: RunPlan,
  shard: NonNullable<RunPlan['shard']>,
  end: { runId: string; status: RunStatus; finishedAt: string; warn: (line: string) => void },
): Promise<RunStatus> {
  const split = await fillSplitPairSimilarity(store, end.runId);
  if (split.redacted > 0)
    end.warn(
      `resume: ${split.redacted} pair(s) answered across sessions keep similarity NULL: --redact did not store the text it needs`,
    );
  const runStatus = await store.finishShard(end.runId, shard.spec.index, end.status, end.finishedAt);
  if (end.status === 'interrupted')
    throw new InterruptedError(
      `interrupted; resume with: shadowgate run --shard ${shard.spec.index}/${shard.spec.count} --run-id ${end.runId} --db ${plan.dbPath}`,
    );
  return runStatus;
}
