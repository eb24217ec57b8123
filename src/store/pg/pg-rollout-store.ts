/**
 * The rollout tables in PostgreSQL: RolloutStore's behaviour behind the
 * async RolloutWriter interface. Requests are buffered and written with one
 * `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING` per batch, so
 * a resumed rehearsal cannot double a request. A state change writes the
 * rollouts row, its audit row and the NOTIFY in one transaction
 * (pg-rollout-state.ts); finishStage adds the stage's judgement to that
 * transaction. SQLite's tie-break by rowid for runs started at the same
 * moment becomes a tie-break by id.
 */
import type pg from 'pg';
import { ShadowgateError } from '../../shared/errors.js';
import type { ChangeStateOptions, NewStage, RolloutWriter, StageResult } from '../async-rollout-store.js';
import {
  type NewRolloutEvent,
  ROLLOUT_REQUEST_COLUMNS,
  type RolloutEventRow,
  type RolloutRequestRow,
  type RolloutRow,
  type RolloutStageRow,
} from '../rollout-rows.js';
import type { JudgedRequest, NewRollout, StateChange } from '../rollout-store.js';
import { TABLES } from './pg-migrations.js';
import { applyStateChange, insertRolloutEvent } from './pg-rollout-state.js';
import { SerialQueue } from './serial-queue.js';

type Value = string | number | null;

/** The first key of appendRequests' transaction lock ('SG' 3); the second is hashtext(rollout id). */
const SEQ_LOCK_NAMESPACE = 0x5347_0003;

export class PgRolloutStore implements RolloutWriter {
  private pending: Value[][] = [];
  private readonly batchSize: number;
  private readonly queue = new SerialQueue();
  private readonly insertSql: string;
  /** A failed background flush, thrown by the next call so it is never lost. */
  private deferredError: unknown = null;

  constructor(
    private readonly client: pg.ClientBase,
    options: { batchSize?: number } = {},
  ) {
    this.batchSize = Math.max(1, options.batchSize ?? 200);
    const model = TABLES.get('rollout_requests')!;
    const types = ROLLOUT_REQUEST_COLUMNS.map((name) => model.columns.find((c) => c.name === name)!.pgType);
    this.insertSql = `INSERT INTO rollout_requests (${ROLLOUT_REQUEST_COLUMNS.join(', ')})
      SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) ON CONFLICT DO NOTHING`;
  }

  createRollout(row: NewRollout, event: NewRolloutEvent): Promise<void> {
    return this.transaction(async () => {
      await this.client.query(
        `INSERT INTO rollouts (id, label, status, percentage, salt, hash_version, version, plan_json, config_json,
           prices_json, scenario_path, scenario_sha256, scenario_prompts, seed, options_json, shadow_run_id,
           shadow_decision, forced, started_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)`,
        [
          row.id,
          row.label,
          row.status,
          row.percentage,
          row.salt,
          row.hash_version,
          row.plan_json,
          row.config_json,
          row.prices_json,
          row.scenario_path,
          row.scenario_sha256,
          row.scenario_prompts,
          row.seed,
          row.options_json,
          row.shadow_run_id,
          row.shadow_decision,
          row.forced,
          row.started_at,
        ],
      );
      await insertRolloutEvent(this.client, row.id, event);
    });
  }

  getRollout(id: string): Promise<RolloutRow | undefined> {
    return this.rows<RolloutRow>('SELECT * FROM rollouts WHERE id = $1', [id]).then((r) => r[0]);
  }

  latestRollout(): Promise<RolloutRow | undefined> {
    return this.rows<RolloutRow>('SELECT * FROM rollouts ORDER BY started_at DESC, id DESC LIMIT 1').then(
      (r) => r[0],
    );
  }

  listRollouts(): Promise<RolloutRow[]> {
    return this.rows<RolloutRow>('SELECT * FROM rollouts ORDER BY started_at, id');
  }

  changeState(id: string, change: StateChange, options: ChangeStateOptions = {}): Promise<RolloutRow> {
    return this.transaction(() => applyStateChange(this.client, id, change, options));
  }

  events(rolloutId: string): Promise<RolloutEventRow[]> {
    return this.rows<RolloutEventRow>('SELECT * FROM rollout_events WHERE rollout_id = $1 ORDER BY id', [
      rolloutId,
    ]);
  }

  stages(rolloutId: string): Promise<RolloutStageRow[]> {
    return this.rows<RolloutStageRow>('SELECT * FROM rollout_stages WHERE rollout_id = $1 ORDER BY stage', [
      rolloutId,
    ]);
  }

