/**
 * Everything paired by prompt between the baseline and another arm, from one
 * streamed pass over the store: the outcome tables, the per-prompt series the
 * intervals resample, agreement counts and the least similar prompts.
 */
import type { Database } from 'better-sqlite3';
import { GrowingSeries } from '../shared/growing-series.js';
import { toolCallsAgree } from '../stats/output-agreement.js';
import { type PairedArm, type PairedRow, pairedRows } from '../store/report-queries.js';
import { isEngineRefusal } from './arm-summary.js';

/** A 2x2 table of paired failures, baseline first. */
export interface PairedOutcomeCounts {
  bothFail: number;
  onlyBaselineFail: number;
  onlyOtherFail: number;
  neitherFail: number;
}

export interface PairedOkTotals {
  /** Prompts both arms answered ok. */
  n: number;
  /** Of those, prompts with a known cost on both arms, their cost sums and the baseline's tokens. */
  costedN: number;
  baselineCostUsd: number;
  otherCostUsd: number;
  baselineTokens: number;
  jsonN: number;
  jsonAgree: number;
  finishN: number;
  finishAgree: number;
}

/** Two arms' values of the same prompts: `baseline[i]` and `other[i]` belong together. */
export interface PairedSeries {
  baseline: Float64Array;
  other: Float64Array;
}

export interface PairedStats {
  /** Pairs left out of every paired figure because our engine refused one side. */
  refusedPairs: number;
  /** Final outcomes, pairs the provider answered on both sides. */
  outcomes: PairedOutcomeCounts;
  /** Whether each side's first attempt failed (before any retry), same pairs. */
  firstAttempts: PairedOutcomeCounts;
  /** Sum and sum of squares of (other - baseline) attempts per prompt, and each side's sum, same pairs. */
  attempts: { n: number; diffSum: number; diffSquares: number; baseline: number; other: number };
  okTotals: PairedOkTotals;
  series: {
    /** End-to-end latency, ms, prompts both answered ok. */
    latencyMs: PairedSeries;
    /** Time to first token, ms, prompts both answered ok with one recorded. */
    ttftMs: PairedSeries;
    /** Cost, USD, prompts both answered ok with a known cost. */
    costUsd: PairedSeries;
    /** Other minus baseline end-to-end latency, ms. */
    latencyDeltaMs: Float64Array;
    /** Other's reported input tokens / baseline's, where both are positive. */
    inputTokenRatio: Float64Array;
    similarity: Float64Array;
  };
  /** Prompts where at least one arm called a tool, and where names and arguments agree. */
  tools: { n: number; names: number; args: number };
  /** The `topK` least similar prompts, least similar first. */
  divergent: { promptId: string; similarity: number }[];
}

class PairBuffer {
  private readonly baseline: GrowingSeries;
  private readonly other: GrowingSeries;
  constructor(initialCapacity: number) {
    this.baseline = new GrowingSeries(initialCapacity);
    this.other = new GrowingSeries(initialCapacity);
  }
  push(b: number, o: number): void {
    this.baseline.push(b);
    this.other.push(o);
  }
  pushAll(series: PairedSeries): void {
    this.baseline.pushAll(series.baseline);
    this.other.pushAll(series.other);
  }
  series(): PairedSeries {
    return { baseline: this.baseline.values(), other: this.other.values() };
  }
}

function emptyTable(): PairedOutcomeCounts {
  return { bothFail: 0, onlyBaselineFail: 0, onlyOtherFail: 0, neitherFail: 0 };
}

function count(table: PairedOutcomeCounts, baselineFailed: boolean, otherFailed: boolean): void {
  if (baselineFailed) {
    if (otherFailed) table.bothFail++;
    else table.onlyBaselineFail++;
  } else if (otherFailed) table.onlyOtherFail++;
  else table.neitherFail++;
}

/**
 * Streams the pairs of `other` with the baseline from a SQLite file.
 * `capacity` (the other arm's request count) bounds the number of pairs and
 * sizes the typed arrays.
 */
