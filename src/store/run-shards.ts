/**
 * `run_shards` (schema 6): one row per shard of a run replayed with
 * `run --shard I/N`. The shard's own spend and reservations live here (a
 * sharded run's `runs.spent_usd` is the sum; its `runs.reserved_usd` stays
 * 0), and the run's status is derived from its shards' (runStatusOfShards).
 */
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
