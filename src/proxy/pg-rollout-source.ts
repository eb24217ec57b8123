/**
 * Rollout mode on PostgreSQL, for several proxy replicas on one database.
 *
 * - The state is followed with RolloutStateFollower: a change arrives by
 *   LISTEN/NOTIFY within milliseconds of its commit, and a poll every
 *   `pollMs` catches a missed notice, so every replica routes by it within
 *   1 s. Requests read the last state seen; they never wait on the database.
 * - One replica at a time leads (LeaderLock `gates:<rollout id>`, a session
 *   advisory lock): only the leader judges the live gates and moves the
 *   percentage, and its move runs on the lock's own session after checking
 *   the lock is still held, against the version it judged (StaleStateError
 *   when someone moved first). When the leader dies, PostgreSQL ends its
 *   session, the lock is free and the next replica to try takes it.
 * - Routed requests go to `rollout_requests` (stage 0) in batches, from a
 *   buffer a timer flushes; a batch is numbered under a per-rollout lock so
 *   replicas never collide on seq. A failed flush is logged and counted, its
 *   rows kept for the next try up to a bound, and never fails a request.
 *   The leader judges every replica's rows (sharedRequests), read in seq
 *   order: seq is assigned at commit under that lock, so none is skipped.
 */
import type pg from 'pg';
import type { RouterState } from '../rollout/router.js';
import { UsageError } from '../shared/errors.js';
import { redactUrl } from '../store/db-url.js';
import { connectPg, openPgStore } from '../store/pg/open-pg-store.js';
import { LeaderLock } from '../store/pg/pg-leader-lock.js';
import { changeRolloutState } from '../store/pg/pg-rollout-state.js';
import { PgRolloutStore } from '../store/pg/pg-rollout-store.js';
import { RolloutStateFollower } from '../store/pg/pg-state-follower.js';
import type { RolloutRequestRow } from '../store/rollout-rows.js';
import type { JudgedRequest, RolloutStore } from '../store/rollout-store.js';
import {
  type LiveRolloutSource,
  routerStateOf,
  type SharedRequests,
  storedPlanOf,
} from './rollout-source.js';

/** Routed requests held while the database does not take them; beyond, the oldest are dropped (counted). */
export const MAX_PENDING_ROLLOUT_REQUESTS = 50_000;
/** How often buffered routed requests are written, ms. */
export const ROLLOUT_FLUSH_MS = 100;

export interface PgRolloutSourceOptions {
  url: string;
  rolloutId: string | null;
  /** The follower's poll, the fallback for a missed notice, ms. */
  pollMs: number;
  /** How often a follower replica tries for the gate lock (and the leader checks it still holds it), ms. */
  leaderRetryMs: number;
  recordRequests: boolean;
  log: (line: string) => void;
  /** A write or read of the store failed: counted in /metrics (`op`: what failed). */
  onStoreError: (op: string) => void;
  /** Called when this replica becomes (true) or stops being (false) the gate leader. */
  onLeader?: (leader: boolean) => void;
}

