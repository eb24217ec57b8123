/**
 * The shadow report's reads of a run's requests, from either store, in one
 * canonical order (by prompt_id, then arm): the count groups and timings of
 * every arm (RequestScan) and the paired figures of the candidate and the
 * replica against the baseline (PairedStats). The bootstrap resamples the
 * paired series by index, so the same run gives the same intervals from
 * SQLite and from PostgreSQL.
 *
 * On SQLite all of it comes from one walk of the primary key, where a
 * prompt's arms sit next to each other: each request crosses into JS once,
 * and the pairs are made as the walk passes, with no join. PostgreSQL does
 * the counting in SQL and streams the pairs (src/store/pg/pg-report-queries.ts).
 */

import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { PairedArm, PairedRow, RequestGroup, RequestScan } from '../store/report-queries.js';
import {
  middlePromptId,
  type PromptOrderedRow,
  type PromptRange,
  RequestScanBuilder,
  ROW,
  requestsInPromptOrder,
} from '../store/request-scan.js';
import { PairedAccumulator, type PairedStats } from './paired-stats.js';

export interface RequestStats {
  scan: RequestScan;
  /** The candidate against the baseline, with the `topK` least similar prompts. */
  paired: PairedStats;
  /** The baseline replica against the baseline; null when the run has no replica requests. */
  replica: PairedStats | null;
}

/** How many pairs each paired pass can hold: the other arm's request count; null replica when it has none. */
export function pairedCapacities(scan: RequestScan): { candidate: number; replica: number | null } {
  let candidate = 0;
  let replica: number | null = null;
  for (const g of scan.groups) {
    if (g.arm === 'candidate') candidate += g.requests;
    else if (g.arm === 'baseline_replica') replica = (replica ?? 0) + g.requests;
  }
  return { candidate, replica };
}

/** Where the paired series of the SQLite pass start; they double as they fill. */
const INITIAL_PAIRS = 4096;

/** The accumulators of one ordered pass over a prompt range, before their results are taken. */
interface RangeFold {
  scan: RequestScanBuilder;
  candidate: PairedAccumulator;
  replica: PairedAccumulator | null;
}

/** RequestStats of a SQLite run, from one ordered pass over its requests. */
export function sqliteRequestStats(db: Database, runId: string, topK: number): RequestStats {
  return resultOf(foldRange(db, runId, topK, {}));
}

/** One ordered pass over the requests of the prompts in `range`. */
export function foldRange(
  db: Database,
  runId: string,
  topK: number,
  range: PromptRange,
  keepCosts = false,
): RangeFold {
  // No count first: the series grow, and the replica's accumulator starts at its first request.
  const candidate = new PairedAccumulator(INITIAL_PAIRS, topK);
  let replica: PairedAccumulator | null = null;
  const scan = new RequestScanBuilder({ keepCosts });
  let baseline: PromptOrderedRow | null = null;
  let baselineGroup: RequestGroup | null = null;
  for (const row of requestsInPromptOrder(db, runId, range)) {
    const group = scan.add(row);
    if (group.arm === 'baseline') {
      baseline = row;
      baselineGroup = group;
      continue;
    }
    if (group.arm === 'baseline_replica') replica ??= new PairedAccumulator(INITIAL_PAIRS, 0);
    // 'baseline' sorts before the other arms, so a prompt's baseline row, if any, came just before.
    if (baseline === null || baseline[ROW.promptId] !== row[ROW.promptId]) continue;
    const acc = group.arm === 'candidate' ? candidate : replica;
    acc?.add(pairOf(baseline, baselineGroup!, row, group));
  }
  return { scan, candidate, replica };
}

export function resultOf(fold: RangeFold): RequestStats {
  return {
    scan: fold.scan.result(),
    paired: fold.candidate.result(),
    replica: fold.replica?.result() ?? null,
  };
}

/**
 * Runs with at least this many prompts are read by two threads, each folding
 * one half of the prompt ids (measured on 2 cores: a 1M-request report's
 * pass from about 4.5 s to 2.5 s). Below it a thread's start costs more than it saves.
 */
export const PARALLEL_MIN_PROMPTS = 100_000;

