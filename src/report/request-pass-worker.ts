/**
 * The second reader of sqliteRequestStatsInParallel: folds the requests of
 * one prompt range of a SQLite run on its own connection and posts back the
 * RequestStats (typed arrays transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { foldRange, type RangeFoldAnswer, type RangeFoldRequest, resultOf } from './request-pass.js';

const { dbPath, runId, topK, range } = workerData as RangeFoldRequest;
const db = new Database(dbPath, { readonly: true, fileMustExist: true });
try {
  const fold = foldRange(db, runId, topK, range, true);
  const answer: RangeFoldAnswer = { stats: resultOf(fold), costs: fold.scan.costValues() };
  const { stats } = answer;
  const buffers = new Set<ArrayBuffer>();
  const take = (a: Float64Array) => buffers.add(a.buffer as ArrayBuffer);
  for (const t of stats.scan.timings.values()) [t.latencyMs, t.serviceMs, t.ttftMs, t.tpotMs].forEach(take);
  for (const p of [stats.paired, stats.replica]) {
    if (!p) continue;
    const s = p.series;
    [
      s.latencyMs.baseline,
      s.latencyMs.other,
      s.ttftMs.baseline,
      s.ttftMs.other,
      s.costUsd.baseline,
      s.costUsd.other,
    ].forEach(take);
    [s.latencyDeltaMs, s.inputTokenRatio, s.similarity].forEach(take);
  }
  for (const c of answer.costs.values()) take(c);
  parentPort!.postMessage(answer, [...buffers]);
} finally {
  db.close();
}
