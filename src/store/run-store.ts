import type Database from 'better-sqlite3';
import { ShadowgateError, UsageError } from '../shared/errors.js';
import { readInstrumentJson, saveInstrumentJson } from './instrument-store.js';
import {
  type Arm,
  ATTEMPT_COLUMNS,
  type AttemptRow,
  type BreakerEventRow,
  type NewRun,
  PROMPT_COLUMNS,
  type PromptRow,
  REQUEST_COLUMNS,
  type RequestRow,
  type RunRow,
  type RunStatus,
} from './rows.js';
import { type RunShardRow, runStatusOfShards } from './run-shards.js';
import { setSimilarities, type UnscoredPair, unscoredPairs } from './similarity-queries.js';

export interface RunStoreOptions {
  /** Rows buffered before a flush is forced. Default 500. */
  batchSize?: number;
  /** Longest a buffered row waits before a timer flushes it, ms. Default 100; 0 turns the timer off. */
  flushIntervalMs?: number;
  /**
   * The shard of a sharded run this writer replays (1..N): spend and
   * reservations are booked on its `run_shards` row too (see run-shards.ts).
   */
  shard?: number;
}

type SqlValue = string | number | bigint | Buffer | null;

/**
 * The write side of the store. Inserts are buffered and written in one
 * transaction per batch (prompts, then attempts, then requests, then spend),
 * so the hot path only appends to an array. Final rows use INSERT OR IGNORE
 * on their primary key: a resumed run that writes a row again changes nothing.
 *
 * Not safe to share between processes' writers beyond what SQLite locking
 * gives; one run, one RunStore.
 */
export class RunStore {
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private prompts: SqlValue[][] = [];
  private attempts: SqlValue[][] = [];
  private requests: SqlValue[][] = [];
  /** Per run: cost to add to spent_usd, and reservations to release from reserved_usd, USD. */
  private pendingSpendUsd = new Map<string, { spentUsd: number; releasedUsd: number }>();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  /** An error from a timer-driven flush, rethrown at the next call so it is never lost. */
  private deferredError: unknown = null;
  private closed = false;

  private readonly insertPromptStmt: Database.Statement;
  private readonly insertAttemptStmt: Database.Statement;
  private readonly insertRequestStmt: Database.Statement;
  private readonly addSpendStmt: Database.Statement;
  private readonly reserveStmt: Database.Statement;
  private readonly settleLostStmt: Database.Statement;
  private readonly setSpendStmt: Database.Statement;
  private readonly setBudgetStmt: Database.Statement;
  private readonly setTotalPromptsStmt: Database.Statement;
  private readonly setStatusStmt: Database.Statement;
  private readonly createRunStmt: Database.Statement;
  private readonly createRunIfAbsentStmt: Database.Statement;
  private readonly getRunStmt: Database.Statement;
  private readonly completedStmt: Database.Statement;
  private readonly deleteOrphansStmt: Database.Statement;
  private readonly addPausedStmt: Database.Statement;
  private readonly insertBreakerEventStmt: Database.Statement;
  private readonly setBreakerHalfOpenStmt: Database.Statement;
  private readonly lastBreakerSeqStmt: Database.Statement;
  private readonly writeBatch: () => void;
  private readonly shard: number | null;
  private readonly bookSpend: (p: { spent: number; released: number; id: string }) => void;

