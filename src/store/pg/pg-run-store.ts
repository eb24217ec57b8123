/**
 * The write side of a run in PostgreSQL: RunStore's behaviour behind the
 * async RunWriter interface. Rows are buffered as RunStore buffers them and
 * written in one transaction per batch (prompts, attempts, requests, then
 * spend), one `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING`
 * per table: a resumed run that writes a row again changes nothing, and a
 * shard writing the same run from another machine cannot double a row.
 *
 * One client, one operation at a time: the operations are queued, so a
 * flush's transaction never interleaves with another statement.
 */
import type pg from 'pg';
import { ShadowgateError } from '../../shared/errors.js';
import type { RunWriter } from '../async-run-store.js';
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
} from '../rows.js';
import { type RunShardRow, runStatusOfShards } from '../run-shards.js';
import { completedKey, shardCountError } from '../run-store.js';
import type { UnscoredPair } from '../similarity-queries.js';
import { TABLES } from './pg-migrations.js';
import { SerialQueue } from './serial-queue.js';

export interface PgRunStoreOptions {
  /** Rows buffered before a flush is forced. Default 500. */
  batchSize?: number;
  /** Longest a buffered row waits before a timer flushes it, ms. Default 100; 0 turns the timer off. */
  flushIntervalMs?: number;
  /** The shard this writer replays (1..N): spend and reservations go on its run_shards row too. */
  shard?: number;
}

type Value = string | number | bigint | Buffer | null;

export class PgRunStore implements RunWriter {
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private prompts: Value[][] = [];
  private attempts: Value[][] = [];
  private requests: Value[][] = [];
  /** Per run: cost to add to spent_usd, and reservations to release from reserved_usd, USD. */
  private pendingSpendUsd = new Map<string, { spentUsd: number; releasedUsd: number }>();
  private readonly queue = new SerialQueue();
  private timer: NodeJS.Timeout | null = null;
  private deferredError: unknown = null;
  private closed = false;
  private readonly insertSql: { prompts: string; attempts: string; requests: string };
  private readonly shard: number | null;

  constructor(
    private readonly client: pg.ClientBase,
    options: PgRunStoreOptions = {},
  ) {
    this.batchSize = Math.max(1, options.batchSize ?? 500);
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.shard = options.shard ?? null;
    this.insertSql = {
      prompts: unnestInsert('prompts', PROMPT_COLUMNS),
      attempts: unnestInsert('attempts', ATTEMPT_COLUMNS),
      requests: unnestInsert('requests', REQUEST_COLUMNS),
    };
  }

