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
  type RunRecord,
} from '../store/report-queries.js';
import { RolloutStore } from '../store/rollout-store.js';
import { listRuns, type RunSummary } from '../store/run-queries.js';
import { listRunShards, pgListRunShards, type RunShardRow } from '../store/run-shards.js';
import { foldRequestStats, type RequestStats, sqliteRequestStatsInParallel } from './request-pass.js';
import type { RolloutReportSource } from './rollout-model.js';

export interface ReportSource {
  findRun(runId: string): Promise<RunRecord | undefined>;
  /** Ids of runs of one kind, newest first. */
  listRunIds(kind: 'shadow' | 'rollout'): Promise<string[]>;
  /** Every run, oldest first, with counts per arm (`shadowgate runs`). */
  listRuns(): Promise<RunSummary[]>;
  /** The shards of every sharded run, by run id (`shadowgate runs`). */
  listRunShards(): Promise<Map<string, RunShardRow[]>>;
  /**
   * The run's request groups and timings and its paired figures, read in the
   * canonical order (by prompt_id, then arm) on both stores (src/report/request-pass.ts).
   */
  requestStats(runId: string, topDivergent: number): Promise<RequestStats>;
  failureSpend(runId: string): Promise<FailureSpendRow[]>;
  instrumentJson(runId: string): Promise<string | null>;
  breakerOpenings(runId: string): Promise<BreakerOpenings[]>;
  divergentTexts(runId: string, promptIds: string[], excerptChars: number): Promise<DivergentTexts[]>;
  close(): Promise<void>;
}

/** A SQLite database as a source; close() closes `db`. */
export function sqliteReportSource(db: Database): ReportSource {
  return {
    findRun: async (runId) => findRun(db, runId),
    listRunIds: async (kind) => listRunIds(db, kind),
    listRuns: async () => listRuns(db),
    listRunShards: async () => listRunShards(db),
    requestStats: (runId, topDivergent) => sqliteRequestStatsInParallel(db, runId, topDivergent),
    failureSpend: async (runId) => failureSpend(db, runId),
    instrumentJson: async (runId) => readInstrumentJson(db, runId),
    breakerOpenings: async (runId) => breakerOpenings(db, runId),
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
    requestStats: async (runId, topDivergent) =>
      foldRequestStats(
        await pgScanRequests(client, runId),
        (other) => pgPairedRows(client, runId, other),
        topDivergent,
      ),
    failureSpend: (runId) => pgFailureSpend(client, runId),
    instrumentJson: (runId) => pgInstrumentJson(client, runId),
    breakerOpenings: (runId) => pgBreakerOpenings(client, runId),
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
