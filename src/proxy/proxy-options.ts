/** What `shadowgate proxy` is started with, after the CLI checked its flags. Defaults as data. */
import type { RolloutPlan } from '../rollout/plan.js';

export type ProxyMode = 'shadow' | 'rollout' | 'record';
export const PROXY_MODES: readonly ProxyMode[] = ['shadow', 'rollout', 'record'];

export const PROXY_DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  /** Share of requests mirrored to the candidate (shadow mode). */
  mirror: 0.1,
  /** Share of mirrored requests also sent to the baseline again (the A/A noise floor). */
  replica: 0,
  /** Mirrors sent at once. */
  mirrorConcurrency: 32,
  /** Mirrors waiting for a slot before new ones are shed. */
  mirrorQueue: 256,
  /** Request bytes the mirrors waiting and running may hold together (64 MiB). */
  mirrorQueueBytes: 64 * 1024 * 1024,
  /** Largest request body mirrored, bytes (8 MiB). */
  mirrorMaxBytes: 8 * 1024 * 1024,
  /** Largest request body accepted at all, bytes (32 MiB). */
  maxBodyBytes: 32 * 1024 * 1024,
  /** How long SIGTERM waits for answers in flight, ms. */
  graceMs: 10_000,
  /** Connections per provider for served answers. */
  connections: 256,
  /** Share of requests written to the record file (record mode). */
  recordSample: 1,
  /**
   * How often rollout mode re-reads the rollout's percentage from the database, ms: SQLite's only way to
   * learn of a change; on PostgreSQL the fallback behind LISTEN/NOTIFY.
   */
  statePollMs: 250,
  /** PostgreSQL: how often a replica tries for the gate lock, and the leader checks it still holds it, ms. */
  leaderRetryMs: 500,
  /** Candidate-routed requests between two looks of the live gates (rollout mode). */
  gateEvery: 100,
  /** Where rollout mode looks for a request's sticky key, first present wins. */
  stickyKey: ['header', 'user', 'metadata.user_id'] as readonly string[],
} as const;

export interface ProxyOptions {
  mode: ProxyMode;
  host: string;
  /** 0 = a free port. */
  port: number;
  /**
   * The store of the live shadow run (shadow mode) and of the rollout (rollout mode): a SQLite file, or a
   * `postgres://USER@HOST:PORT/DB` URL (several replicas on one database).
   */
  dbPath: string;
  label: string | null;
  /** Store hashes, not prompt and answer text. */
  redact: boolean;
  seed: number;
  mirror: number;
  replica: number;
  mirrorConcurrency: number;
  mirrorQueue: number;
  mirrorQueueBytes: number;
  mirrorMaxBytes: number;
  /** USD the mirrors may spend; null = no limit. */
  mirrorBudgetUsd: number | null;
  maxBodyBytes: number;
  /** Env var holding the token clients must present (Bearer or x-api-key); null = no check. */
  authEnv: string | null;
  /** Forward the client's own Authorization / x-api-key to the baseline instead of its configured key. */
  passThroughAuth: boolean;
  graceMs: number;
  connections: number;
  record: { path: string; sample: number; redactPatterns: RegExp[] } | null;
  rollout: {
    /** The rollout in the store whose percentage is followed; `latest` for the newest. */
    rolloutId: string | null;
    /** Or a state document (`rollout state --out`) re-read when it changes. */
    stateFile: string | null;
    pollMs: number;
    /** PostgreSQL: the gate lock's retry, ms. Default PROXY_DEFAULTS.leaderRetryMs. */
    leaderRetryMs?: number;
    stickyKey: readonly string[];
    /** Write each routed request to `rollout_requests` (stage 0). */
    recordRequests: boolean;
    /** The gates judged on live traffic (`--plan`); null = the rollout's stored plan, when it has one. */
    plan: RolloutPlan | null;
    /** Judge the gates after every this many candidate-routed requests; 0 = no live gates. */
    gateEvery: number;
  } | null;
}
