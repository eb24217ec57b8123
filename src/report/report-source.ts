/**
 * What the read-side commands (`runs`, `report shadow`, `gate`, `report rollout`) read from a
 * store, behind one async interface with two implementations: a SQLite file
 * (the sync queries of src/store/report-queries.ts, wrapped) and a
 * PostgreSQL database (src/store/pg/pg-report-queries.ts). The report is
 * built from what the source returns, the same way for both; a command opens
 * the source at its edge and never learns which store it has.
 */
import type pg from 'pg';
import { sqliteRolloutWriter } from '../store/async-rollout-store.js';
import type { DbLocation } from '../store/db-url.js';
import { type FailureSpendRow, failureSpend } from '../store/failure-spend-queries.js';
import { readInstrumentJson } from '../store/instrument-store.js';
import { type Database, openStore } from '../store/open-store.js';
import { openPgStore } from '../store/pg/open-pg-store.js';
import {
  pgBreakerOpenings,
  pgDivergentTexts,
  pgFailureSpend,
  pgFindRun,
  pgInstrumentJson,
  pgListRunIds,
  pgPairedRows,
  pgScanRequests,
} from '../store/pg/pg-report-queries.js';
import { PgRolloutStore } from '../store/pg/pg-rollout-store.js';
import { pgListRuns } from '../store/pg/pg-run-queries.js';
import {
  type BreakerOpenings,
  breakerOpenings,
  type DivergentTexts,
  divergentTexts,
  findRun,
  listRunIds,
  type PairedArm,
  type PairedRow,
  pairedRows,
  type RequestScan,
  type RunRecord,
  scanRequests,
} from '../store/report-queries.js';
import { RolloutStore } from '../store/rollout-store.js';
import { listRuns, type RunSummary } from '../store/run-queries.js';
import { listRunShards, pgListRunShards, type RunShardRow } from '../store/run-shards.js';
import type { RolloutReportSource } from './rollout-model.js';

export interface ReportSource {
  findRun(runId: string): Promise<RunRecord | undefined>;
  /** Ids of runs of one kind, newest first. */
  listRunIds(kind: 'shadow' | 'rollout'): Promise<string[]>;
  /** Every run, oldest first, with counts per arm (`shadowgate runs`). */
  listRuns(): Promise<RunSummary[]>;
  /** The shards of every sharded run, by run id (`shadowgate runs`). */
  listRunShards(): Promise<Map<string, RunShardRow[]>>;
  scanRequests(runId: string): Promise<RequestScan>;
  failureSpend(runId: string): Promise<FailureSpendRow[]>;
  instrumentJson(runId: string): Promise<string | null>;
  breakerOpenings(runId: string): Promise<BreakerOpenings[]>;
  /**
   * The prompts both the baseline and `other` recorded, in batches, in the
   * store's order (see pgPairedRows). Nothing else may be asked of the
   * source until the iteration ends.
   */
  pairedRows(runId: string, other: PairedArm): AsyncIterable<readonly PairedRow[]>;
  divergentTexts(runId: string, promptIds: string[], excerptChars: number): Promise<DivergentTexts[]>;
  close(): Promise<void>;
}

/** Rows handed over at a time by the SQLite source's pairedRows. */
const SQLITE_BATCH_ROWS = 4096;

/** A SQLite database as a source; close() closes `db`. */
export function sqliteReportSource(db: Database): ReportSource {
  return {
    findRun: async (runId) => findRun(db, runId),
    listRunIds: async (kind) => listRunIds(db, kind),
    listRuns: async () => listRuns(db),
    listRunShards: async () => listRunShards(db),
    scanRequests: async (runId) => scanRequests(db, runId),
    failureSpend: async (runId) => failureSpend(db, runId),
    instrumentJson: async (runId) => readInstrumentJson(db, runId),
    breakerOpenings: async (runId) => breakerOpenings(db, runId),
    pairedRows: async function* (runId, other) {
      let batch: PairedRow[] = [];
      for (const row of pairedRows(db, runId, other)) {
        batch.push(row);
        if (batch.length === SQLITE_BATCH_ROWS) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    },
    divergentTexts: async (runId, promptIds, excerptChars) =>
      divergentTexts(db, runId, promptIds, excerptChars),
    close: async () => {
      db.close();
    },
  };
}

/** A PostgreSQL connection as a source; close() ends `client`. */
export function pgReportSource(client: pg.Client): ReportSource {
  return {
    findRun: (runId) => pgFindRun(client, runId),
    listRunIds: (kind) => pgListRunIds(client, kind),
    listRuns: () => pgListRuns(client),
    listRunShards: () => pgListRunShards(client),
    scanRequests: (runId) => pgScanRequests(client, runId),
    failureSpend: (runId) => pgFailureSpend(client, runId),
    instrumentJson: (runId) => pgInstrumentJson(client, runId),
    breakerOpenings: (runId) => pgBreakerOpenings(client, runId),
    pairedRows: (runId, other) => pgPairedRows(client, runId, other),
    divergentTexts: (runId, promptIds, excerptChars) =>
      promptIds.length === 0 ? Promise.resolve([]) : pgDivergentTexts(client, runId, promptIds, excerptChars),
    close: () => client.end(),
  };
}

/**
 * Opens the store read-only: a SQLite file must exist, a PostgreSQL database
 * must be reachable and at the current schema. Failures are one-line
 * ShadowgateErrors (exit 2).
 */
export async function openReportSource(location: DbLocation): Promise<ReportSource> {
  if (location.kind === 'sqlite') return sqliteReportSource(openStore(location.path, { readonly: true }));
  return pgReportSource(await openPgStore(location.url, { readonly: true }));
}

/** The rollout report's reads, opened read-only, and how to let go of them. */
export interface OpenedRolloutSource {
  source: RolloutReportSource;
  close(): Promise<void>;
}

/** openReportSource for `report rollout`: SQLite's RolloutStore or PgRolloutStore, read-only. */
export async function openRolloutReportSource(location: DbLocation): Promise<OpenedRolloutSource> {
  if (location.kind === 'sqlite') {
    const db = openStore(location.path, { readonly: true });
    return {
      source: sqliteRolloutWriter(new RolloutStore(db)),
      close: async () => {
        db.close();
      },
    };
  }
  const client = await openPgStore(location.url, { readonly: true });
  return { source: new PgRolloutStore(client), close: () => client.end() };
}