export async function openPgRolloutSource(o: PgRolloutSourceOptions): Promise<LiveRolloutSource> {
  const where = redactUrl(o.url);
  // Migrates a fresh database, as every command opening a store for writing does.
  const client = await openPgStore(o.url);
  let follower: RolloutStateFollower | null = null;
  let lock: LeaderLock | null = null;
  let sink: PgRequestSink | null = null;
  try {
    const store = new PgRolloutStore(client);
    const want = o.rolloutId ?? 'latest';
    const row = want === 'latest' ? await store.latestRollout() : await store.getRollout(want);
    if (!row)
      throw new UsageError(want === 'latest' ? `no rollout in ${where}` : `no rollout ${want} in ${where}`);
    const rolloutId = row.id;
    let current: RouterState = routerStateOf(row);
    /** When the state in force took effect: the gate leader judges requests started since. */
    let updatedAt = row.updated_at;
    follower = await RolloutStateFollower.start({
      url: o.url,
      rolloutId,
      pollMs: o.pollMs,
      onChange: (state, via) => {
        current = routerStateOf(state);
        updatedAt = state.updated_at;
        if (via !== 'start')
          o.log(
            `rollout ${state.id}: ${state.status} at ${state.percentage}% (version ${state.version}, by ${via})`,
          );
      },
      onError: (err) => {
        o.onStoreError('follow');
        o.log(`following rollout ${rolloutId} failed: ${(err as Error).message}`);
      },
    });
    const theLock = new LeaderLock({
      url: o.url,
      name: `gates:${rolloutId}`,
      retryMs: o.leaderRetryMs,
      onAcquired: () => {
        o.log(`gate leader for rollout ${rolloutId}`);
        o.onLeader?.(true);
      },
      onLost: (reason) => {
        o.log(`no longer gate leader for rollout ${rolloutId}: ${reason}`);
        o.onLeader?.(false);
      },
      onError: (err) => {
        o.onStoreError('leader_lock');
        o.log(`gate lock for rollout ${rolloutId}: ${(err as Error).message}`);
      },
    });
    lock = theLock;
    await theLock.start();
    if (o.recordRequests) sink = new PgRequestSink(o.url, rolloutId, client, o);
    else await client.end();
    const theSink = sink;
    const recordStore = theSink
      ? // The router needs only these two calls of a store; seq is assigned when the batch is written.
        ({
          nextSeq: () => 0,
          insertRequest: (r: RolloutRequestRow) => theSink.add(r),
        } as unknown as RolloutStore)
      : null;
    const theFollower = follower;
    let lastSeq = -1;
    let lastSince = '';
    const sharedRequests: SharedRequests | undefined = theSink
      ? {
          next: async () => {
            const state = current;
            const since = updatedAt;
            if (since !== lastSince) {
              lastSince = since;
              lastSeq = -1;
            }
            const rows = await theSink.readAfter(lastSeq, since);
            if (rows.length > 0) lastSeq = rows[rows.length - 1]!.seq;
            return { rows, percentage: state.percentage, version: state.version ?? 0 };
          },
          reset: () => {
            lastSeq = -1;
            lastSince = '';
          },
        }
      : undefined;
    return {
      ...(sharedRequests ? { sharedRequests } : {}),
      rolloutId,
      state: () => current,
      storedPlan: storedPlanOf(row),
      recordStore,
      isLeader: () => theLock.isLeader,
      move: async (change, fromVersion) => {
        const after = await theLock.whileLeader((c) =>
          changeRolloutState(c, rolloutId, change, { expectedVersion: fromVersion }),
        );
        if (after.version > (current.version ?? -1)) {
          current = routerStateOf(after);
          updatedAt = after.updated_at;
        }
        return after;
      },
      health: () => ({
        store: 'postgres',
        rollout_id: rolloutId,
        version: current.version,
        percentage: current.percentage,
        status: current.status,
        gate_leader: theLock.isLeader,
        backend_pid: theLock.backendPid,
        ...(theSink ? { pending_requests: theSink.pending, dropped_requests: theSink.dropped } : {}),
      }),
      close: async () => {
        await theSink?.close();
        await theLock.close();
        await theFollower.close();
      },
    };
  } catch (err) {
    await sink?.close();
    await lock?.close();
    await follower?.close();
    await client.end().catch(() => {});
    throw err;
  }
}

/** Routed requests buffered and written in batches, on a connection made again after a failure. */
class PgRequestSink {
  private rows: RolloutRequestRow[] = [];
  private client: pg.Client | null;
  private store: PgRolloutStore | null;
  private flushing: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  dropped = 0;

  constructor(
    private readonly url: string,
    private readonly rolloutId: string,
    client: pg.Client,
    private readonly o: Pick<PgRolloutSourceOptions, 'log' | 'onStoreError'>,
  ) {
    this.client = client;
    this.store = new PgRolloutStore(client);
    this.timer = setInterval(() => void this.flush(), ROLLOUT_FLUSH_MS);
    this.timer.unref();
  }

  get pending(): number {
    return this.rows.length;
  }

  add(row: RolloutRequestRow): void {
    this.rows.push(row);
    this.bound();
  }

  /** One write at a time; rows added meanwhile wait for the next tick. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.rows.length === 0) return Promise.resolve();
    const batch = this.rows;
    this.rows = [];
    this.flushing = (async () => {
      try {
        const store = await this.open();
        await store.appendRequests(this.rolloutId, batch);
      } catch (err) {
        this.o.onStoreError('write_requests');
        this.o.log(
          `writing ${batch.length} routed request(s) of ${this.rolloutId} failed: ${(err as Error).message}`,
        );
        this.reset();
        this.rows = batch.concat(this.rows);
        this.bound();
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
    if (this.rows.length > 0)
      this.o.log(`${this.rows.length} routed request(s) of ${this.rolloutId} not written`);
    await this.client?.end().catch(() => {});
    this.client = null;
    this.store = null;
  }

  /** Every replica's stage-0 rows after `afterSeq` started since `sinceIso`, on this sink's connection. */
  async readAfter(afterSeq: number, sinceIso: string): Promise<(JudgedRequest & { seq: number })[]> {
    try {
      const store = await this.open();
      return await store.liveRequestsAfter(this.rolloutId, afterSeq, sinceIso);
    } catch (err) {
      this.reset();
      throw err;
    }
  }

  private bound(): void {
    const over = this.rows.length - MAX_PENDING_ROLLOUT_REQUESTS;
    if (over > 0) {
      this.rows.splice(0, over);
      this.dropped += over;
    }
  }

  private async open(): Promise<PgRolloutStore> {
    if (this.store) return this.store;
    // A statement the server does not answer must not hold the buffer forever.
    const client = await connectPg(this.url, { queryTimeoutMs: 5000 });
    this.client = client;
    this.store = new PgRolloutStore(client);
    return this.store;
  }

  private reset(): void {
    void this.client?.end().catch(() => {});
    this.client = null;
    this.store = null;
  }
}
