/**
 * The rows of a replayed run, read straight from SQLite or PostgreSQL, with
 * what differs between two replays of the same scenario and simulator seeds
 * left out: the run id, timings and the ids the simulator numbers in arrival order.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';

/** Measured (or arrival-ordered) columns; everything else must match replay for replay. */
const VARYING = new Set([
  'run_id',
  'idempotency_key',
  'started_at',
  'latency_ms',
  'service_ms',
  'headers_ms',
  'ttft_ms',
  'tpot_ms',
  'duration_ms',
  'timing_error_bound_ms',
  'request_id',
  'system_fingerprint',
]);

export interface ReplayRows {
  requests: string[];
  attempts: string[];
  prompts: string[];
}

const ORDER = {
  requests: 'prompt_id, arm',
  attempts: 'prompt_id, arm, attempt',
  prompts: 'prompt_id',
} as const;

function comparable(rows: Record<string, unknown>[]): string[] {
  return rows.map((row) =>
    JSON.stringify(
      Object.fromEntries(
        Object.entries(row)
          .filter(([k]) => !VARYING.has(k))
          .sort(([a], [b]) => (a < b ? -1 : 1)),
      ),
    ),
  );
}

export function sqliteReplayRows(db: Database.Database, runId: string): ReplayRows {
  const read = (table: keyof typeof ORDER) =>
    comparable(
      db.prepare(`SELECT * FROM ${table} WHERE run_id = ? ORDER BY ${ORDER[table]}`).all(runId) as Record<
        string,
        unknown
      >[],
    );
  return { requests: read('requests'), attempts: read('attempts'), prompts: read('prompts') };
}

export async function pgReplayRows(client: pg.ClientBase, runId: string): Promise<ReplayRows> {
  // COLLATE "C": the byte order SQLite sorts TEXT in.
  const read = async (table: keyof typeof ORDER) =>
    comparable(
      (
        await client.query(
          `SELECT * FROM ${table} WHERE run_id = $1 ORDER BY ${ORDER[table]
            .split(', ')
            .map((c) => (c === 'attempt' ? c : `${c} COLLATE "C"`))
            .join(', ')}`,
          [runId],
        )
      ).rows,
    );
  return {
    requests: await read('requests'),
    attempts: await read('attempts'),
    prompts: await read('prompts'),
  };
}