  createRun(run: NewRun): Promise<void> {
    return this.serial(async () => {
      await this.client.query(
        `INSERT INTO runs (id, kind, label, status, started_at, config_json, prices_json, scenario_path,
           scenario_sha256, seed, options_json, budget_usd, total_prompts)
         VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        newRunValues(run),
      );
    });
  }

  getRun(id: string): Promise<RunRow | undefined> {
    return this.serial(
      async () => (await this.client.query<RunRow>('SELECT * FROM runs WHERE id = $1', [id])).rows[0],
    );
  }

  async setRunStatus(id: string, status: RunStatus, finishedAt: string | null = null): Promise<void> {
    await this.flush();
    await this.exec('UPDATE runs SET status = $1, finished_at = $2 WHERE id = $3', [status, finishedAt, id]);
  }

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

  reserveSpend(id: string, usd: number): Promise<void> {
    this.checkOpen();
    if (!(usd > 0)) return Promise.resolve();
    if (this.shard !== null)
      return this.exec(
        'UPDATE run_shards SET reserved_usd = reserved_usd + $1 WHERE run_id = $2 AND shard = $3',
        [usd, id, this.shard],
      );
    return this.exec('UPDATE runs SET reserved_usd = reserved_usd + $1 WHERE id = $2', [usd, id]);
  }

  async settleLostReservations(id: string): Promise<number> {
    await this.flush();
    if (this.shard !== null) {
      const shard = this.shard;
      return this.transaction(async () => {
        await this.client.query('SELECT 1 FROM runs WHERE id = $1 FOR UPDATE', [id]);
        const r = await this.client.query<{ lost: number }>(
          'SELECT reserved_usd AS lost FROM run_shards WHERE run_id = $1 AND shard = $2',
          [id, shard],
        );
        const lost = r.rows[0]?.lost ?? 0;
        if (lost === 0) return 0;
        await this.client.query('UPDATE runs SET spent_usd = spent_usd + $1 WHERE id = $2', [lost, id]);
        await this.client.query(
          'UPDATE run_shards SET spent_usd = spent_usd + reserved_usd, reserved_usd = 0 WHERE run_id = $1 AND shard = $2',
          [id, shard],
        );
        return lost;
      });
    }
    return this.serial(async () => {
      const r = await this.client.query<{ lost: number }>(
        `WITH old AS (SELECT reserved_usd FROM runs WHERE id = $1 FOR UPDATE)
         UPDATE runs SET spent_usd = spent_usd + old.reserved_usd, reserved_usd = 0
         FROM old WHERE runs.id = $1 RETURNING old.reserved_usd AS lost`,
        [id],
      );
      return r.rows[0]?.lost ?? 0;
    });
  }

  async setSpend(id: string, usd: number): Promise<void> {
    await this.flush();
    await this.exec('UPDATE runs SET spent_usd = $1 WHERE id = $2', [usd, id]);
  }

  setBudget(id: string, usd: number | null): Promise<void> {
    return this.exec('UPDATE runs SET budget_usd = $1 WHERE id = $2', [usd, id]);
  }

  setTotalPrompts(id: string, total: number): Promise<void> {
    return this.exec('UPDATE runs SET total_prompts = $1 WHERE id = $2', [total, id]);
  }

  async addPausedMs(id: string, ms: number): Promise<void> {
    this.checkOpen();
    if (!(ms > 0)) return;
    await this.exec('UPDATE runs SET paused_ms = paused_ms + $1 WHERE id = $2', [ms, id]);
  }

  /** INSERT OR REPLACE, as RunStore does: a resumed session's opening with the same seq replaces it. */
  insertBreakerEvent(row: BreakerEventRow): Promise<void> {
    this.checkOpen();
    return this.exec(
      `INSERT INTO breaker_events (run_id, arm, seq, opened_at, half_open_at, open_ms) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (run_id, arm, seq) DO UPDATE SET opened_at = EXCLUDED.opened_at,
         half_open_at = EXCLUDED.half_open_at, open_ms = EXCLUDED.open_ms`,
      [row.run_id, row.arm, row.seq, row.opened_at, row.half_open_at ?? null, row.open_ms ?? null],
    );
  }

  setBreakerHalfOpen(
    runId: string,
    arm: BreakerEventRow['arm'],
    seq: number,
    halfOpenAt: string,
    openMs: number,
  ): Promise<void> {
    this.checkOpen();
    return this.exec(
      'UPDATE breaker_events SET half_open_at = $1, open_ms = $2 WHERE run_id = $3 AND arm = $4 AND seq = $5',
      [halfOpenAt, openMs, runId, arm, seq],
    );
  }

  lastBreakerSeq(runId: string, arm: BreakerEventRow['arm']): Promise<number> {
    return this.serial(async () => {
      const r = await this.client.query<{ seq: number }>(
        'SELECT COALESCE(MAX(seq), 0) AS seq FROM breaker_events WHERE run_id = $1 AND arm = $2',
        [runId, arm],
      );
      return r.rows[0]!.seq;
    });
  }

  insertPrompt(row: PromptRow): void {
    this.prompts.push(bind(row, PROMPT_COLUMNS));
    this.added();
  }

  insertAttempt(row: AttemptRow): void {
    this.attempts.push(bind(row, ATTEMPT_COLUMNS));
    this.added();
  }

  insertRequest(row: RequestRow): void {
    this.requests.push(bind(row, REQUEST_COLUMNS));
    this.added();
  }

  get pendingRows(): number {
    return this.prompts.length + this.attempts.length + this.requests.length;
  }

  /** Writes everything buffered so far in one transaction; rows buffered meanwhile go in the next. */
  flush(): Promise<void> {
    this.checkOpen();
    this.clearTimer();
    if (this.pendingRows === 0 && this.pendingSpendUsd.size === 0) return this.serial(async () => {});
    const batch = { prompts: this.prompts, attempts: this.attempts, requests: this.requests };
    const spend = this.pendingSpendUsd;
    this.prompts = [];
    this.attempts = [];
    this.requests = [];
    this.pendingSpendUsd = new Map();
    return this.serial(async () => {
      await this.client.query('BEGIN');
      try {
        for (const table of ['prompts', 'attempts', 'requests'] as const)
          if (batch[table].length > 0)
            await this.client.query(this.insertSql[table], columnsOf(batch[table]));
        // Float drift of many additions and releases must not leave a phantom reservation behind.
        for (const [runId, p] of spend)
          if (this.shard !== null) {
            // Runs row first, then the shard's: every transaction locks in this order.
            await this.client.query('UPDATE runs SET spent_usd = spent_usd + $1 WHERE id = $2', [
              p.spentUsd,
              runId,
            ]);
            await this.client.query(
              `UPDATE run_shards SET spent_usd = spent_usd + $1,
                 reserved_usd = CASE WHEN reserved_usd - $2 < 1e-12 THEN 0 ELSE reserved_usd - $2 END
               WHERE run_id = $3 AND shard = $4`,
              [p.spentUsd, p.releasedUsd, runId, this.shard],
            );
          } else
            await this.client.query(
              `UPDATE runs SET spent_usd = spent_usd + $1,
               reserved_usd = CASE WHEN reserved_usd - $2 < 1e-12 THEN 0 ELSE reserved_usd - $2 END
             WHERE id = $3`,
              [p.spentUsd, p.releasedUsd, runId],
            );
        await this.client.query('COMMIT');
      } catch (err) {
        await this.client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  async completedKeys(runId: string): Promise<Set<string>> {
    await this.flush();
    return this.serial(async () => {
      const r = await this.client.query({
        text: 'SELECT prompt_id, arm FROM requests WHERE run_id = $1',
        values: [runId],
        rowMode: 'array',
      });
      return new Set(r.rows.map((row: string[]) => completedKey(row[0]!, row[1]!)));
    });
  }

  async deleteOrphanAttempts(runId: string, belongs?: (promptId: string) => boolean): Promise<number> {
    await this.flush();
    const orphan = `NOT EXISTS (SELECT 1 FROM requests r
      WHERE r.run_id = attempts.run_id AND r.prompt_id = attempts.prompt_id AND r.arm = attempts.arm)`;
    return this.serial(async () => {
      if (!belongs) {
        const r = await this.client.query(`DELETE FROM attempts WHERE run_id = $1 AND ${orphan}`, [runId]);
        return r.rowCount ?? 0;
      }
      const ids = await this.client.query<{ prompt_id: string }>(
        `SELECT DISTINCT prompt_id FROM attempts WHERE run_id = $1 AND ${orphan}`,
        [runId],
      );
      const mine = ids.rows.map((r) => r.prompt_id).filter(belongs);
      if (mine.length === 0) return 0;
      const r = await this.client.query(
        `DELETE FROM attempts WHERE run_id = $1 AND prompt_id = ANY($2::text[]) AND ${orphan}`,
        [runId, mine],
      );
      return r.rowCount ?? 0;
    });
  }

  createRunIfAbsent(run: NewRun): Promise<RunRow> {
    return this.serial(async () => {
      await this.client.query(
        `INSERT INTO runs (id, kind, label, status, started_at, config_json, prices_json, scenario_path,
           scenario_sha256, seed, options_json, budget_usd, total_prompts)
         VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
        newRunValues(run),
      );
      return (await this.client.query<RunRow>('SELECT * FROM runs WHERE id = $1', [run.id])).rows[0]!;
    });
  }

