/**
 * One leader among replicas: the replica holding a session-level advisory
 * lock is the one that evaluates the gates and moves the percentage.
 *
 * Takeover is PostgreSQL's own: when the holder's session ends (the process
 * died, its connection was killed or timed out), the server releases the
 * lock and the next replica to try gets it. Safety rests on two things:
 * the lock is a property of a session, so it cannot be held twice; and a
 * leader's writes go through `whileLeader`, on that same session, after
 * checking the lock is still there. A replica that lost its session can no
 * longer write through it, however late it notices.
 */
import type pg from 'pg';
import { ShadowgateError } from '../../shared/errors.js';
import { connectPg } from './open-pg-store.js';

/** The first key of every leader lock ('SG' 2); the second is the name's hash. */
export const LEADER_LOCK_NAMESPACE = 0x5347_0002;

export interface LeaderLockOptions {
  url: string;
  /** What is led, e.g. `gates:<rollout id>`: replicas with the same name compete. */
  name: string;
  /** How often a follower tries for the lock and a leader checks it still has its session, ms. Default 500. */
  retryMs?: number;
  /**
   * After losing the lock, wait this long before trying again, ms, so another replica takes over rather than the
   * one whose session just failed. Default 4 x retryMs.
   */
  rejoinDelayMs?: number;
  onAcquired?: () => void;
  onLost?: (reason: string) => void;
  onError?: (err: unknown) => void;
}

export class NotLeaderError extends ShadowgateError {
  constructor(name: string) {
    super('not_leader', `this replica does not hold the leader lock ${name}`);
  }
}

/** FNV-1a, 32 bits, as a signed int4: the lock's second key. */
export function lockKey(name: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export class LeaderLock {
  private client: pg.Client | null = null;
  private pid: number | null = null;
  private leader = false;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private closed = false;
  private lostAt = -Infinity;
  private readonly key: number;

  constructor(private readonly options: LeaderLockOptions) {
    this.key = lockKey(options.name);
  }

  /** Tries at once, then every retryMs. */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.tick(), Math.max(10, this.options.retryMs ?? 500));
    return this.tick();
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** The backend pid of this replica's session, once connected. */
  get backendPid(): number | null {
    return this.pid;
  }

  /**
   * Runs `fn` on the lock-holding session, in a transaction that first
   * checks the lock is held: the write happens as leader or not at all.
   */
  async whileLeader<T>(fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    const client = this.client;
    if (!this.leader || !client) throw new NotLeaderError(this.options.name);
    const held = await client.query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
         AND classid = $1::int4::oid AND objid = $2::int4::oid AND objsubid = 2 AND granted) AS held`,
      [LEADER_LOCK_NAMESPACE, this.key],
    );
    if (!held.rows[0]!.held) {
      this.lose('the lock is no longer held by this session');
      throw new NotLeaderError(this.options.name);
    }
    return fn(client);
  }

  /** Gives the lock up (another replica takes over on its next try) and disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking?.catch(() => {});
    const client = this.client;
    this.client = null;
    if (client && this.leader)
      await client
        .query('SELECT pg_advisory_unlock($1, $2)', [LEADER_LOCK_NAMESPACE, this.key])
        .catch(() => {});
    this.leader = false;
    await client?.end().catch(() => {});
  }

  private tick(): Promise<void> {
    if (this.closed || this.ticking) return this.ticking ?? Promise.resolve();
    const rejoinDelayMs = this.options.rejoinDelayMs ?? 4 * (this.options.retryMs ?? 500);
    if (!this.leader && performance.now() - this.lostAt < rejoinDelayMs) return Promise.resolve();
    // Checked out here: an async body that returned before its first await would run its finally (clearing
    // `ticking`) before the assignment below, leaving a settled promise there, and no tick would run again.
    this.ticking = (async () => {
      try {
        const client = this.client ?? (await this.connect());
        if (this.leader) {
          // A dead session surfaces here if no 'error' event announced it.
          await client.query('SELECT 1');
          return;
        }
        const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
          LEADER_LOCK_NAMESPACE,
          this.key,
        ]);
        if (r.rows[0]!.ok && !this.closed && this.client === client) {
          this.leader = true;
          this.options.onAcquired?.();
        }
      } catch (err) {
        this.lose(`session lost: ${(err as Error).message}`);
        if (!this.closed) this.options.onError?.(err);
      } finally {
        this.ticking = null;
      }
    })();
    return this.ticking;
  }

  private async connect(): Promise<pg.Client> {
    const client = await connectPg(this.options.url);
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.lose(err ? `session lost: ${err.message}` : 'session ended');
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    if (this.closed) {
      await client.end();
      throw new Error('leader lock closed');
    }
    this.client = client;
    return client;
  }

  /** Forgets the session; reports the loss if this replica was the leader. */
  private lose(reason: string): void {
    const client = this.client;
    this.client = null;
    void client?.end().catch(() => {});
    if (this.leader) {
      this.leader = false;
      this.lostAt = performance.now();
      this.options.onLost?.(reason);
    }
  }
}
