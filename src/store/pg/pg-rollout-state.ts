/**
 * The shared rollout state in PostgreSQL: the `rollouts` row (status,
 * percentage, version) and its `rollout_events` audit trail, the same
 * tables and the same move as RolloutStore.changeState on SQLite, plus a
 * NOTIFY on `shadowgate_rollout` that PostgreSQL delivers when the move
 * commits. Replicas follow it with RolloutStateFollower
 * (pg-state-follower.ts); the one that may move it holds a LeaderLock
 * (pg-leader-lock.ts).
 */
import type pg from 'pg';
import { ShadowgateError } from '../../shared/errors.js';
import type { NewRolloutEvent, RolloutRow } from '../rollout-rows.js';
import type { StateChange } from '../rollout-store.js';

/** The channel every state change is announced on; the payload is `{"rollout_id": ..., "version": N}`. */
export const ROLLOUT_CHANNEL = 'shadowgate_rollout';

/** What a router needs to route: the fields a change can move, and the version that orders changes. */
export type RolloutState = Pick<
  RolloutRow,
  'id' | 'status' | 'percentage' | 'version' | 'salt' | 'hash_version' | 'updated_at'
>;

export interface StateNotice {
  rollout_id: string;
  version: number;
}

/** A move made against a version that is no longer the current one: someone else moved first. */
export class StaleStateError extends ShadowgateError {
  constructor(
    readonly rolloutId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(
      'rollout_state_stale',
      `rollout ${rolloutId} is at version ${actualVersion}, not ${expectedVersion}: it moved meanwhile; read it again`,
    );
  }
}

const STATE_COLUMNS = 'id, status, percentage, version, salt, hash_version, updated_at';

export async function readRolloutState(client: pg.ClientBase, id: string): Promise<RolloutState | undefined> {
  const r = await client.query<RolloutState>(`SELECT ${STATE_COLUMNS} FROM rollouts WHERE id = $1`, [id]);
  return r.rows[0];
}

/**
 * Moves the status and percentage, bumps `version`, writes the audit row and
 * announces the new version, in one transaction: there is never a move
 * without its audit trail, and a follower never hears of a move that did not
 * commit. With `expectedVersion`, a move against an older version is refused
 * (StaleStateError) and nothing is written.
 */
export async function changeRolloutState(
  client: pg.ClientBase,
  id: string,
  change: StateChange,
  options: { expectedVersion?: number } = {},
): Promise<RolloutRow> {
  await client.query('BEGIN');
  try {
    const after = await applyStateChange(client, id, change, options);
    await client.query('COMMIT');
    return after;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** changeRolloutState's statements, inside a transaction the caller opened (and commits). */
export async function applyStateChange(
  client: pg.ClientBase,
  id: string,
  change: StateChange,
  options: { expectedVersion?: number } = {},
): Promise<RolloutRow> {
  const before = (
    await client.query<RolloutRow>(
      'SELECT status, percentage, version FROM rollouts WHERE id = $1 FOR UPDATE',
      [id],
    )
  ).rows[0];
  if (!before) throw new ShadowgateError('rollout_missing', `no rollout ${id}`);
  if (options.expectedVersion !== undefined && before.version !== options.expectedVersion)
    throw new StaleStateError(id, options.expectedVersion, before.version);
  const after = (
    await client.query<RolloutRow>(
      `UPDATE rollouts SET status = $1, percentage = $2, version = version + 1, updated_at = $3,
         finished_at = CASE WHEN $4 THEN $3 ELSE finished_at END
       WHERE id = $5 RETURNING *`,
      [change.status, change.percentage, change.at, change.finished === true, id],
    )
  ).rows[0]!;
  await insertRolloutEvent(client, id, {
    at: change.at,
    actor: change.actor,
    automatic: change.automatic ? 1 : 0,
    from_percentage: before.percentage,
    to_percentage: change.percentage,
    from_status: before.status,
    to_status: change.status,
    reason: change.reason,
    evidence_json: change.evidence === undefined ? null : JSON.stringify(change.evidence),
  });
  const notice: StateNotice = { rollout_id: id, version: after.version };
  await client.query('SELECT pg_notify($1, $2)', [ROLLOUT_CHANNEL, JSON.stringify(notice)]);
  return after;
}

/** One audit row; its id is the store's to assign. */
export async function insertRolloutEvent(
  client: pg.ClientBase,
  rolloutId: string,
  e: NewRolloutEvent,
): Promise<void> {
  await client.query(
    `INSERT INTO rollout_events (rollout_id, at, actor, automatic, from_percentage, to_percentage, from_status,
       to_status, reason, evidence_json)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      rolloutId,
      e.at,
      e.actor,
      e.automatic,
      e.from_percentage,
      e.to_percentage,
      e.from_status,
      e.to_status,
      e.reason,
      e.evidence_json,
    ],
  );
}
