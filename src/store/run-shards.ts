/**
 * `run_shards` (schema 6): one row per shard of a run replayed with
 * `run --shard I/N`. The shard's own spend and reservations live here (a
 * sharded run's `runs.spent_usd` is the sum; its `runs.reserved_usd` stays
 * 0), and the run's status is derived from its shards' (runStatusOfShards).
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { RunStatus } from './rows.js';

export interface RunShardRow {
  run_id: string;
  /** 1..shards. */
  shard: number;
  shards: number;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  spent_usd: number;
  /** Worst-case cost of this shard's attempts in flight, USD (booked as spent by the shard's resume). */
  reserved_usd: number;
  /** The shard's budget share, USD; NULL when the run has no budget. */
  budget_usd: number | null;
}

/**
 * The run's status from its shards': `completed` once all `shards` are;
 * `running` while any runs or some have not started; else the first of
 * failed, interrupted, budget_exhausted that a shard ended with.
 */
export function runStatusOfShards(rows: Pick<RunShardRow, 'shard' | 'status'>[], shards: number): RunStatus {
  if (rows.length === shards && rows.every((r) => r.status === 'completed')) return 'completed';
  if (rows.some((r) => r.status === 'running')) return 'running';
  for (const status of ['failed', 'interrupted', 'budget_exhausted'] as const)
    if (rows.some((r) => r.status === status)) return status;
  return 'running';
}

/** Every run's shards, in shard order, by run id (`shadowgate runs`). */
export function listRunShards(db: Database.Database): Map<string, RunShardRow[]> {
  return byRun(db.prepare('SELECT * FROM run_shards ORDER BY run_id, shard').all() as RunShardRow[]);
}

/** listRunShards on PostgreSQL. */
export async function pgListRunShards(client: pg.ClientBase): Promise<Map<string, RunShardRow[]>> {
  return byRun((await client.query<RunShardRow>('SELECT * FROM run_shards ORDER BY run_id, shard')).rows);
}

function byRun(rows: RunShardRow[]): Map<string, RunShardRow[]> {
  const out = new Map<string, RunShardRow[]>();
  for (const r of rows) {
    const list = out.get(r.run_id);
    if (list) list.push(r);
    else out.set(r.run_id, [r]);
  }
  return out;
}

/** One line under a sharded run in `shadowgate runs`: each shard's status and spend. */
export function shardsLine(shards: RunShardRow[]): string {
  return `  shards: ${shards.map((s) => `${s.shard}/${s.shards} ${s.status} $${s.spent_usd.toFixed(4)}`).join(', ')}`;
}
