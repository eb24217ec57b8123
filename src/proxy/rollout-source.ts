/**
 * Where rollout mode gets the rollout from when it is in a store: its state
 * (read on every request, never waited on), its stored plan, the sink of the
 * requests it routes, and the one move the proxy makes itself, the live
 * gates' rollback. SQLite's is here: one process follows the file's row by
 * polling and is its own leader. PostgreSQL's, for several replicas, is
 * pg-rollout-source.ts.
 */
import { type RolloutPlan, validatePlan } from '../rollout/plan.js';
import { resolveRollout } from '../rollout/rollout-state.js';
import type { RouterState } from '../rollout/router.js';
import { openStore } from '../store/open-store.js';
import type { RolloutRow } from '../store/rollout-rows.js';
import { type JudgedRequest, RolloutStore, type StateChange } from '../store/rollout-store.js';

export interface LiveRolloutSource {
  readonly rolloutId: string;
  /** The state in force; no I/O. */
  state(): RouterState;
  /** The plan stored with the rollout, when it is a whole plan (a rehearsal's). */
  readonly storedPlan: RolloutPlan | null;
  /** What the router records routed requests to (stage 0); null when not recording. */
  readonly recordStore: RolloutStore | null;
  /** Whether this process may judge the live gates and move the percentage (holds the gate lock). */
  isLeader(): boolean;
  /**
   * Moves the rollout as the leader, unless it moved past `fromVersion` meanwhile; rejects with
   * NotLeaderError or StaleStateError (PostgreSQL) rather than move it.
   */
  move(change: StateChange, fromVersion: number): Promise<RolloutRow>;
  /**
   * Every replica's routed requests, for the gate leader to judge (PostgreSQL with --record-rollout);
   * absent: the leader judges the requests it serves itself.
   */
  readonly sharedRequests?: SharedRequests;
  /** For /health: the state followed and who leads. */
  health(): Record<string, unknown>;
  close(): Promise<void>;
}

export interface SharedRequests {
  /**
   * The requests written since the last call that were routed at the percentage in force (started after
   * it took effect; all of them again after a change), with that state.
   */
  next(): Promise<{ rows: JudgedRequest[]; percentage: number; version: number }>;
  /** Forget what was read: the next call starts from the beginning of the percentage in force. */
  reset(): void;
}

export function routerStateOf(
  r: Pick<RolloutRow, 'id' | 'version' | 'percentage' | 'salt' | 'hash_version' | 'status'>,
): RouterState {
  return {
    rollout_id: r.id,
    version: r.version,
    percentage: r.percentage,
    salt: r.salt,
    hash_version: r.hash_version,
    status: r.status,
  };
}

/** The plan in `plan_json` when it validates as a whole plan; null otherwise. */
export function storedPlanOf(row: Pick<RolloutRow, 'id' | 'plan_json'>): RolloutPlan | null {
  try {
    return validatePlan(JSON.parse(row.plan_json), `rollout ${row.id}`);
  } catch {
    return null;
  }
}

/** The rollout's row in a SQLite file, re-read every `pollMs` (one process per rollout). */
export function openSqliteRolloutSource(o: {
  dbPath: string;
  rolloutId: string | null;
  pollMs: number;
  recordRequests: boolean;
  writes: boolean;
  log: (line: string) => void;
}): LiveRolloutSource {
  const db = openStore(o.dbPath, { readonly: !o.writes });
  const store = new RolloutStore(db);
  const rollout = resolveRollout(store, o.rolloutId ?? undefined, o.dbPath);
  let current = routerStateOf(rollout);
  const poll = setInterval(() => {
    try {
      const r = store.getRollout(rollout.id);
      if (r && r.version !== current.version) {
        current = routerStateOf(r);
        o.log(`rollout ${r.id}: ${r.status} at ${r.percentage}% (version ${r.version})`);
      }
      if (o.recordRequests) store.flush();
    } catch (err) {
      o.log(`reading rollout ${rollout.id} failed: ${(err as Error).message}`);
    }
  }, o.pollMs);
  poll.unref();
  return {
    rolloutId: rollout.id,
    state: () => current,
    storedPlan: storedPlanOf(rollout),
    recordStore: o.recordRequests ? store : null,
    isLeader: () => true,
    move: async (change) => {
      const after = store.changeState(rollout.id, change);
      current = routerStateOf(after);
      return after;
    },
    health: () => ({
      store: 'sqlite',
      rollout_id: rollout.id,
      version: current.version,
      percentage: current.percentage,
      status: current.status,
      gate_leader: true,
    }),
    close: async () => {
      clearInterval(poll);
      try {
        if (o.recordRequests) store.flush();
      } finally {
        db.close();
      }
    },
  };
}
