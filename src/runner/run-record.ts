/**
 * The `runs` row across a session: created (or reopened on resume, with its
 * leftovers cleaned), then finished with its status, and read back as the
 * summary `shadowgate run --json` prints.
 */
import { redactedConfigJson } from '../config/redacted-config.js';
import { pricesJson } from '../pricing/prices-in-force.js';
import type { Rng } from '../shared/clock.js';
import { InterruptedError } from '../shared/errors.js';
import type { RunWriter } from '../store/async-run-store.js';
import type { RunStatus } from '../store/rows.js';
import type { RunSummary } from '../store/run-queries.js';
import type { Arm } from './arms.js';
import { type InstrumentRecord, mergeRecords } from './instrument.js';
import { fillSplitPairSimilarity } from './pair-similarity.js';
import { newRunId } from './run-id.js';
import type { RunPlan } from './run-plan.js';

export interface ArmSummary {
  requests: number;
  ok: number;
  error: number;
}

/** What `shadowgate run --json` prints. Counts cover the whole run, earlier sessions of a resumed run included. */
export interface ShadowRunSummary {
  run_id: string;
  status: RunStatus;
  /** Prompts recorded for the run. */
  prompts: number;
  /** Prompts selected (sample and limit applied). */
  total_prompts: number | null;
  arms: { baseline: ArmSummary; candidate: ArmSummary; baseline_replica?: ArmSummary };
  spent_usd: number;
  budget_usd: number | null;
  /** Time dispatch paused while a circuit breaker was open, ms, all sessions (see breaker_events). */
  paused_ms: number;
  db: string;
  /** This session's wall time, s. */
  duration_s: number;
  /** The harness's own timing error over the run (see docs/run.md); null when none was recorded. */
  instrument: InstrumentRecord | null;
  /** A shard's session (`run --shard I/N`): `status` is the shard's; `run_status` the whole run's. */
  shard?: string;
  run_status?: RunStatus;
}

/** The run this session writes to. */
export interface OpenedRun {
  runId: string;
  /** Resume: the (prompt, arm) pairs that already have a final row (see completedKey); null for a new run. */
  completed: Set<string> | null;
  /** Spend booked by earlier sessions, USD. */
  spentBeforeUsd: number;
  /** A shard's budget share, USD, when it differs from the plan's (src/runner/shard-record.ts). */
  budgetUsd?: number | null;
}

/**
 * A new run: a fresh id and its `runs` row. A resume: reservations of
 * attempts whose rows never landed are booked as spent, attempt rows without
 * a final row are deleted (they are redone; their spend stays), the budget
 * updated, the status set back to `running`.
 */
export async function openRun(
  plan: RunPlan,
  store: RunWriter,
  session: { nowMs: number; label: string | null; idRng: Rng; warn: (line: string) => void },
): Promise<OpenedRun> {
  const run = plan.resumeRun;
  if (run) {
    const orphans = await store.deleteOrphanAttempts(run.id);
    if (orphans > 0)
      session.warn(`resume: deleted ${orphans} attempt row(s) without a final request row; they are redone`);
    const lostUsd = await store.settleLostReservations(run.id);
    if (lostUsd > 0)
      session.warn(
        `resume: booked $${lostUsd.toFixed(6)} as spent: reserved for attempts whose rows the last session never wrote (killed mid-run)`,
      );
    const completed = await store.completedKeys(run.id);
    if (plan.budgetUsd !== run.budget_usd) await store.setBudget(run.id, plan.budgetUsd);
    await store.setRunStatus(run.id, 'running', null);
    return { runId: run.id, completed, spentBeforeUsd: run.spent_usd + lostUsd };
  }
  let runId = newRunId(session.nowMs, session.idRng);
  while (await store.getRun(runId)) runId = newRunId(session.nowMs, session.idRng);
  await store.createRun({
    id: runId,
    kind: 'shadow',
    label: session.label,
    startedAt: new Date(session.nowMs).toISOString(),
    configJson: redactedConfigJson(plan.config),
    pricesJson: pricesJson(plan.config),
    scenarioPath: plan.scenarioPath,
    scenarioSha256: plan.scenarioSha256,
    seed: plan.stored.seed,
    optionsJson: JSON.stringify(plan.stored),
    budgetUsd: plan.budgetUsd,
    totalPrompts: plan.totalPrompts,
  });
  return { runId, completed: null, spentBeforeUsd: 0 };
}

/** A fatal error ended the session: the run is `failed` (a failure to record that does not mask the error). */
export async function markFailed(store: RunWriter, runId: string, finishedAt: string): Promise<void> {
  try {
    await store.setRunStatus(runId, 'failed', finishedAt);
  } catch {
    // The original error says more than a failure to record it.
  }
}

/**
 * Records how the session ended. A resumed session first fills the similarity
 * of pairs whose arms were answered in different sessions. Throws
 * InterruptedError, naming the resume command, for an interrupted run.
 */
export async function finishRun(
  store: RunWriter,
  plan: RunPlan,
  end: { runId: string; status: RunStatus; finishedAt: string; warn: (line: string) => void },
): Promise<void> {
  const { runId } = end;
  if (plan.resumeRun) {
    const split = await fillSplitPairSimilarity(store, runId);
    if (split.redacted > 0) {
      end.warn(
        `resume: ${split.redacted} pair(s) answered across sessions keep similarity NULL: --redact did not store the text it needs`,
      );
    }
  }
  await store.setRunStatus(runId, end.status, end.finishedAt);
  if (end.status === 'interrupted') {
    throw new InterruptedError(
      `interrupted; resume with: shadowgate run --resume ${runId} --db ${plan.dbPath}`,
    );
  }
}

/**
 * Stores this session's instrument record in `runs.instrument_json`, merged
 * with the earlier sessions' of a resumed run; returns what was stored.
 */
export async function saveInstrument(
  store: Pick<RunWriter, 'readInstrumentJson' | 'saveInstrumentJson'>,
  runId: string,
  session: InstrumentRecord,
): Promise<InstrumentRecord> {
  const record = mergeRecords(storedRecord(await store.readInstrumentJson(runId)), session);
  await store.saveInstrumentJson(runId, JSON.stringify(record));
  return record;
}

/** An earlier session's record; null when none, or when it no longer reads as one (then this session's stands). */
function storedRecord(json: string | null): InstrumentRecord | null {
  if (json === null) return null;
  try {
    const r = JSON.parse(json) as InstrumentRecord | null;
    return r !== null && typeof r === 'object' && typeof r.timing_error_bound_p99_ms === 'number' ? r : null;
  } catch {
    return null;
  }
}

export function summarize(
  run: RunSummary | undefined,
  runId: string,
  dbPath: string,
  durationS: number,
  instrument: InstrumentRecord | null,
): ShadowRunSummary {
  if (!run) throw new Error(`run ${runId} vanished from ${dbPath}`);
  const arm = (a: Arm): ArmSummary => {
    const c = run.arms[a];
    return { requests: c?.requests ?? 0, ok: c?.ok ?? 0, error: c?.error ?? 0 };
  };
  const arms: ShadowRunSummary['arms'] = { baseline: arm('baseline'), candidate: arm('candidate') };
  if (run.arms.baseline_replica) arms.baseline_replica = arm('baseline_replica');
  return {
    run_id: runId,
    status: run.status,
    prompts: run.prompts,
    total_prompts: run.totalPrompts,
    arms,
    spent_usd: run.spentUsd,
    budget_usd: run.budgetUsd,
    paused_ms: run.pausedMs,
    db: dbPath,
    duration_s: Math.round(durationS * 1000) / 1000,
    instrument,
  };
}