/**
 * sqliteRequestStats, with the later half of the prompt ids folded on a
 * worker thread while this one folds the first half. The halves are merged
 * in canonical order, so every series and count is what one pass gives; a
 * float sum may differ from it in its last bit. An in-memory database, or a
 * run under `minPrompts`, is read in one pass here.
 */
export async function sqliteRequestStatsInParallel(
  db: Database,
  runId: string,
  topK: number,
  minPrompts = PARALLEL_MIN_PROMPTS,
): Promise<RequestStats> {
  const split = db.memory ? null : middlePromptId(db, runId, minPrompts);
  if (split === null) return sqliteRequestStats(db, runId, topK);
  const request: RangeFoldRequest = { dbPath: db.name, runId, topK, range: { from: split } };
  const worker = new Worker(new URL('./request-pass-worker.js', import.meta.url), { workerData: request });
  const later = new Promise<RangeFoldAnswer>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`the report's second reader exited (${code}) without a result`)),
    );
  });
  // Caught here and awaited below: the first half's throw must not leave the rejection unhandled.
  later.catch(() => {});
  let first: RangeFold;
  try {
    first = foldRange(db, runId, topK, { to: split });
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  const theirs = await later;
  first.scan.absorb(theirs.stats.scan, theirs.costs);
  first.candidate.absorb(theirs.stats.paired);
  if (theirs.stats.replica) {
    first.replica ??= new PairedAccumulator(INITIAL_PAIRS, 0);
    first.replica.absorb(theirs.stats.replica);
  }
  return resultOf(first);
}

/** What request-pass-worker.ts answers: its range's stats and each group's cost values. */
export interface RangeFoldAnswer {
  stats: RequestStats;
  costs: Map<string, Float64Array>;
}

/** What request-pass-worker.ts is given. */
export interface RangeFoldRequest {
  dbPath: string;
  runId: string;
  topK: number;
  range: PromptRange;
}

/** RequestStats from a scan and each other arm's paired rows, batched in canonical order (a ReportSource's reads). */
export async function foldRequestStats(
  scan: RequestScan,
  pairedRows: (other: PairedArm) => AsyncIterable<readonly PairedRow[]>,
  topK: number,
): Promise<RequestStats> {
  const { candidate, replica } = pairedCapacities(scan);
  const fold = async (other: PairedArm, capacity: number, k: number) => {
    const acc = new PairedAccumulator(capacity, k);
    for await (const batch of pairedRows(other)) for (const row of batch) acc.add(row);
    return acc.result();
  };
  const paired = await fold('candidate', candidate, topK);
  return { scan, paired, replica: replica === null ? null : await fold('baseline_replica', replica, 0) };
}

/**
 * The PairedRow that pairedRows' join gives for these two requests, but for
 * tool calls: a side without a call is NULL here where the join may give
 * `[]` (both read as no calls).
 */
function pairOf(
  b: PromptOrderedRow,
  bGroup: RequestGroup,
  o: PromptOrderedRow,
  oGroup: RequestGroup,
): PairedRow {
  const anyTool = b[ROW.toolCalls] !== null || o[ROW.toolCalls] !== null;
  return [
    o[ROW.promptId],
    bGroup.outcome === 'ok' ? 1 : 0,
    oGroup.outcome === 'ok' ? 1 : 0,
    b[ROW.latencyMs],
    o[ROW.latencyMs],
    b[ROW.inputTokens],
    o[ROW.inputTokens],
    o[ROW.similarity],
    b[ROW.costUsd],
    o[ROW.costUsd],
    (b[ROW.inputTokens] ?? 0) + (b[ROW.outputTokens] ?? 0),
    sqlEquals(b[ROW.jsonValid], o[ROW.jsonValid]),
    sqlEquals(b[ROW.finishReason], o[ROW.finishReason]),
    anyTool ? b[ROW.toolCalls] : null,
    anyTool ? o[ROW.toolCalls] : null,
    bGroup.errorClass,
    oGroup.errorClass,
    b[ROW.attempts],
    o[ROW.attempts],
    b[ROW.ttftMs],
    o[ROW.ttftMs],
  ];
}

/** SQL's `a = b`: NULL when either side is NULL, else 1 or 0. */
function sqlEquals<T>(a: T | null, b: T | null): 0 | 1 | null {
  if (a === null || b === null) return null;
  return a === b ? 1 : 0;
}