  openShard(
    runId: string,
    shard: number,
    shards: number,
    startedAt: string,
    budgetUsd: number | null,
  ): Promise<RunShardRow> {
    return this.transaction(async () => {
      // The run's row lock serialises the shards' starts, so two with another N cannot both get in.
      await this.client.query('SELECT 1 FROM runs WHERE id = $1 FOR UPDATE', [runId]);
      const counts = await this.client.query<{ shards: number }>(
        'SELECT DISTINCT shards FROM run_shards WHERE run_id = $1',
        [runId],
      );
      const other = counts.rows.find((r) => r.shards !== shards);
      if (other) throw shardCountError(runId, shards, other.shards);
      await this.client.query(
        `INSERT INTO run_shards (run_id, shard, shards, status, started_at, budget_usd)
         VALUES ($1, $2, $3, 'running', $4, $5)
         ON CONFLICT (run_id, shard) DO UPDATE SET status = 'running', finished_at = NULL, budget_usd = EXCLUDED.budget_usd`,
        [runId, shard, shards, startedAt, budgetUsd],
      );
      return (
        await this.client.query<RunShardRow>('SELECT * FROM run_shards WHERE run_id = $1 AND shard = $2', [
          runId,
          shard,
        ])
      ).rows[0]!;
    });
  }

  async finishShard(runId: string, shard: number, status: RunStatus, finishedAt: string): Promise<RunStatus> {
    await this.flush();
    return this.transaction(async () => {
      // Locked first: two shards ending at once derive the run's status one after the other.
      await this.client.query('SELECT 1 FROM runs WHERE id = $1 FOR UPDATE', [runId]);
      await this.client.query(
        'UPDATE run_shards SET status = $1, finished_at = $2 WHERE run_id = $3 AND shard = $4',
        [status, finishedAt, runId, shard],
      );
      const rows = await this.client.query<{ shard: number; shards: number; status: RunStatus }>(
        'SELECT shard, shards, status FROM run_shards WHERE run_id = $1',
        [runId],
      );
      const runStatus = runStatusOfShards(rows.rows, rows.rows[0]?.shards ?? 1);
      await this.client.query('UPDATE runs SET status = $1, finished_at = $2 WHERE id = $3', [
        runStatus,
        runStatus === 'running' ? null : finishedAt,
        runId,
      ]);
      return runStatus;
    });
  }

