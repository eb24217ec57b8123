import type Database from 'better-sqlite3';
import {
  type NewRolloutEvent,
  ROLLOUT_REQUEST_COLUMNS,
  type RolloutEventRow,
  type RolloutRequestRow,
  type RolloutRow,
  type RolloutStageRow,
  type RolloutStatus,
  type StageDecision,
} from './rollout-rows.js';

type SqlValue = string | number | bigint | Buffer | null;

/** What a new rollout stores before its first request. */
export type NewRollout = Omit<RolloutRow, 'version' | 'finished_at' | 'updated_at'>;

/** The compact per-request fields the stage judge reads. */
export interface JudgedRequest {
  stage: number;
  routed_arm: 'baseline' | 'candidate';
  served_arm: 'baseline' | 'candidate';
  fallback: number;
  candidate_error_class: string | null;
  outcome: 'ok' | 'error';
  latency_ms: number | null;
  ttft_ms: number | null;
  cost_usd: number | null;
  sticky_key_hash: string;
}

/** A move of the rollout's state, with the audit row that explains it. */
export interface StateChange {
  status: RolloutStatus;
  percentage: number;
  at: string;
  actor: string;
  automatic: boolean;
  reason: string;
  evidence?: unknown;
  /** Set finished_at (a terminal status). */
  finished?: boolean;
}

/**
 * The rollout tables' read and write side. Requests are buffered and written
 * in one transaction per batch with INSERT OR IGNORE on (rollout_id, seq), so
 * a resumed rehearsal that sends a request again cannot double it. State
 * changes write the `rollouts` row and its `rollout_events` row in one
 * transaction: there is never a move without its audit trail.
 */
export class RolloutStore {
  private pending: SqlValue[][] = [];
  private readonly batchSize: number;
  private readonly insertRequestStmt: Database.Statement;
  private readonly writeBatch: () => void;