export function pairedStats(
  db: Database,
  runId: string,
  other: PairedArm,
  capacity: number,
  topK: number,
): PairedStats {
  const acc = new PairedAccumulator(capacity, topK);
  for (const row of pairedRows(db, runId, other)) acc.add(row);
  return acc.result();
}

/**
 * The paired figures, folded one row at a time in the order the store gives
 * them (the per-prompt series keep that order, and the bootstrap resamples
 * them by index): SQLite's pairedRows and PostgreSQL's pgPairedRows feed it alike.
 */
export class PairedAccumulator {
  private readonly outcomes = emptyTable();
  private readonly firstAttempts = emptyTable();
  private readonly attempts = { n: 0, diffSum: 0, diffSquares: 0, baseline: 0, other: 0 };
  private readonly ok = {
    n: 0,
    costedN: 0,
    baselineCostUsd: 0,
    otherCostUsd: 0,
    baselineTokens: 0,
    jsonN: 0,
    jsonAgree: 0,
    finishN: 0,
    finishAgree: 0,
  };
  private readonly tools = { n: 0, names: 0, args: 0 };
  private readonly latency: PairBuffer;
  private readonly ttft: PairBuffer;
  private readonly cost: PairBuffer;
  private readonly deltas: GrowingSeries;
  private readonly ratios: GrowingSeries;
  private readonly similarity: GrowingSeries;
  private refusedPairs = 0;
  private readonly divergent: { promptId: string; similarity: number }[] = [];

  /**
   * `initialCapacity`: the pairs expected (the other arm's request count when
   * known; the series grow past it); `topK`: how many least similar prompts to keep.
   */
  constructor(
    initialCapacity: number,
    private readonly topK: number,
  ) {
    this.latency = new PairBuffer(initialCapacity);
    this.ttft = new PairBuffer(initialCapacity);
    this.cost = new PairBuffer(initialCapacity);
    this.deltas = new GrowingSeries(initialCapacity);
    this.ratios = new GrowingSeries(initialCapacity);
    this.similarity = new GrowingSeries(initialCapacity);
  }

  add(row: PairedRow): void {
    const { outcomes, firstAttempts, attempts, ok, tools } = this;
    const bOk = row[1];
    const oOk = row[2];
    // Read by position, not destructured: this runs once per pair of a million-request run.
    if ((!bOk && isEngineRefusal(row[15])) || (!oOk && isEngineRefusal(row[16]))) {
      this.refusedPairs++;
      return;
    }
    const bAttempts = row[17];
    const oAttempts = row[18];
    count(outcomes, !bOk, !oOk);
    count(firstAttempts, !bOk || bAttempts > 1, !oOk || oAttempts > 1);
    const diff = oAttempts - bAttempts;
    attempts.n++;
    attempts.diffSum += diff;
    attempts.diffSquares += diff * diff;
    attempts.baseline += bAttempts;
    attempts.other += oAttempts;
    if (!bOk || !oOk) return;
    const [
      promptId,
      ,
      ,
      bLat,
      oLat,
      bIn,
      oIn,
      sim,
      bCost,
      oCost,
      bTokens,
      jsonAgree,
      finishAgree,
      bTools,
      oTools,
    ] = row;
    const bTtft = row[19];
    const oTtft = row[20];
    ok.n++;
    if (bCost !== null && oCost !== null) {
      ok.costedN++;
      ok.baselineCostUsd += bCost;
      ok.otherCostUsd += oCost;
      ok.baselineTokens += bTokens;
      this.cost.push(bCost, oCost);
    }
    if (jsonAgree !== null) {
      ok.jsonN++;
      ok.jsonAgree += jsonAgree;
    }
    if (finishAgree !== null) {
      ok.finishN++;
      ok.finishAgree += finishAgree;
    }
    if (bLat !== null && oLat !== null) {
      this.latency.push(bLat, oLat);
      this.deltas.push(oLat - bLat);
    }
    if (bTtft !== null && oTtft !== null) this.ttft.push(bTtft, oTtft);
    if (bIn !== null && oIn !== null && bIn > 0 && oIn > 0) this.ratios.push(oIn / bIn);
    if (sim !== null) {
      this.similarity.push(sim);
      if (this.topK > 0) keepLeastSimilar(this.divergent, this.topK, promptId, sim);
    }
    if (bTools !== null || oTools !== null) {
      const agree = toolCallsAgree(parseToolCalls(bTools), parseToolCalls(oTools));
      tools.n++;
      if (agree.names) tools.names++;
      if (agree.arguments) tools.args++;
    }
  }

