/** `shadowgate runs` on PostgreSQL: listRuns of src/store/run-queries.ts, the same summaries. */
import type pg from 'pg';
import type { Arm, RunKind, RunStatus } from '../rows.js';
import type { ArmCounts, RunSummary } from '../run-queries.js';

interface RunListRow {
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

/** Every run, oldest first, with counts per arm: three grouped queries, as on SQLite. */
export async function pgListRuns(client: pg.ClientBase): Promise<RunSummary[]> {
  const runs = await client.query<RunListRow>(
    `SELECT id, kind, label, status, started_at, finished_at, total_prompts, spent_usd, budget_usd, paused_ms, scenario_path
     FROM runs ORDER BY started_at, id`,
  );
  const prompts = await client.query<{ run_id: string; n: number }>(
    'SELECT run_id, COUNT(*) AS n FROM prompts GROUP BY run_id',
  );
  const promptCounts = new Map(prompts.rows.map((r) => [r.run_id, r.n]));
  const grouped = await client.query<{ run_id: string; arm: Arm; outcome: 'ok' | 'error'; n: number }>(
    'SELECT run_id, arm, outcome, COUNT(*) AS n FROM requests GROUP BY run_id, arm, outcome ORDER BY run_id, arm, outcome',
  );
  const armCounts = new Map<string, Partial<Record<Arm, ArmCounts>>>();
  for (const r of grouped.rows) {
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
  return runs.rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    label: r.label,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    totalPrompts: r.total_prompts,
    prompts: promptCounts.get(r.id) ?? 0,
    arms: armCounts.get(r.id) ?? {},
    spentUsd: r.spent_usd,
    budgetUsd: r.budget_usd,
    pausedMs: r.paused_ms,
    scenarioPath: r.scenario_path,
  }));
}
