/** `shadowgate runs` on PostgreSQL: listRuns of src/store/run-queries.ts, the same queries and summaries. */
import type pg from 'pg';
import type { Arm } from '../rows.js';
import {
  ARM_COUNTS_SQL,
  PROMPT_COUNTS_SQL,
  RUN_LIST_SQL,
  type RunListRow,
  type RunSummary,
  summarizeRuns,
} from '../run-queries.js';

/** Every run, oldest first, with counts per arm: three grouped queries, as on SQLite. */
export async function pgListRuns(client: pg.ClientBase): Promise<RunSummary[]> {
  const runs = await client.query<RunListRow>(RUN_LIST_SQL);
  const prompts = await client.query<{ run_id: string; n: number }>(PROMPT_COUNTS_SQL);
  const grouped = await client.query<{ run_id: string; arm: Arm; outcome: 'ok' | 'error'; n: number }>(
    ARM_COUNTS_SQL,
  );
  return summarizeRuns(runs.rows, prompts.rows, grouped.rows);
}