  /** `op` inside BEGIN/COMMIT on the queue; rolled back when it throws. */
  private transaction<T>(op: () => Promise<T>): Promise<T> {
    return this.serial(async () => {
      await this.client.query('BEGIN');
      try {
        const out = await op();
        await this.client.query('COMMIT');
        return out;
      } catch (err) {
        await this.client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  saveInstrumentJson(runId: string, json: string): Promise<void> {
    return this.exec('UPDATE runs SET instrument_json = $1 WHERE id = $2', [json, runId]);
  }

  readInstrumentJson(runId: string): Promise<string | null> {
    return this.serial(async () => {
      const r = await this.client.query<{ j: string | null }>(
        'SELECT instrument_json AS j FROM runs WHERE id = $1',
        [runId],
      );
      return r.rows[0]?.j ?? null;
    });
  }

  async unscoredPairs(runId: string): Promise<UnscoredPair[]> {
    await this.flush();
    return this.serial(async () => {
      const r = await this.client.query<UnscoredPair>(
        `SELECT o.prompt_id AS "promptId", o.arm AS arm, o.output_text AS text, o.tool_calls_json AS "toolCallsJson",
                b.output_text AS "baselineText", b.tool_calls_json AS "baselineToolCallsJson"
         FROM requests o JOIN requests b
           ON b.run_id = o.run_id AND b.prompt_id = o.prompt_id AND b.arm = 'baseline'
         WHERE o.run_id = $1 AND o.arm != 'baseline' AND o.similarity IS NULL
           AND o.outcome = 'ok' AND b.outcome = 'ok'`,
        [runId],
      );
      return r.rows;
    });
  }

  /** One statement for all of them: UPDATE ... FROM unnest. */
  setSimilarities(
    runId: string,
    scores: { promptId: string; arm: Arm; similarity: number }[],
  ): Promise<void> {
    if (scores.length === 0) return Promise.resolve();
    return this.exec(
      `UPDATE requests SET similarity = s.similarity
       FROM unnest($2::text[], $3::text[], $4::double precision[]) AS s(prompt_id, arm, similarity)
       WHERE requests.run_id = $1 AND requests.prompt_id = s.prompt_id AND requests.arm = s.arm`,
      [runId, scores.map((s) => s.promptId), scores.map((s) => s.arm), scores.map((s) => s.similarity)],
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.clearTimer();
    }
  }

  private exec(sql: string, values: unknown[]): Promise<void> {
    return this.serial(async () => {
      await this.client.query(sql, values);
    });
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    return this.queue.run(op);
  }

  private added(): void {
    this.checkOpen();
    if (this.pendingRows >= this.batchSize) this.background();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null || this.flushIntervalMs <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.background();
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  /** A flush nobody awaits: its error is kept and thrown by the next call, so it is never lost. */
  private background(): void {
    this.flush().catch((err) => {
      this.deferredError ??= err;
    });
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
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

function newRunValues(run: NewRun): unknown[] {
  return [
    run.id,
    run.kind,
    run.label ?? null,
    run.startedAt,
    run.configJson,
    run.pricesJson ?? null,
    run.scenarioPath ?? null,
    run.scenarioSha256 ?? null,
    run.seed,
    run.optionsJson ?? null,
    run.budgetUsd ?? null,
    run.totalPrompts ?? null,
  ];
}

function unnestInsert(table: string, columns: readonly string[]): string {
  const model = TABLES.get(table)!;
  const types = columns.map((name) => {
    const column = model.columns.find((c) => c.name === name);
    if (!column) throw new Error(`${table}.${name} is in rows.ts but in no migration`);
    return column.pgType;
  });
  const params = types.map((type, i) => `$${i + 1}::${type}[]`).join(', ');
  return `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${params}) ON CONFLICT DO NOTHING`;
}

/** Rows to one array per column, for unnest. */
function columnsOf(rows: Value[][]): Value[][] {
  const width = rows[0]!.length;
  const out: Value[][] = Array.from({ length: width }, () => new Array(rows.length));
  for (let r = 0; r < rows.length; r++) for (let c = 0; c < width; c++) out[c]![r] = rows[r]![c]!;
  return out;
}

/** Positional values in column order; undefined -> NULL, booleans -> 0/1, as RunStore binds them. */
function bind(row: object, columns: readonly string[]): Value[] {
  const record = row as Record<string, unknown>;
  return columns.map((name) => {
    const v = record[name];
    return v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : (v as Value);
  });
}
