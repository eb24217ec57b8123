/**
 * The rollout tables' read and write side as one interface over both stores:
 * the rollout half of the store interface of issue 13 (see
 * async-run-store.ts). The rehearsal, the state commands and `gate
 * --rollout` use it (open-rollout-writer.ts opens either store). Request
 * inserts stay synchronous appends; everything else returns a Promise.
 * SQLite's RolloutStore fits it as it is (sqliteRolloutWriter); PostgreSQL's
 * is PgRolloutStore (src/store/pg/pg-rollout-store.ts).
 */

import { StaleStateError } from './pg/pg-rollout-state.js';
import type {
  NewRolloutEvent,
  RolloutEventRow,
  RolloutRequestRow,
  RolloutRow,
  RolloutStageRow,
  StageDecision,
} from './rollout-rows.js';
import type { JudgedRequest, NewRollout, RolloutStore, StateChange } from './rollout-store.js';

export type NewStage = Pick<
  RolloutStageRow,
  'rollout_id' | 'stage' | 'stage_index' | 'attempt' | 'percentage' | 'start_seq' | 'started_at'
>;

export interface StageResult {
  endSeq: number;
  finishedAt: string;
  requests: number;
  candidateRequests: number;
  fallbacks: number;
  decision: StageDecision;
  reasons: string[];
  gates: unknown;
  srm: unknown;
}

export interface ChangeStateOptions {
  /** The `version` the move was decided on. */
  expectedVersion?: number;
}

export interface RolloutWriter {
  createRollout(row: NewRollout, event: NewRolloutEvent): Promise<void>;
  getRollout(id: string): Promise<RolloutRow | undefined>;
  latestRollout(): Promise<RolloutRow | undefined>;
  listRollouts(): Promise<RolloutRow[]>;
  /**
   * Status and percentage, version + 1, and the audit row, in one transaction
   * (on PostgreSQL also the NOTIFY followers hear). With `expectedVersion`, a
   * rollout that moved meanwhile is refused (StaleStateError) and nothing is
   * written.
   */
  changeState(id: string, change: StateChange, options?: ChangeStateOptions): Promise<RolloutRow>;
  events(rolloutId: string): Promise<RolloutEventRow[]>;
  stages(rolloutId: string): Promise<RolloutStageRow[]>;
  /** Idempotent on resume. */
  startStage(row: NewStage): Promise<void>;
  /** The stage's judgement and the state change it causes, in one transaction. */
  finishStage(
    rolloutId: string,
    stage: number,
    result: StageResult,
    change: StateChange | null,
  ): Promise<void>;
  /** Buffered; a request seq stored already is ignored. */
  insertRequest(row: RolloutRequestRow): void;
  flush(): Promise<void>;
  doneSeqs(rolloutId: string, stage: number): Promise<Set<number>>;
  nextSeq(rolloutId: string): Promise<number>;
  judgedRequests(rolloutId: string, upToStage: number): Promise<JudgedRequest[]>;
  requests(rolloutId: string): Promise<RolloutRequestRow[]>;
  close(): Promise<void>;
}

/** SQLite's RolloutStore behind the async interface: the same calls, settled at once. */
export function sqliteRolloutWriter(store: RolloutStore): RolloutWriter {
  const settle = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return {
    createRollout: (row, event) => settle(() => store.createRollout(row, event)),
    getRollout: (id) => settle(() => store.getRollout(id)),
    latestRollout: () => settle(() => store.latestRollout()),
    listRollouts: () => settle(() => store.listRollouts()),
    changeState: (id, change, options) =>
      settle(() => {
        // Read and write in one synchronous step: nothing of this process runs between them.
        const before = options?.expectedVersion === undefined ? undefined : store.getRollout(id);
        if (before && before.version !== options!.expectedVersion)
          throw new StaleStateError(id, options!.expectedVersion!, before.version);
        return store.changeState(id, change);
      }),
    events: (id) => settle(() => store.events(id)),
    stages: (id) => settle(() => store.stages(id)),
    startStage: (row) => settle(() => store.startStage(row)),
    finishStage: (id, stage, result, change) => settle(() => store.finishStage(id, stage, result, change)),
    insertRequest: (row) => store.insertRequest(row),
    flush: () => settle(() => store.flush()),
    doneSeqs: (id, stage) => settle(() => store.doneSeqs(id, stage)),
    nextSeq: (id) => settle(() => store.nextSeq(id)),
    judgedRequests: (id, upTo) => settle(() => store.judgedRequests(id, upTo)),
    requests: (id) => settle(() => store.requests(id)),
    close: () => settle(() => store.close()),
  };
}
