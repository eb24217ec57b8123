/**
 * Follows one rollout's shared state from a proxy replica. A change arrives
 * by LISTEN/NOTIFY within milliseconds of its commit; a poll every `pollMs`
 * catches anything a notification missed (the listening connection dropped,
 * a notice sent while reconnecting), so a change reaches the replica within
 * pollMs at worst. Versions only grow: a change is reported once, in order,
 * however it was learnt.
 */
import type pg from 'pg';
import { connectPg } from './open-pg-store.js';
import {
  ROLLOUT_CHANNEL,
  type RolloutState,
  readRolloutState,
  type StateNotice,
} from './pg-rollout-state.js';

export interface FollowOptions {
  url: string;
  rolloutId: string;
  /** Called with each newer state, the first one included. */
  onChange: (state: RolloutState, via: 'notify' | 'poll' | 'start') => void;
  /** Connection and query failures; the follower keeps trying on its next poll. */
  onError?: (err: unknown) => void;
  /** Re-read the state this often even without a notification, ms. Default 500 (within the 1 s the proxy promises). */
  pollMs?: number;
  /** LISTEN for notifications. Default true; false leaves polling alone (tests of the fallback). */
  listen?: boolean;
}

export class RolloutStateFollower {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private lastVersion = -1;
  private latest: RolloutState | undefined;

  private constructor(private readonly options: FollowOptions) {}

  /** Connects, reads the current state (reported with via 'start') and starts following. */
  static async start(options: FollowOptions): Promise<RolloutStateFollower> {
    const follower = new RolloutStateFollower(options);
    await follower.connection();
    await follower.refresh('start');
    follower.timer = setInterval(() => void follower.refresh('poll'), Math.max(10, options.pollMs ?? 500));
    return follower;
  }

  /** The newest state seen, or undefined when the rollout does not exist (yet). */
  get current(): RolloutState | undefined {
    return this.latest;
  }

  /** The backend pid of the listening session (for operators and tests). */
  async backendPid(): Promise<number> {
    const client = await this.connection();
    return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.refreshing?.catch(() => {});
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      try {
        const client = await connectPg(this.options.url);
        const lost = () => {
          if (this.client === client) this.client = null;
          void client.end().catch(() => {});
        };
        client.on('error', lost);
        client.on('end', lost);
        if (this.options.listen ?? true) {
          client.on('notification', (msg) => this.onNotification(msg));
          await client.query(`LISTEN ${ROLLOUT_CHANNEL}`);
        }
        if (this.closed) {
          await client.end();
          throw new Error('follower closed');
        }
        this.client = client;
        return client;
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  private onNotification(msg: pg.Notification): void {
    if (msg.channel !== ROLLOUT_CHANNEL || !msg.payload) return;
    let notice: StateNotice;
    try {
      notice = JSON.parse(msg.payload) as StateNotice;
    } catch {
      return;
    }
    if (notice.rollout_id === this.options.rolloutId && notice.version > this.lastVersion)
      void this.refresh('notify');
  }

  /** Reads the state and reports it when newer. One read at a time; a request during a read runs once after it. */
  private refresh(via: 'notify' | 'poll' | 'start'): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          const client = await this.connection();
          const state = await readRolloutState(client, this.options.rolloutId);
          if (state && state.version > this.lastVersion && !this.closed) {
            this.lastVersion = state.version;
            this.latest = state;
            this.options.onChange(state, via);
          }
        } while (this.again && !this.closed);
      } catch (err) {
        if (!this.closed) this.options.onError?.(err);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }
}