  constructor(
    private readonly db: Database.Database,
    options: { batchSize?: number } = {},
  ) {
    this.batchSize = Math.max(1, options.batchSize ?? 200);
    const cols = ROLLOUT_REQUEST_COLUMNS;
    this.insertRequestStmt = db.prepare(
      `INSERT OR IGNORE INTO rollout_requests (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
    );
    this.writeBatch = db.transaction(() => {
      for (const row of this.pending) this.insertRequestStmt.run(row);
    });
  }

  createRollout(row: NewRollout, event: NewRolloutEvent): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO rollouts (id, label, status, percentage, salt, hash_version, version, plan_json, config_json,
             prices_json, scenario_path, scenario_sha256, scenario_prompts, seed, options_json, shadow_run_id,
             shadow_decision, forced, started_at, updated_at)
           VALUES (@id, @label, @status, @percentage, @salt, @hash_version, 1, @plan_json, @config_json,
             @prices_json, @scenario_path, @scenario_sha256, @scenario_prompts, @seed, @options_json, @shadow_run_id,
             @shadow_decision, @forced, @started_at, @started_at)`,
        )
        .run(row);
      this.insertEvent(row.id, event);
    })();
  }

  getRollout(id: string): RolloutRow | undefined {
    return this.db.prepare('SELECT * FROM rollouts WHERE id = ?').get(id) as RolloutRow | undefined;
  }

  /** The most recently started rollout, for commands given no --rollout. */
  latestRollout(): RolloutRow | undefined {
    return this.db.prepare('SELECT * FROM rollouts ORDER BY started_at DESC, rowid DESC LIMIT 1').get() as
      | RolloutRow
      | undefined;
  }

  listRollouts(): RolloutRow[] {
    return this.db.prepare('SELECT * FROM rollouts ORDER BY started_at, rowid').all() as RolloutRow[];
  }

  /**
   * Moves the percentage and/or status, bumps `version`, and records the
   * event, in one transaction. A no-op move (same status and percentage) is
   * still recorded when it carries a reason worth keeping (e.g. interrupted).
   */
  changeState(id: string, change: StateChange): RolloutRow {
    return this.db.transaction(() => {
      const before = this.getRollout(id);
      if (!before) throw new Error(`no rollout ${id}`);
      this.db
        .prepare(
          `UPDATE rollouts SET status = ?, percentage = ?, version = version + 1, updated_at = ?,
             finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE id = ?`,
        )
        .run(change.status, change.percentage, change.at, change.finished ? 1 : 0, change.at, id);
      this.insertEvent(id, {
        at: change.at,
        actor: change.actor,
        automatic: change.automatic ? 1 : 0,
        from_percentage: before.percentage,
        to_percentage: change.percentage,
        from_status: before.status,
        to_status: change.status,
        reason: change.reason,
        evidence_json: change.evidence === undefined ? null : JSON.stringify(change.evidence),
      });
      return this.getRollout(id)!;
    })();
  }

  events(rolloutId: string): RolloutEventRow[] {
    return this.db
      .prepare('SELECT * FROM rollout_events WHERE rollout_id = ? ORDER BY id')
      .all(rolloutId) as RolloutEventRow[];
  }

  stages(rolloutId: string): RolloutStageRow[] {
    return this.db
      .prepare('SELECT * FROM rollout_stages WHERE rollout_id = ? ORDER BY stage')
      .all(rolloutId) as RolloutStageRow[];
  }

  /** Records the start of a stage attempt (decision NULL until it is judged). Idempotent on resume. */
  startStage(
    row: Pick<
      RolloutStageRow,
      'rollout_id' | 'stage' | 'stage_index' | 'attempt' | 'percentage' | 'start_seq' | 'started_at'
    >,
  ): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO rollout_stages (rollout_id, stage, stage_index, attempt, percentage, start_seq, started_at)
         VALUES (@rollout_id, @stage, @stage_index, @attempt, @percentage, @start_seq, @started_at)`,
      )
      .run(row);
  }

  /** Stores a stage's judgement, and the state change it causes, in one transaction. */
  finishStage(
    rolloutId: string,
    stage: number,
    result: {
      endSeq: number;
      finishedAt: string;
      requests: number;
      candidateRequests: number;
      fallbacks: number;
      decision: StageDecision;
      reasons: string[];
      gates: unknown;
      srm: unknown;
    },
    change: StateChange | null,
  ): void {
    this.flush();
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE rollout_stages SET end_seq = ?, finished_at = ?, requests = ?, candidate_requests = ?, fallbacks = ?, decision = ?,
             reasons_json = ?, gates_json = ?, srm_json = ? WHERE rollout_id = ? AND stage = ?`,
        )
        .run(
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
        );
      if (change) this.changeState(rolloutId, change);
    })();
  }

  insertRequest(row: RolloutRequestRow): void {
    const values: SqlValue[] = ROLLOUT_REQUEST_COLUMNS.map((c) => row[c] ?? null);
    this.pending.push(values);
    if (this.pending.length >= this.batchSize) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.writeBatch();
    this.pending = [];
  }

  /** For resume: the request seqs of one stage attempt already stored. */
  doneSeqs(rolloutId: string, stage: number): Set<number> {
    this.flush();
    const rows = this.db
      .prepare('SELECT seq FROM rollout_requests WHERE rollout_id = ? AND stage = ?')
      .pluck()
      .all(rolloutId, stage) as number[];
    return new Set(rows);
  }

  /** The next free request seq of a rollout (a live router appends after the rehearsal). */
  nextSeq(rolloutId: string): number {
    this.flush();
    const max = this.db
      .prepare('SELECT MAX(seq) FROM rollout_requests WHERE rollout_id = ?')
      .pluck()
      .get(rolloutId) as number | null;
    return max === null ? 0 : max + 1;
  }

  /** What the judge reads: every request of stages 1..upToStage. */
  judgedRequests(rolloutId: string, upToStage: number): JudgedRequest[] {
    this.flush();
    return this.db
      .prepare(
        `SELECT stage, routed_arm, served_arm, fallback, candidate_error_class, outcome, latency_ms, ttft_ms,
           cost_usd, sticky_key_hash
         FROM rollout_requests WHERE rollout_id = ? AND stage BETWEEN 1 AND ? ORDER BY seq`,
      )
      .all(rolloutId, upToStage) as JudgedRequest[];
  }

  /** All request rows of a rollout, in seq order (the report's per-stage tables). */
  requests(rolloutId: string): RolloutRequestRow[] {
    this.flush();
    return this.db
      .prepare('SELECT * FROM rollout_requests WHERE rollout_id = ? ORDER BY seq')
      .all(rolloutId) as RolloutRequestRow[];
  }

  close(): void {
    this.flush();
  }

  private insertEvent(rolloutId: string, e: NewRolloutEvent): void {
    this.db
      .prepare(
        `INSERT INTO rollout_events (rollout_id, at, actor, automatic, from_percentage, to_percentage, from_status,
           to_status, reason, evidence_json)
         VALUES (@rollout_id, @at, @actor, @automatic, @from_percentage, @to_percentage, @from_status, @to_status,
           @reason, @evidence_json)`,
      )
      .run({ rollout_id: rolloutId, ...e });
  }
}