  constructor(
    private readonly db: Database.Database,
    options: RunStoreOptions = {},
  ) {
    this.batchSize = Math.max(1, options.batchSize ?? 500);
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.shard = options.shard ?? null;
    this.insertPromptStmt = db.prepare(insertOrIgnore('prompts', PROMPT_COLUMNS));
    this.insertAttemptStmt = db.prepare(insertOrIgnore('attempts', ATTEMPT_COLUMNS));
    this.insertRequestStmt = db.prepare(insertOrIgnore('requests', REQUEST_COLUMNS));
    // Float drift of many additions and releases must not leave a phantom reservation behind.
    this.addSpendStmt = db.prepare(
      `UPDATE runs SET spent_usd = spent_usd + @spent,
         reserved_usd = CASE WHEN reserved_usd - @released < 1e-12 THEN 0 ELSE reserved_usd - @released END
       WHERE id = @id`,
    );
    this.reserveStmt = db.prepare(
      this.shard === null
        ? 'UPDATE runs SET reserved_usd = reserved_usd + ? WHERE id = ?'
        : `UPDATE run_shards SET reserved_usd = reserved_usd + ? WHERE run_id = ? AND shard = ${this.shard}`,
    );
    if (this.shard !== null) {
      // A shard's reservations live on its run_shards row; runs.spent_usd is the sum of the shards'.
      const shardSpend = db.prepare(
        `UPDATE run_shards SET spent_usd = spent_usd + @spent,
           reserved_usd = CASE WHEN reserved_usd - @released < 1e-12 THEN 0 ELSE reserved_usd - @released END
         WHERE run_id = @id AND shard = ${this.shard}`,
      );
      const runSpend = db.prepare('UPDATE runs SET spent_usd = spent_usd + @spent WHERE id = @id');
      this.bookSpend = (p) => {
        runSpend.run({ spent: p.spent, id: p.id });
        shardSpend.run(p);
      };
    } else this.bookSpend = (p) => this.addSpendStmt.run(p);
    this.settleLostStmt = db.prepare(
      'UPDATE runs SET spent_usd = spent_usd + reserved_usd, reserved_usd = 0 WHERE id = ?',
    );
    this.setSpendStmt = db.prepare('UPDATE runs SET spent_usd = ? WHERE id = ?');
    this.setBudgetStmt = db.prepare('UPDATE runs SET budget_usd = ? WHERE id = ?');
    this.setTotalPromptsStmt = db.prepare('UPDATE runs SET total_prompts = ? WHERE id = ?');
    this.setStatusStmt = db.prepare('UPDATE runs SET status = ?, finished_at = ? WHERE id = ?');
    this.createRunStmt = db.prepare(
      `INSERT INTO runs (id, kind, label, status, started_at, config_json, prices_json, scenario_path,
         scenario_sha256, seed, options_json, budget_usd, total_prompts)
       VALUES (@id, @kind, @label, 'running', @startedAt, @configJson, @pricesJson, @scenarioPath,
         @scenarioSha256, @seed, @optionsJson, @budgetUsd, @totalPrompts)`,
    );
    this.createRunIfAbsentStmt = db.prepare(
      `INSERT INTO runs (id, kind, label, status, started_at, config_json, prices_json, scenario_path,
         scenario_sha256, seed, options_json, budget_usd, total_prompts)
       VALUES (@id, @kind, @label, 'running', @startedAt, @configJson, @pricesJson, @scenarioPath,
         @scenarioSha256, @seed, @optionsJson, @budgetUsd, @totalPrompts)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.getRunStmt = db.prepare('SELECT * FROM runs WHERE id = ?');
    this.completedStmt = db.prepare('SELECT prompt_id, arm FROM requests WHERE run_id = ?').raw();
    this.deleteOrphansStmt = db.prepare(
      `DELETE FROM attempts WHERE run_id = ? AND NOT EXISTS (
         SELECT 1 FROM requests r
         WHERE r.run_id = attempts.run_id AND r.prompt_id = attempts.prompt_id AND r.arm = attempts.arm)`,
    );
    this.addPausedStmt = db.prepare('UPDATE runs SET paused_ms = paused_ms + ? WHERE id = ?');
    this.insertBreakerEventStmt = db.prepare(
      `INSERT OR REPLACE INTO breaker_events (run_id, arm, seq, opened_at, half_open_at, open_ms)
       VALUES (@run_id, @arm, @seq, @opened_at, @half_open_at, @open_ms)`,
    );
    this.setBreakerHalfOpenStmt = db.prepare(
      'UPDATE breaker_events SET half_open_at = ?, open_ms = ? WHERE run_id = ? AND arm = ? AND seq = ?',
    );
    this.lastBreakerSeqStmt = db
      .prepare('SELECT COALESCE(MAX(seq), 0) FROM breaker_events WHERE run_id = ? AND arm = ?')
      .pluck();
    this.writeBatch = db.transaction(() => {
      for (const row of this.prompts) this.insertPromptStmt.run(row);
      for (const row of this.attempts) this.insertAttemptStmt.run(row);
      for (const row of this.requests) this.insertRequestStmt.run(row);
      for (const [runId, p] of this.pendingSpendUsd)
        this.bookSpend({ spent: p.spentUsd, released: p.releasedUsd, id: runId });
    });
  }

  createRun(run: NewRun): void {
    this.createRunStmt.run(newRunParams(run));
  }

  getRun(id: string): RunRow | undefined {
    return this.getRunStmt.get(id) as RunRow | undefined;
  }

  /** Flushes buffered rows first, so a run is never marked finished before its rows are in. */
  setRunStatus(id: string, status: RunStatus, finishedAt: string | null = null): void {
    this.flush();
    this.setStatusStmt.run(status, finishedAt, id);
  }

  /**
   * Adds `usd` to `runs.spent_usd` and releases `releasedUsd` of
   * `runs.reserved_usd`, in the same transaction as the rows buffered with it
   * (call it before inserting the attempt row it settles).
   */
  addSpend(id: string, usd: number, releasedUsd = 0): void {
    this.checkOpen();
    const spentUsd = Number.isFinite(usd) ? usd : 0;
    const released = Number.isFinite(releasedUsd) ? releasedUsd : 0;
    if (spentUsd === 0 && released === 0) return;
    const pending = this.pendingSpendUsd.get(id);
    if (pending) {
      pending.spentUsd += spentUsd;
      pending.releasedUsd += released;
    } else this.pendingSpendUsd.set(id, { spentUsd, releasedUsd: released });
    this.schedule();
  }

  /**
   * Adds an attempt's worst-case cost to `runs.reserved_usd`, committed at
   * once, before the attempt is sent: if the process dies before the
   * attempt's row commits, a resume books it as spent (settleLostReservations).
   */
  reserveSpend(id: string, usd: number): void {
    this.checkOpen();
    if (!(usd > 0)) return;
    this.reserveStmt.run(usd, id);
  }

  /**
   * Resume: reservations left by a session that died before their attempts'
   * rows committed are booked as spent (they may have been billed). Returns the USD booked.
   */
  settleLostReservations(id: string): number {
    this.flush();
    if (this.shard !== null) {
      const shard = this.shard;
      return this.db
        .transaction(() => {
          const lostUsd =
            (this.db
              .prepare('SELECT reserved_usd FROM run_shards WHERE run_id = ? AND shard = ?')
              .pluck()
              .get(id, shard) as number | undefined) ?? 0;
          if (lostUsd === 0) return 0;
          this.db
            .prepare(
              'UPDATE run_shards SET spent_usd = spent_usd + reserved_usd, reserved_usd = 0 WHERE run_id = ? AND shard = ?',
            )
            .run(id, shard);
          this.db.prepare('UPDATE runs SET spent_usd = spent_usd + ? WHERE id = ?').run(lostUsd, id);
          return lostUsd;
        })
        .immediate();
    }
    const lostUsd = this.getRun(id)?.reserved_usd ?? 0;
    if (lostUsd !== 0) this.settleLostStmt.run(id);
    return lostUsd;
  }

  /** Sets `runs.spent_usd` outright (after flushing pending additions). */
  setSpend(id: string, usd: number): void {
    this.flush();
    this.setSpendStmt.run(usd, id);
  }

  /** A resumed run may raise (or set) its budget. */
  setBudget(id: string, usd: number | null): void {
    this.setBudgetStmt.run(usd, id);
  }

  setTotalPrompts(id: string, total: number): void {
    this.setTotalPromptsStmt.run(total, id);
  }

  /** Adds a pause of the replay's dispatch to `runs.paused_ms` (written at once: pauses are rare). */
  addPausedMs(id: string, ms: number): void {
    this.checkOpen();
    if (!(ms > 0)) return;
    this.addPausedStmt.run(ms, id);
  }

  /** A breaker opened: its `breaker_events` row, written at once (openings are rare). */
  insertBreakerEvent(row: BreakerEventRow): void {
    this.checkOpen();
    this.insertBreakerEventStmt.run({ half_open_at: null, open_ms: null, ...row });
  }

  /** The opening `seq` of `arm` reached its half-open moment. */
  setBreakerHalfOpen(
    runId: string,
    arm: BreakerEventRow['arm'],
    seq: number,
    halfOpenAt: string,
    openMs: number,
  ): void {
    this.checkOpen();
    this.setBreakerHalfOpenStmt.run(halfOpenAt, openMs, runId, arm, seq);
  }

  /** The highest breaker opening seq recorded for (run, arm); 0 when none (a resume numbers on from it). */
  lastBreakerSeq(runId: string, arm: BreakerEventRow['arm']): number {
    return this.lastBreakerSeqStmt.get(runId, arm) as number;
  }

  insertPrompt(row: PromptRow): void {
    this.prompts.push(bind(row, PROMPT_COLUMNS));
    this.added();
  }

  insertAttempt(row: AttemptRow): void {
    this.attempts.push(bind(row, ATTEMPT_COLUMNS));
    this.added();
  }

  /**
   * A final row is committed at the end of the event-loop turn it arrived in
   * (group commit: every row of the same turn shares one transaction), so a
   * process killed with `kill -9` loses no answered request: a resume sends
   * again only what was in flight. WAL with synchronous=NORMAL makes the
   * commit cheap (no fsync) and survives the process, if not the machine.
   */
  insertRequest(row: RequestRow): void {
    this.requests.push(bind(row, REQUEST_COLUMNS));
    this.added();
    if (this.requests.length > 0 && this.immediate === null && this.flushIntervalMs > 0) {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        try {
          this.flush();
        } catch (err) {
          this.deferredError = err;
        }
      });
    }
  }

  /** Rows buffered and not yet written. */
  get pendingRows(): number {
    return this.prompts.length + this.attempts.length + this.requests.length;
  }

  /** Writes everything buffered in one transaction. */
  flush(): void {
    this.checkOpen();
    this.clearTimer();
    if (this.pendingRows === 0 && this.pendingSpendUsd.size === 0) return;
    this.writeBatch();
    this.prompts = [];
    this.attempts = [];
    this.requests = [];
    this.pendingSpendUsd.clear();
  }

  /** For resume: the (prompt, arm) pairs that already have a final row, as `${promptId}\u0000${arm}`. */
  completedKeys(runId: string): Set<string> {
    this.flush();
    const keys = new Set<string>();
    for (const [promptId, arm] of this.completedStmt.iterate(runId) as Iterable<[string, string]>) {
      keys.add(completedKey(promptId, arm));
    }
    return keys;
  }

  /** Resume hygiene: deletes attempts of (prompt, arm) pairs with no final row (they will be redone). Returns how many. */
  deleteOrphanAttempts(runId: string, belongs?: (promptId: string) => boolean): number {
    this.flush();
    if (!belongs) return this.deleteOrphansStmt.run(runId).changes;
    const promptIds = (
      this.db
        .prepare(
          `SELECT DISTINCT prompt_id FROM attempts WHERE run_id = ? AND NOT EXISTS (
             SELECT 1 FROM requests r
             WHERE r.run_id = attempts.run_id AND r.prompt_id = attempts.prompt_id AND r.arm = attempts.arm)`,
        )
        .pluck()
        .all(runId) as string[]
    ).filter(belongs);
    const del = this.db.prepare(
      `DELETE FROM attempts WHERE run_id = ? AND prompt_id = ? AND NOT EXISTS (
         SELECT 1 FROM requests r
         WHERE r.run_id = attempts.run_id AND r.prompt_id = attempts.prompt_id AND r.arm = attempts.arm)`,
    );
    return this.db.transaction(() => promptIds.reduce((n, p) => n + del.run(runId, p).changes, 0))();
  }

  /** A shard's first write: the run's row unless another shard made it first; the stored row either way. */
  createRunIfAbsent(run: NewRun): RunRow {
    this.createRunIfAbsentStmt.run(newRunParams(run));
    return this.getRun(run.id)!;
  }

  /**
   * A shard session starts: its run_shards row (made, or set back to
   * running on resume). Throws a UsageError when the run's other shards were
   * started with another N.
   */
  openShard(
    runId: string,
    shard: number,
    shards: number,
    startedAt: string,
    budgetUsd: number | null,
  ): RunShardRow {
    return this.db
      .transaction(() => {
        const counts = this.db
          .prepare('SELECT DISTINCT shards FROM run_shards WHERE run_id = ?')
          .pluck()
          .all(runId) as number[];
        const other = counts.find((n) => n !== shards);
        if (other !== undefined) throw shardCountError(runId, shards, other);
        this.db
          .prepare(
            `INSERT INTO run_shards (run_id, shard, shards, status, started_at, budget_usd)
           VALUES (?, ?, ?, 'running', ?, ?)
           ON CONFLICT (run_id, shard) DO UPDATE SET status = 'running', finished_at = NULL, budget_usd = excluded.budget_usd`,
          )
          .run(runId, shard, shards, startedAt, budgetUsd);
        return this.db
          .prepare('SELECT * FROM run_shards WHERE run_id = ? AND shard = ?')
          .get(runId, shard) as RunShardRow;
      })
      .immediate();
  }

  /** A shard session ended: its status, and the run's derived from all its shards' (returned). Flushes first. */
  finishShard(runId: string, shard: number, status: RunStatus, finishedAt: string): RunStatus {
    this.flush();
    return this.db
      .transaction(() => {
        this.db
          .prepare('UPDATE run_shards SET status = ?, finished_at = ? WHERE run_id = ? AND shard = ?')
          .run(status, finishedAt, runId, shard);
        const rows = this.db
          .prepare('SELECT shard, shards, status FROM run_shards WHERE run_id = ?')
          .all(runId) as {
          shard: number;
          shards: number;
          status: RunStatus;
        }[];
        const runStatus = runStatusOfShards(rows, rows[0]?.shards ?? 1);
        this.setStatusStmt.run(runStatus, runStatus === 'running' ? null : finishedAt, runId);
        return runStatus;
      })
      .immediate();
  }

  /** Writes the run's instrument record (JSON text) to `runs.instrument_json`. */
  saveInstrumentJson(runId: string, json: string): void {
    saveInstrumentJson(this.db, runId, json);
  }

  readInstrumentJson(runId: string): string | null {
    return readInstrumentJson(this.db, runId);
  }

  /** Pairs answered across sessions whose similarity is still NULL (flushes first). */
  unscoredPairs(runId: string): UnscoredPair[] {
    this.flush();
    return unscoredPairs(this.db, runId);
  }

  setSimilarities(runId: string, scores: { promptId: string; arm: Arm; similarity: number }[]): void {
    setSimilarities(this.db, runId, scores);
  }

  /** Flushes and stops the timer. Does not close the database (its opener does). */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.clearTimer();
    }
  }

  private added(): void {
    this.checkOpen();
    if (this.pendingRows >= this.batchSize) this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null || this.flushIntervalMs <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.flush();
      } catch (err) {
        this.deferredError = err;
      }
    }, this.flushIntervalMs);
    // A pending flush must not keep a finished process alive; close() flushes anyway.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.immediate !== null) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
  }

  private checkOpen(): void {
    if (this.deferredError !== null) {
      const err = this.deferredError;
      this.deferredError = null;
      throw new ShadowgateError('store_write', `writing to the database failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (this.closed) throw new ShadowgateError('store_closed', 'the run store is closed');
  }
}

function newRunParams(run: NewRun) {
  return {
    id: run.id,
    kind: run.kind,
    label: run.label ?? null,
    startedAt: run.startedAt,
    configJson: run.configJson,
    pricesJson: run.pricesJson ?? null,
    scenarioPath: run.scenarioPath ?? null,
    scenarioSha256: run.scenarioSha256 ?? null,
    seed: run.seed,
    optionsJson: run.optionsJson ?? null,
    budgetUsd: run.budgetUsd ?? null,
    totalPrompts: run.totalPrompts ?? null,
  };
}

/** Shard N given again differs from the run's: one line naming both. */
export function shardCountError(runId: string, shards: number, stored: number): UsageError {
  return new UsageError(
    `run ${runId} is replayed in ${stored} shards, not ${shards}: give --shard I/${stored}`,
  );
}

/** The key `completedKeys` returns for one (prompt, arm). */
export function completedKey(promptId: string, arm: string): string {
  return `${promptId}\u0000${arm}`;
}

function insertOrIgnore(table: string, columns: readonly string[]): string {
  return `INSERT OR IGNORE INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
}

/** Positional values in column order; undefined -> NULL, booleans -> 0/1 (SQLite has neither). */
function bind(row: object, columns: readonly string[]): SqlValue[] {
  const record = row as Record<string, unknown>;
  const values: SqlValue[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const v = record[columns[i]!];
    values[i] = v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : (v as SqlValue);
  }
  return values;
}
