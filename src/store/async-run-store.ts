/**
 * The write side of a run as one interface over both stores: what the shadow
 * replay (src/runner/shadow-run.ts) writes through, whichever store --db names.
 *
 * Row inserts stay synchronous (they append to a buffer, as RunStore's do),
 * so the replay's hot path does not change; everything that reads, or must
 * be written before the caller goes on, returns a Promise. SQLite's RunStore
 * fits it as it is (sqliteRunWriter); PostgreSQL's is PgRunStore
 * (src/store/pg/pg-run-store.ts).
 */
import type {
  Arm,
  AttemptRow,
  BreakerEventRow,
  NewRun,
  PromptRow,
  RequestRow,
  RunRow,
  RunStatus,
} from './rows.js';
import type { RunShardRow } from './run-shards.js';
import type { RunStore } from './run-store.js';
import type { UnscoredPair } from './similarity-queries.js';

export interface RunWriter {
  createRun(run: NewRun): Promise<void>;
  getRun(id: string): Promise<RunRow | undefined>;
  /** Flushes buffered rows first, so a run is never marked finished before its rows are in. */
  setRunStatus(id: string, status: RunStatus, finishedAt?: string | null): Promise<void>;
  /**
   * Buffered: adds `usd` to `runs.spent_usd` and releases `releasedUsd` of `runs.reserved_usd`, in the same
   * transaction as the rows buffered with it.
   */
  addSpend(id: string, usd: number, releasedUsd?: number): void;
  /** Adds an attempt's worst-case cost to `runs.reserved_usd`, committed before the promise settles (send after it). */
  reserveSpend(id: string, usd: number): Promise<void>;
  /** Resume: books reservations a dead session left as spent; resolves to the USD booked. */
  settleLostReservations(id: string): Promise<number>;
  setSpend(id: string, usd: number): Promise<void>;
  setBudget(id: string, usd: number | null): Promise<void>;
  setTotalPrompts(id: string, total: number): Promise<void>;
  addPausedMs(id: string, ms: number): Promise<void>;
  insertBreakerEvent(row: BreakerEventRow): Promise<void>;
  setBreakerHalfOpen(
    runId: string,
    arm: BreakerEventRow['arm'],
    seq: number,
    halfOpenAt: string,
    openMs: number,
  ): Promise<void>;
  lastBreakerSeq(runId: string, arm: BreakerEventRow['arm']): Promise<number>;
  /** Buffered; a row whose primary key is there already is ignored (a resume never doubles a row). */
  insertPrompt(row: PromptRow): void;
  insertAttempt(row: AttemptRow): void;
  insertRequest(row: RequestRow): void;
  readonly pendingRows: number;
  /** Writes everything buffered in one transaction. */
  flush(): Promise<void>;
  /** `${promptId}\u0000${arm}` of every final row of the run (completedKey). */
  completedKeys(runId: string): Promise<Set<string>>;
  /** `belongs`: only the prompts it accepts (a shard's own; another shard may be mid-prompt). */
  deleteOrphanAttempts(runId: string, belongs?: (promptId: string) => boolean): Promise<number>;
  /** A shard's first write: INSERT ... ON CONFLICT DO NOTHING, then the stored row (maybe another shard's). */
  createRunIfAbsent(run: NewRun): Promise<RunRow>;
  /** The shard's run_shards row, made or set back to running; a UsageError when the run has another N. */
  openShard(
    runId: string,
    shard: number,
    shards: number,
    startedAt: string,
    budgetUsd: number | null,
  ): Promise<RunShardRow>;
  /** Flushes; records the shard's end and returns the run's status derived from all its shards'. */
  finishShard(runId: string, shard: number, status: RunStatus, finishedAt: string): Promise<RunStatus>;
  /** `runs.instrument_json` (src/store/instrument-store.ts). */
  saveInstrumentJson(runId: string, json: string): Promise<void>;
  readInstrumentJson(runId: string): Promise<string | null>;
  /** Flushes first: the pairs answered across sessions whose similarity is NULL (src/store/similarity-queries.ts). */
  unscoredPairs(runId: string): Promise<UnscoredPair[]>;
  setSimilarities(runId: string, scores: { promptId: string; arm: Arm; similarity: number }[]): Promise<void>;
  /** Flushes; does not close the connection or file (its opener does). */
  close(): Promise<void>;
}

/** SQLite's RunStore behind the async interface: the same calls, settled at once. */
export function sqliteRunWriter(store: RunStore): RunWriter {
  const settle = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return {
    createRun: (run) => settle(() => store.createRun(run)),
    getRun: (id) => settle(() => store.getRun(id)),
    setRunStatus: (id, status, finishedAt = null) => settle(() => store.setRunStatus(id, status, finishedAt)),
    addSpend: (id, usd, releasedUsd = 0) => store.addSpend(id, usd, releasedUsd),
    reserveSpend: (id, usd) => settle(() => store.reserveSpend(id, usd)),
    settleLostReservations: (id) => settle(() => store.settleLostReservations(id)),
    setSpend: (id, usd) => settle(() => store.setSpend(id, usd)),
    setBudget: (id, usd) => settle(() => store.setBudget(id, usd)),
    setTotalPrompts: (id, total) => settle(() => store.setTotalPrompts(id, total)),
    addPausedMs: (id, ms) => settle(() => store.addPausedMs(id, ms)),
    insertBreakerEvent: (row) => settle(() => store.insertBreakerEvent(row)),
    setBreakerHalfOpen: (runId, arm, seq, at, ms) =>
      settle(() => store.setBreakerHalfOpen(runId, arm, seq, at, ms)),
    lastBreakerSeq: (runId, arm) => settle(() => store.lastBreakerSeq(runId, arm)),
    insertPrompt: (row) => store.insertPrompt(row),
    insertAttempt: (row) => store.insertAttempt(row),
    insertRequest: (row) => store.insertRequest(row),
    get pendingRows() {
      return store.pendingRows;
    },
    flush: () => settle(() => store.flush()),
    completedKeys: (runId) => settle(() => store.completedKeys(runId)),
    deleteOrphanAttempts: (runId, belongs) => settle(() => store.deleteOrphanAttempts(runId, belongs)),
    createRunIfAbsent: (run) => settle(() => store.createRunIfAbsent(run)),
    openShard: (runId, shard, shards, at, usd) =>
      settle(() => store.openShard(runId, shard, shards, at, usd)),
    finishShard: (runId, shard, status, at) => settle(() => store.finishShard(runId, shard, status, at)),
    saveInstrumentJson: (runId, json) => settle(() => store.saveInstrumentJson(runId, json)),
    readInstrumentJson: (runId) => settle(() => store.readInstrumentJson(runId)),
    unscoredPairs: (runId) => settle(() => store.unscoredPairs(runId)),
    setSimilarities: (runId, scores) => settle(() => store.setSimilarities(runId, scores)),
    close: () => settle(() => store.close()),
  };
}
