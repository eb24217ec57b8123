import type Database from 'better-sqlite3';
import type { Arm, RunKind, RunStatus } from './rows.js';

export interface ArmCounts {
  requests: number;
  ok: number;
  error: number;
}

/** One line of `shadowgate runs`. */
export interface RunSummary {
  id: string;
  kind: RunKind;
  label: string | null;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  /** Prompts selected for the run (known at start), or null when not recorded. */
  totalPrompts: number | null;
  /** Prompts written so far. */
  prompts: number;
  /** Final request rows per arm; arms with no rows are absent. */
  arms: Partial<Record<Arm, ArmCounts>>;
  spentUsd: number;
  budgetUsd: number | null;
  /** Time the replay paused dispatch while a circuit breaker was open, ms, all sessions. */
  pausedMs: number;
  scenarioPath: string | null;
}

/** A `runs` row as `shadowgate runs` reads it (RUN_LIST_SQL). */
export interface RunListRow {
  id: string;
  kind: RunKind;
  label: string | null;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  total_prompts: number | null;
  spent_usd: number;
  budget_usd: number | null;
  paused_ms: number;
  scenario_path: string | null;
}

/** The three grouped queries of listRuns, the same on SQLite and PostgreSQL (pgListRuns). */
export const RUN_LIST_SQL = `SELECT id, kind, label, status, started_at, finished_at, total_prompts, spent_usd, budget_usd, paused_ms, scenario_path
  FROM runs ORDER BY started_at, id`;
export const PROMPT_COUNTS_SQL = 'SELECT run_id, COUNT(*) AS n FROM prompts GROUP BY run_id';
export const ARM_COUNTS_SQL =
  'SELECT run_id, arm, outcome, COUNT(*) AS n FROM requests GROUP BY run_id, arm, outcome ORDER BY run_id, arm, outcome';

/** What the three queries return, put together as one summary per run. */
export function summarizeRuns(
  runs: Iterable<RunListRow>,
  promptCounts: Iterable<{ run_id: string; n: number }>,
  armRows: Iterable<{ run_id: string; arm: Arm; outcome: 'ok' | 'error'; n: number }>,
): RunSummary[] {
  const prompts = new Map<string, number>();
  for (const r of promptCounts) prompts.set(r.run_id, r.n);
  const armCounts = new Map<string, Partial<Record<Arm, ArmCounts>>>();
  for (const r of armRows) {
    let arms = armCounts.get(r.run_id);
    if (!arms) {
      arms = {};
      armCounts.set(r.run_id, arms);
    }
    arms[r.arm] ??= { requests: 0, ok: 0, error: 0 };
    const counts = arms[r.arm]!;
    counts.requests += r.n;
    counts[r.outcome] += r.n;
  }
  return [...runs].map((r) => ({
    id: r.id,
    kind: r.kind,
    label: r.label,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    totalPrompts: r.total_prompts,
    prompts: prompts.get(r.id) ?? 0,
    arms: armCounts.get(r.id) ?? {},
    spentUsd: r.spent_usd,
    budgetUsd: r.budget_usd,
    pausedMs: r.paused_ms,
    scenarioPath: r.scenario_path,
  }));
}

/** Every run, oldest first, with counts per arm. Three grouped queries, all answered from indexes. */
export function listRuns(db: Database.Database): RunSummary[] {
  return summarizeRuns(
    db.prepare(RUN_LIST_SQL).all() as RunListRow[],
    db.prepare(PROMPT_COUNTS_SQL).all() as { run_id: string; n: number }[],
    db.prepare(ARM_COUNTS_SQL).all() as { run_id: string; arm: Arm; outcome: 'ok' | 'error'; n: number }[],
  );
}
