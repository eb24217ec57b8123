import { renameSync, writeFileSync } from 'node:fs';
import { UsageError } from '../shared/errors.js';
import type { RolloutWriter } from '../store/async-rollout-store.js';
import type { RolloutRow } from '../store/rollout-rows.js';
import type { RolloutStore, StateChange } from '../store/rollout-store.js';

/** The small document a router in any language polls (`shadowgate rollout state --out FILE`). */
export interface RolloutStateDocument {
  rollout_id: string;
  /** Bumped on every change; a router re-reads when it grows. */
  version: number;
  percentage: number;
  salt: string;
  hash_version: number;
  status: string;
  updated_at: string;
}

export function stateDocument(r: RolloutRow): RolloutStateDocument {
  return {
    rollout_id: r.id,
    version: r.version,
    percentage: r.percentage,
    salt: r.salt,
    hash_version: r.hash_version,
    status: r.status,
    updated_at: r.updated_at,
  };
}

/** Writes the state document atomically (a temporary file, then a rename), so a poller never reads half of it. */
export function writeStateDocument(path: string, doc: RolloutStateDocument): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(tmp, path);
}

/** The rollout a command names, or the latest one. */
export function resolveRollout(store: RolloutStore, id: string | undefined, dbPath: string): RolloutRow {
  return checkNamed(
    id === undefined || id === 'latest' ? store.latestRollout() : store.getRollout(id),
    id,
    dbPath,
  );
}

/** resolveRollout for either store. */
export async function resolveRolloutFrom(
  store: Pick<RolloutWriter, 'getRollout' | 'latestRollout'>,
  id: string | undefined,
  dbLabel: string,
): Promise<RolloutRow> {
  const latest = id === undefined || id === 'latest';
  return checkNamed(latest ? await store.latestRollout() : await store.getRollout(id), id, dbLabel);
}

function checkNamed(r: RolloutRow | undefined, id: string | undefined, where: string): RolloutRow {
  if (!r)
    throw new UsageError(
      id === undefined || id === 'latest' ? `no rollout in ${where}` : `no rollout ${id} in ${where}`,
    );
  return r;
}

export interface ManualMove {
  percentage: number;
  reason: string;
  actor: string;
  at: string;
  allowDecrease?: boolean;
}

/**
 * A manual move: `rollout set PERCENT` or `rollout rollback`. Lowering the
 * percentage other than to 0 would move users who already reached the
 * candidate back to the baseline, so it needs `allowDecrease`.
 */
export function manualMove(store: RolloutStore, rollout: RolloutRow, move: ManualMove): RolloutRow {
  return store.changeState(rollout.id, manualChange(rollout, move));
}

/**
 * manualMove for either store. The move is checked against `rollout` as read
 * and refused (StaleStateError) if the rollout moved since: another operator
 * or the gates of a live router got there first.
 */
export function manualMoveOn(
  store: RolloutWriter,
  rollout: RolloutRow,
  move: ManualMove,
): Promise<RolloutRow> {
  return store.changeState(rollout.id, manualChange(rollout, move), { expectedVersion: rollout.version });
}

function manualChange(rollout: RolloutRow, move: ManualMove): StateChange {
  const p = move.percentage;
  if (!(Number.isFinite(p) && p >= 0 && p <= 100))
    throw new UsageError('PERCENT: must be a number from 0 to 100');
  if (!move.reason.trim()) throw new UsageError('--reason: say why (it goes into the audit trail)');
  if (p > 0 && p < rollout.percentage && !move.allowDecrease)
    throw new UsageError(
      `lowering ${rollout.percentage}% to ${p}% moves users back from the candidate; use rollout rollback, or --allow-decrease`,
    );
  const status = p === 0 ? 'rolled_back' : p === 100 ? 'completed' : 'running';
  return {
    status,
    percentage: p,
    at: move.at,
    actor: move.actor,
    automatic: false,
    reason: move.reason,
    finished: status !== 'running',
  };
}