  /**
   * Adds another pass's figures, of prompts that sort after every prompt
   * added here (a later prompt_id range): counts add, series append in order,
   * and the least similar prompts are kept from both.
   */
  absorb(later: PairedStats): void {
    this.refusedPairs += later.refusedPairs;
    addCounts(this.outcomes, later.outcomes);
    addCounts(this.firstAttempts, later.firstAttempts);
    addCounts(this.attempts, later.attempts);
    // The cost sums are continued over the later series, not added as totals:
    // the same additions in the same order as one pass, to the last bit.
    addCounts(this.ok, { ...later.okTotals, baselineCostUsd: 0, otherCostUsd: 0 });
    const cost = later.series.costUsd;
    for (let i = 0; i < cost.baseline.length; i++) {
      this.ok.baselineCostUsd += cost.baseline[i]!;
      this.ok.otherCostUsd += cost.other[i]!;
    }
    addCounts(this.tools, later.tools);
    this.latency.pushAll(later.series.latencyMs);
    this.ttft.pushAll(later.series.ttftMs);
    this.cost.pushAll(later.series.costUsd);
    this.deltas.pushAll(later.series.latencyDeltaMs);
    this.ratios.pushAll(later.series.inputTokenRatio);
    this.similarity.pushAll(later.series.similarity);
    if (this.topK > 0)
      for (const d of later.divergent) keepLeastSimilar(this.divergent, this.topK, d.promptId, d.similarity);
  }

  result(): PairedStats {
    return {
      refusedPairs: this.refusedPairs,
      outcomes: this.outcomes,
      firstAttempts: this.firstAttempts,
      attempts: this.attempts,
      okTotals: this.ok,
      series: {
        latencyMs: this.latency.series(),
        ttftMs: this.ttft.series(),
        costUsd: this.cost.series(),
        latencyDeltaMs: this.deltas.values(),
        inputTokenRatio: this.ratios.values(),
        similarity: this.similarity.values(),
      },
      tools: this.tools,
      divergent: this.divergent,
    };
  }
}

/** Adds each numeric field of `more` into `into`. */
function addCounts<T extends object>(into: T, more: T): void {
  const target = into as Record<string, number>;
  for (const [k, v] of Object.entries(more)) target[k] = (target[k] ?? 0) + (v as number);
}

/** Keeps `list` as the `k` least similar prompts seen so far (ties by prompt id), least similar first. */
function keepLeastSimilar(
  list: { promptId: string; similarity: number }[],
  k: number,
  promptId: string,
  similarity: number,
): void {
  const before = (a: { promptId: string; similarity: number }) =>
    similarity < a.similarity || (similarity === a.similarity && promptId < a.promptId);
  if (list.length === k && !before(list[k - 1]!)) return;
  let i = list.length;
  while (i > 0 && before(list[i - 1]!)) i--;
  list.splice(i, 0, { promptId, similarity });
  if (list.length > k) list.pop();
}

function parseToolCalls(json: string | null): { name: string; arguments: string }[] {
  if (json === null) return [];
  try {
    const parsed = JSON.parse(json) as unknown;
    return Array.isArray(parsed) ? (parsed as { name: string; arguments: string }[]) : [];
  } catch {
    return [];
  }
}