  async startStage(row: NewStage): Promise<void> {
    await this.rows(
      `INSERT INTO rollout_stages (rollout_id, stage, stage_index, attempt, percentage, start_seq, started_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [
        row.rollout_id,
        row.stage,
        row.stage_index,
        row.attempt,
        row.percentage,
        row.start_seq,
        row.started_at,
      ],
    );
  }

  async finishStage(
    rolloutId: string,
    stage: number,
    result: StageResult,
    change: StateChange | null,
  ): Promise<void> {
    await this.flush();
    await this.transaction(async () => {
      await this.client.query(
        `UPDATE rollout_stages SET end_seq = $1, finished_at = $2, requests = $3, candidate_requests = $4,
           fallbacks = $5, decision = $6, reasons_json = $7, gates_json = $8, srm_json = $9
         WHERE rollout_id = $10 AND stage = $11`,
        [
          result.endSeq,
          result.finishedAt,
          result.requests,
          result.candidateRequests,
          result.fallbacks,
          result.decision,
          JSON.stringify(result.reasons),
          JSON.stringify(result.gates),
          JSON.stringify(result.srm),
          rolloutId,
          stage,
        ],
      );
      if (change) await applyStateChange(this.client, rolloutId, change);
    });
  }

  insertRequest(row: RolloutRequestRow): void {
    this.throwDeferred();
    this.pending.push(ROLLOUT_REQUEST_COLUMNS.map((c) => (row[c] ?? null) as Value));
    if (this.pending.length >= this.batchSize)
      this.flush().catch((err) => {
        this.deferredError ??= err;
      });
  }

  flush(): Promise<void> {
    try {
      this.throwDeferred();
    } catch (err) {
      return Promise.reject(err);
    }
    const rows = this.pending;
    this.pending = [];
    if (rows.length === 0) return this.queue.run(async () => {});
    const columns = ROLLOUT_REQUEST_COLUMNS.map((_, c) => rows.map((row) => row[c]!));
    return this.rows(this.insertSql, columns).then(() => {});
  }

  async doneSeqs(rolloutId: string, stage: number): Promise<Set<number>> {
    await this.flush();
    const rows = await this.rows<{ seq: number }>(
      'SELECT seq FROM rollout_requests WHERE rollout_id = $1 AND stage = $2',
      [rolloutId, stage],
    );
    return new Set(rows.map((r) => r.seq));
  }

  async nextSeq(rolloutId: string): Promise<number> {
    await this.flush();
    const [row] = await this.rows<{ max: number | null }>(
      'SELECT MAX(seq) AS max FROM rollout_requests WHERE rollout_id = $1',
      [rolloutId],
    );
    return row!.max === null ? 0 : row!.max + 1;
  }

  async judgedRequests(rolloutId: string, upToStage: number): Promise<JudgedRequest[]> {
    await this.flush();
    return this.rows<JudgedRequest>(
      `SELECT stage, routed_arm, served_arm, fallback, candidate_error_class, outcome, latency_ms, ttft_ms,
         cost_usd, sticky_key_hash
       FROM rollout_requests WHERE rollout_id = $1 AND stage BETWEEN 1 AND $2 ORDER BY seq`,
      [rolloutId, upToStage],
    );
  }

  async requests(rolloutId: string): Promise<RolloutRequestRow[]> {
    await this.flush();
    return this.rows<RolloutRequestRow>('SELECT * FROM rollout_requests WHERE rollout_id = $1 ORDER BY seq', [
      rolloutId,
    ]);
  }

  close(): Promise<void> {
    return this.flush();
  }

  /**
   * Live traffic from proxy replicas (stage 0): the rows numbered after the rollout's highest seq, in one
   * transaction holding the rollout's seq lock, so replicas appending at once never share (and so never
   * lose) a seq. Each row's own `seq` is ignored.
   */
  appendRequests(rolloutId: string, rows: readonly RolloutRequestRow[]): Promise<void> {
    if (rows.length === 0) return this.queue.run(async () => {});
    return this.transaction(async () => {
      await this.client.query('SELECT pg_advisory_xact_lock($1::int4, hashtext($2))', [
        SEQ_LOCK_NAMESPACE,
        rolloutId,
      ]);
      const max = (
        await this.client.query<{ max: number | null }>(
          'SELECT MAX(seq) AS max FROM rollout_requests WHERE rollout_id = $1',
          [rolloutId],
        )
      ).rows[0]!.max;
      const first = max === null ? 0 : max + 1;
      const values = rows.map((row, i) =>
        ROLLOUT_REQUEST_COLUMNS.map((c) =>
          c === 'seq' ? first + i : c === 'rollout_id' ? rolloutId : ((row[c] ?? null) as Value),
        ),
      );
      await this.client.query(
        this.insertSql,
        ROLLOUT_REQUEST_COLUMNS.map((_, c) => values.map((row) => row[c]!)),
      );
    });
  }

  /**
   * Live traffic (stage 0) written after `afterSeq` by any replica, started at or after `sinceIso` (when the
   * percentage in force took effect), in seq order: what the gate leader judges.
   */
  liveRequestsAfter(
    rolloutId: string,
    afterSeq: number,
    sinceIso: string,
    limit = 5000,
  ): Promise<(JudgedRequest & { seq: number })[]> {
    return this.rows<JudgedRequest & { seq: number }>(
      `SELECT seq, stage, routed_arm, served_arm, fallback, candidate_error_class, outcome, latency_ms, ttft_ms,
         cost_usd, sticky_key_hash
       FROM rollout_requests WHERE rollout_id = $1 AND seq > $2 AND stage = 0 AND started_at >= $3
       ORDER BY seq LIMIT $4`,
      [rolloutId, afterSeq, sinceIso, limit],
    );
  }

  private throwDeferred(): void {
    if (this.deferredError === null) return;
    const err = this.deferredError;
    this.deferredError = null;
    throw new ShadowgateError('store_write', `writing to the database failed: ${(err as Error).message}`, {
      cause: err,
    });
  }

  private rows<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
    return this.queue.run(async () => (await this.client.query<T>(sql, values)).rows);
  }

  private transaction<T>(op: () => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      await this.client.query('BEGIN');
      try {
        const result = await op();
        await this.client.query('COMMIT');
        return result;
      } catch (err) {
        await this.client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }
}
