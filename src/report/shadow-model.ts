/**
 * Builds the shadow report: a plain object with every number the renderers
 * show. This is the only part of src/report/ that reads the database, and it
 * does so only through src/store/report-queries.ts.
 */
import type { Database } from 'better-sqlite3';
import { defaultShadowGates } from '../judge/default-gates.js';
import { evaluateGates, type GateSpec } from '../judge/gates.js';
import { UsageError } from '../shared/errors.js';
import { ENGINE_REFUSALS } from '../shared/outcome-class.js';
import { bootstrapMedianCi } from '../stats/bootstrap.js';
import { driftThreshold } from '../stats/drift.js';
import { mcnemar } from '../stats/mcnemar.js';
import { toolCallsAgree } from '../stats/output-agreement.js';
import { pairedProportionDiff } from '../stats/paired-proportion.js';
import { percentile, summarize } from '../stats/percentile.js';
import { wilcoxonSignedRank } from '../stats/wilcoxon.js';
import { wilsonInterval } from '../stats/wilson-interval.js';
import {
  ARMS,
  type ArmName,
  divergentTexts,
  findRun,
  listRunIds,
  type PairedArm,
  pairedRows,
  type RequestGroup,
  type RunRecord,
  scanRequests,
} from '../store/report-queries.js';
import type {
  AgreementReport,
  ArmReport,
  ChartData,
  Comparison,
  DistributionSummary,
  DivergentPrompt,
  GateMetrics,
  MonthlyVolume,
  ShadowReport,
} from './shadow-report.js';

export type * from './shadow-report.js';

/** Monthly volume used for the cost projection when none is given. */
export const DEFAULT_MONTHLY_REQUESTS = 1_000_000;

export interface BuildShadowReportOptions {
  runId: string;
  /** Volume for the monthly cost projection. Default 1,000,000 requests per month. */
  monthly?: MonthlyVolume;
  /** Gates for the verdict. Default: the judge's defaults, with the TTFT gate only for streaming runs. */
  gates?: GateSpec[];
  /** When the report was made, ISO 8601; comes from the injected clock. */
  generatedAt: string;
  /** How many divergent prompts to list. Default 10. */
  topDivergent?: number;
  /** Characters kept of each output in the divergent list. Default 400. */
  excerptChars?: number;
  /** Bootstrap resamples for the latency median interval. Default 1000. */
  bootstrapResamples?: number;
}

/** Percentile grid of the CDF chart: 0, 0.5, ..., 99.5 and 99.9. */
const CDF_PERCENTILES = [...Array.from({ length: 200 }, (_, i) => i / 2), 99.9];
const HISTOGRAM_BINS = 24;
const SIMILARITY_BINS = 20;

/**
 * The run a report is for: the id given, `latest` (newest shadow run), or,
 * with none given, the only shadow run in the db. UsageError otherwise.
 */
export function resolveShadowRunId(db: Database, requested: string | undefined): string {
  if (requested !== undefined && requested !== 'latest') {
    const run = findRun(db, requested);
    if (!run)
      throw new UsageError(
        `no run ${requested} in this database (shadowgate runs lists them)`,
        [],
        'run_unknown',
      );
    if (run.kind !== 'shadow') {
      throw new UsageError(`run ${requested} is a ${run.kind} run, not a shadow run`, [], 'run_kind');
    }
    return run.id;
  }
  const ids = listRunIds(db, 'shadow');
  if (ids.length === 0) throw new UsageError('no shadow runs in this database', [], 'run_unknown');
  if (requested === undefined && ids.length > 1) {
    throw new UsageError(
      `this database holds ${ids.length} shadow runs: name one with --run ID or --run latest`,
    );
  }
  return ids[0]!;
}

const NO_TIMINGS = {
  latencyMs: new Float64Array(0),
  serviceMs: new Float64Array(0),
  ttftMs: new Float64Array(0),
  tpotMs: new Float64Array(0),
};

/** Reads the run and computes the report. Throws when the run does not exist. */
export function buildShadowReport(db: Database, options: BuildShadowReportOptions): ShadowReport {
  const run = findRun(db, options.runId);
  if (!run) throw new UsageError(`no run ${options.runId} in this database`, [], 'run_unknown');
  const monthly = options.monthly ?? { requests: DEFAULT_MONTHLY_REQUESTS };

  const { groups, timings: timingsByArm } = scanRequests(db, run.id);
  const hasReplica = groups.some((g) => g.arm === 'baseline_replica');
  const present = ARMS.filter((arm) => arm !== 'baseline_replica' || hasReplica);

  const sortedLatencies = new Map<ArmName, Float64Array>();
  const arms: Partial<Record<ArmName, ArmReport>> = {};
  for (const arm of present) {
    const counts = armCounts(
      arm,
      groups.filter((g) => g.arm === arm),
    );
    const timings = timingsByArm.get(arm) ?? NO_TIMINGS;
    for (const series of Object.values(timings)) series.sort();
    sortedLatencies.set(arm, timings.latencyMs);
    arms[arm] = {
      ...counts,
      latencyMs: summary(timings.latencyMs),
      serviceMs: summary(timings.serviceMs),
      ttftMs: summary(timings.ttftMs),
      tpotMs: summary(timings.tpotMs),
    };
  }

  const baselineArm = arms.baseline!;
  const candidateArm = arms.candidate!;
  const comparison = compare(
    db,
    run,
    options,
    monthly,
    baselineArm,
    candidateArm,
    hasReplica,
    arms.baseline_replica?.requests ?? 0,
  );
  const metrics = gateMetrics(baselineArm, candidateArm, comparison);
  const verdict = evaluateGates(
    options.gates ?? defaultShadowGates({ streaming: wasStreaming(run) }),
    metrics,
  );

  return {
    runId: run.id,
    generatedAt: options.generatedAt,
    run: {
      label: run.label,
      status: run.status,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      scenario: run.scenarioPath,
      scenarioSha256: run.scenarioSha256,
      seed: run.seed,
      totalPrompts: run.totalPrompts,
      budgetUsd: run.budgetUsd,
      spentUsd: run.spentUsd,
    },
    arms,
    comparison: comparison.report,
    metrics,
    verdict,
    charts: charts(
      sortedLatencies,
      comparison.candidateSimilarity,
      comparison.replicaSimilarity,
      comparison.report,
    ),
  };
}

/**
 * Whether the run streamed: its options (flags) win over its config. Only
 * streaming runs measure a real time to first token.
 */
function wasStreaming(run: RunRecord): boolean {
  for (const json of [run.optionsJson, run.configJson]) {
    if (!json) continue;
    try {
      const parsed = JSON.parse(json) as { stream?: unknown; run?: { stream?: unknown } };
      const stream = parsed.stream ?? parsed.run?.stream;
      if (typeof stream === 'boolean') return stream;
    } catch {
      // A malformed column says nothing about streaming; try the next one.
    }
  }
  return false;
}

/** Error key shown per class: HTTP 4xx/5xx keep their status (`http_503`), the rest their class. */
function errorKey(errorClass: string, httpStatus: number | null): string {
  if ((errorClass === 'http_5xx' || errorClass === 'http_4xx') && httpStatus !== null)
    return `http_${httpStatus}`;
  return errorClass;
}

function armCounts(
  arm: ArmName,
  groups: RequestGroup[],
): Omit<ArmReport, 'latencyMs' | 'serviceMs' | 'ttftMs' | 'tpotMs'> {
  const errorsByClass: Record<string, number> = {};
  const engineRefusals: Record<string, number> = {};
  const models = new Map<string, { requested: string | null; response: string | null; count: number }>();
  const t = {
    requests: 0,
    ok: 0,
    retried: 0,
    okAfterRetry: 0,
    attempts: 0,
    input: 0,
    cached: 0,
    cacheWrite: 0,
    output: 0,
    reasoning: 0,
    usageEstimated: 0,
    usageKnown: 0,
    costUsd: 0,
    costed: 0,
    modelChecked: 0,
    modelMismatched: 0,
  };
  for (const g of groups) {
    t.requests += g.requests;
    t.retried += g.retried;
    t.attempts += g.attempts;
    t.input += g.inputTokens;
    t.cached += g.cachedTokens;
    t.cacheWrite += g.cacheWriteTokens;
    t.output += g.outputTokens;
    t.reasoning += g.reasoningTokens;
    t.usageEstimated += g.usageEstimated;
    t.usageKnown += g.usageKnown;
    t.costUsd += g.costUsd;
    t.costed += g.costed;
    if (g.outcome === 'ok') {
      t.ok += g.requests;
      t.okAfterRetry += g.retried;
      if (g.responseModel !== null && g.requestedModel !== null) {
        t.modelChecked += g.requests;
        if (g.modelMismatch) t.modelMismatched += g.requests;
      }
      const key = JSON.stringify([g.requestedModel, g.responseModel]);
      const m = models.get(key) ?? { requested: g.requestedModel, response: g.responseModel, count: 0 };
      m.count += g.requests;
      models.set(key, m);
    } else {
      const errorClass = g.errorClass ?? 'unknown';
      const bucket = (ENGINE_REFUSALS as readonly string[]).includes(errorClass)
        ? engineRefusals
        : errorsByClass;
      const key = errorKey(errorClass, g.httpStatus);
      bucket[key] = (bucket[key] ?? 0) + g.requests;
    }
  }
  const errorCount = t.requests - t.ok;
  const refusals = Object.values(engineRefusals).reduce((a, b) => a + b, 0);
  const tokens = t.input + t.output;
  return {
    arm,
    requests: t.requests,
    ok: t.ok,
    errors: errorCount,
    errorRate: ratio(errorCount, t.requests),
    errorRateCi: t.requests > 0 ? wilsonInterval(errorCount, t.requests) : null,
    providerErrors: errorCount - refusals,
    errorsByClass: sortedCounts(errorsByClass),
    engineRefusals: sortedCounts(engineRefusals),
    retried: t.retried,
    retriedShare: ratio(t.retried, t.requests),
    meanAttempts: ratio(t.attempts, t.requests),
    successAfterRetry: ratio(t.okAfterRetry, t.retried),
    tokens: {
      input: t.input,
      cached: t.cached,
      cacheWrite: t.cacheWrite,
      output: t.output,
      reasoning: t.reasoning,
    },
    usageEstimatedShare: ratio(t.usageEstimated, t.usageKnown),
    costUsd: t.costed > 0 ? t.costUsd : null,
    costedRequests: t.costed,
    costPerRequestUsd: ratio(t.costUsd, t.costed),
    costPer1kRequestsUsd: t.costed > 0 ? (t.costUsd / t.costed) * 1000 : null,
    costPer1mTokensUsd: t.costed > 0 && tokens > 0 ? (t.costUsd / tokens) * 1e6 : null,
    responseModels: [...models.values()].sort(
      (a, b) => b.count - a.count || String(a.response).localeCompare(String(b.response)),
    ),
    modelChecked: t.modelChecked,
    modelMismatchShare: ratio(t.modelMismatched, t.modelChecked),
  };
}

/** Most frequent first, then by name, so reports of the same data read the same. */
function sortedCounts(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([ka, a], [kb, b]) => b - a || ka.localeCompare(kb)));
}

function ratio(num: number, den: number): number | null {
  return den > 0 ? num / den : null;
}

function summary(sorted: Float64Array): DistributionSummary {
  if (sorted.length === 0) {
    return { n: 0, mean: null, min: null, max: null, p50: null, p90: null, p95: null, p99: null };
  }
  return summarize(sorted);
}

interface ComparisonResult {
  report: Comparison;
  candidateSimilarity: Float64Array;
  replicaSimilarity: Float64Array;
}

function compare(
  db: Database,
  run: RunRecord,
  options: BuildShadowReportOptions,
  monthly: MonthlyVolume,
  baseline: ArmReport,
  candidate: ArmReport,
  hasReplica: boolean,
  replicaRequests: number,
): ComparisonResult {
  const topK = options.topDivergent ?? 10;
  const paired = pairedStats(db, run.id, 'candidate', candidate.requests, topK);
  const replica = hasReplica ? pairedStats(db, run.id, 'baseline_replica', replicaRequests, 0) : null;
  const { outcomes, okTotals, series } = paired;
  const replicaTotals = replica?.okTotals ?? null;
  const replicaSimilarity = replica?.series.similarity ?? new Float64Array(0);

  const deltas = series.latencyDeltaMs;
  const latency =
    deltas.length > 0
      ? {
          n: deltas.length,
          medianDeltaMs: median(deltas),
          ci: bootstrapMedianCi(deltas, { seed: run.seed, resamples: options.bootstrapResamples ?? 1000 }),
          ...wilcoxon(deltas),
        }
      : { n: 0, medianDeltaMs: null, ci: null, pValue: null, method: null };

  const candidateSimilarity = series.similarity.slice().sort();
  const sortedReplica = replicaSimilarity.slice().sort();
  const drift = driftThreshold(sortedReplica);
  let driftCount = 0;
  for (const s of candidateSimilarity) if (s < drift.threshold) driftCount++;

  const report: Comparison = {
    latency,
    errors: errorComparison(outcomes),
    cost: costComparison(okTotals, monthly),
    usage: {
      inputTokenRatio: series.inputTokenRatio.length > 0 ? median(series.inputTokenRatio) : null,
      inputTokenRatioN: series.inputTokenRatio.length,
      baselineModels: baseline.responseModels,
      candidateModels: candidate.responseModels,
      modelMismatchShare: candidate.modelMismatchShare,
      modelMismatchN: candidate.modelChecked,
    },
    outputs: {
      n: okTotals.n,
      similarityN: candidateSimilarity.length,
      similarityMedian: candidateSimilarity.length > 0 ? percentile(candidateSimilarity, 50) : null,
      noiseFloorMedian: sortedReplica.length > 0 ? percentile(sortedReplica, 50) : null,
      noiseFloorN: sortedReplica.length,
      driftThreshold: drift.threshold,
      driftThresholdSource: drift.source,
      driftCount,
      driftShare: ratio(driftCount, candidateSimilarity.length),
      jsonAgreement: agreement(
        okTotals.jsonAgree,
        okTotals.jsonN,
        replicaTotals?.jsonAgree,
        replicaTotals?.jsonN,
      ),
      finishReasonAgreement: agreement(
        okTotals.finishAgree,
        okTotals.finishN,
        replicaTotals?.finishAgree,
        replicaTotals?.finishN,
      ),
      toolCallAgreement: {
        n: paired.tools.n,
        namesShare: ratio(paired.tools.names, paired.tools.n),
        argumentsShare: ratio(paired.tools.args, paired.tools.n),
        noiseFloorN: replica?.tools.n ?? 0,
        noiseFloorNamesShare: replica ? ratio(replica.tools.names, replica.tools.n) : null,
        noiseFloorArgumentsShare: replica ? ratio(replica.tools.args, replica.tools.n) : null,
      },
      topDivergent: divergent(db, run.id, options, paired.divergent, drift.threshold),
    },
  };
  return { report, candidateSimilarity, replicaSimilarity: sortedReplica };
}

function median(values: Float64Array): number {
  return percentile(values.slice().sort(), 50);
}

function wilcoxon(deltas: Float64Array): { pValue: number | null; method: string | null } {
  const w = wilcoxonSignedRank(deltas);
  return { pValue: Number.isFinite(w.pValue) ? w.pValue : null, method: w.method };
}

function errorComparison(o: PairedOutcomeCounts): Comparison['errors'] {
  const n = o.bothFail + o.onlyBaselineFail + o.onlyOtherFail + o.neitherFail;
  const table = {
    bothFail: o.bothFail,
    onlyBaselineFail: o.onlyBaselineFail,
    onlyCandidateFail: o.onlyOtherFail,
    neitherFail: o.neitherFail,
  };
  if (n === 0) {
    return {
      n,
      baselineErrorRate: null,
      candidateErrorRate: null,
      delta: null,
      ci: null,
      pValue: null,
      method: null,
      table,
    };
  }
  // Second minus first: candidate rate minus baseline rate.
  const diff = pairedProportionDiff({
    bothFail: o.bothFail,
    onlyFirstFail: o.onlyBaselineFail,
    onlySecondFail: o.onlyOtherFail,
    neitherFail: o.neitherFail,
  });
  const test = mcnemar(o.onlyBaselineFail, o.onlyOtherFail);
  return {
    n,
    baselineErrorRate: (o.bothFail + o.onlyBaselineFail) / n,
    candidateErrorRate: (o.bothFail + o.onlyOtherFail) / n,
    delta: diff.delta,
    ci: diff.ci,
    pValue: Number.isFinite(test.pValue) ? test.pValue : null,
    method: test.method,
    table,
  };
}

function costComparison(t: PairedOkTotals, monthly: MonthlyVolume): Comparison['cost'] {
  const hasCost = t.costedN > 0 && t.baselineCostUsd > 0;
  const savingsPct = hasCost ? ((t.baselineCostUsd - t.otherCostUsd) / t.baselineCostUsd) * 100 : null;
  let requestsPerMonth: number | null = null;
  if ('requests' in monthly) requestsPerMonth = monthly.requests;
  else if (t.costedN > 0 && t.baselineTokens > 0)
    requestsPerMonth = monthly.tokens / (t.baselineTokens / t.costedN);
  const perRequest = (sum: number) => (t.costedN > 0 ? sum / t.costedN : null);
  const baselineUsd =
    requestsPerMonth !== null && hasCost ? perRequest(t.baselineCostUsd)! * requestsPerMonth : null;
  const candidateUsd =
    requestsPerMonth !== null && hasCost ? perRequest(t.otherCostUsd)! * requestsPerMonth : null;
  return {
    n: t.costedN,
    baselineCostUsd: t.costedN > 0 ? t.baselineCostUsd : null,
    candidateCostUsd: t.costedN > 0 ? t.otherCostUsd : null,
    baselineCostPerRequestUsd: perRequest(t.baselineCostUsd),
    candidateCostPerRequestUsd: perRequest(t.otherCostUsd),
    savingsPct,
    monthly: {
      basis: 'requests' in monthly ? 'requests' : 'tokens',
      volume: 'requests' in monthly ? monthly.requests : monthly.tokens,
      requestsPerMonth,
      baselineUsd,
      candidateUsd,
      savingsUsd: baselineUsd !== null && candidateUsd !== null ? baselineUsd - candidateUsd : null,
      savingsPct,
    },
  };
}

function agreement(agree: number, n: number, floorAgree?: number, floorN?: number): AgreementReport {
  return {
    share: ratio(agree, n),
    n,
    noiseFloorShare: floorN === undefined ? null : ratio(floorAgree ?? 0, floorN),
    noiseFloorN: floorN ?? 0,
  };
}

interface PairedOutcomeCounts {
  bothFail: number;
  onlyBaselineFail: number;
  onlyOtherFail: number;
  neitherFail: number;
}

interface PairedOkTotals {
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

interface PairedStats {
  outcomes: PairedOutcomeCounts;
  okTotals: PairedOkTotals;
  series: {
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

/**
 * Everything paired by prompt between the baseline and `other`, from one
 * streamed pass. `capacity` (the other arm's request count) bounds the number
 * of pairs and sizes the typed arrays.
 */
function pairedStats(
  db: Database,
  runId: string,
  other: PairedArm,
  capacity: number,
  topK: number,
): PairedStats {
  const outcomes = { bothFail: 0, onlyBaselineFail: 0, onlyOtherFail: 0, neitherFail: 0 };
  const ok = {
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
  const tools = { n: 0, names: 0, args: 0 };
  const latency = new Float64Array(capacity);
  const ratios = new Float64Array(capacity);
  const similarity = new Float64Array(capacity);
  let nl = 0;
  let nr = 0;
  let ns = 0;
  const divergent: { promptId: string; similarity: number }[] = [];
  for (const row of pairedRows(db, runId, other)) {
    const [
      promptId,
      bOk,
      oOk,
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
    if (!bOk) {
      if (oOk) outcomes.onlyBaselineFail++;
      else outcomes.bothFail++;
      continue;
    }
    if (!oOk) {
      outcomes.onlyOtherFail++;
      continue;
    }
    outcomes.neitherFail++;
    ok.n++;
    if (bCost !== null && oCost !== null) {
      ok.costedN++;
      ok.baselineCostUsd += bCost;
      ok.otherCostUsd += oCost;
      ok.baselineTokens += bTokens;
    }
    if (jsonAgree !== null) {
      ok.jsonN++;
      ok.jsonAgree += jsonAgree;
    }
    if (finishAgree !== null) {
      ok.finishN++;
      ok.finishAgree += finishAgree;
    }
    if (nl < capacity && bLat !== null && oLat !== null) latency[nl++] = oLat - bLat;
    if (nr < capacity && bIn !== null && oIn !== null && bIn > 0 && oIn > 0) ratios[nr++] = oIn / bIn;
    if (sim !== null) {
      if (ns < capacity) similarity[ns++] = sim;
      if (topK > 0) keepLeastSimilar(divergent, topK, promptId, sim);
    }
    if (bTools !== null || oTools !== null) {
      const agree = toolCallsAgree(parseToolCalls(bTools), parseToolCalls(oTools));
      tools.n++;
      if (agree.names) tools.names++;
      if (agree.arguments) tools.args++;
    }
  }
  return {
    outcomes,
    okTotals: ok,
    series: {
      latencyDeltaMs: latency.subarray(0, nl),
      inputTokenRatio: ratios.subarray(0, nr),
      similarity: similarity.subarray(0, ns),
    },
    tools,
    divergent,
  };
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

function divergent(
  db: Database,
  runId: string,
  options: BuildShadowReportOptions,
  least: { promptId: string; similarity: number }[],
  threshold: number,
): DivergentPrompt[] {
  const excerptChars = options.excerptChars ?? 400;
  const texts = divergentTexts(
    db,
    runId,
    least.map((d) => d.promptId),
    excerptChars + 1,
  );
  return least.map((d, i) => {
    const row = texts[i]!;
    return {
      promptId: d.promptId,
      similarity: d.similarity,
      drift: d.similarity < threshold,
      promptExcerpt: excerpt(lastUserMessage(row.requestJson), excerptChars),
      baselineExcerpt: excerpt(row.baselineText || row.baselineToolCalls, excerptChars),
      candidateExcerpt: excerpt(row.candidateText || row.candidateToolCalls, excerptChars),
    };
  });
}

/** The last user message of a recorded request: what a reviewer needs to recognise the prompt. */
function lastUserMessage(requestJson: string | null): string | null {
  if (requestJson === null) return null;
  try {
    const request = JSON.parse(requestJson) as { messages?: { role?: string; content?: unknown }[] };
    const messages = request.messages ?? [];
    const last = [...messages].reverse().find((m) => m.role === 'user') ?? messages[messages.length - 1];
    if (!last) return null;
    if (typeof last.content === 'string') return last.content;
    if (Array.isArray(last.content)) {
      return last.content
        .map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : ''))
        .join(' ');
    }
    return null;
  } catch {
    // The column was cut to a prefix; show it raw rather than nothing.
    return requestJson;
  }
}

function excerpt(text: string | null, chars: number): string | null {
  if (text === null) return null;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > chars ? `${flat.slice(0, chars - 1)}…` : flat;
}

function gateMetrics(baseline: ArmReport, candidate: ArmReport, c: ComparisonResult): GateMetrics {
  const r = c.report;
  const p95Ratio = (a: DistributionSummary, b: DistributionSummary) =>
    a.p95 !== null && b.p95 !== null && a.p95 > 0 ? b.p95 / a.p95 : null;
  return {
    'candidate.error_rate': { value: candidate.errorRate, n: candidate.requests },
    'errors.delta': { value: r.errors.delta, n: r.errors.n },
    'errors.delta_upper': { value: r.errors.ci?.[1] ?? null, n: r.errors.n },
    'attempts.first_failure_rate': { value: null, n: 0 },
    'attempts.first_failure_delta': { value: null, n: 0 },
    'attempts.amplification_delta': { value: null, n: 0 },
    'latency.p50_ratio': { value: null, n: 0 },
    'latency.p95_ratio': {
      value: p95Ratio(baseline.latencyMs, candidate.latencyMs),
      n: Math.min(baseline.latencyMs.n, candidate.latencyMs.n),
    },
    'latency.median_delta_ms': { value: r.latency.medianDeltaMs, n: r.latency.n },
    'latency.median_delta_upper_ms': { value: r.latency.ci?.[1] ?? null, n: r.latency.n },
    'ttft.p95_ratio': {
      value: p95Ratio(baseline.ttftMs, candidate.ttftMs),
      n: Math.min(baseline.ttftMs.n, candidate.ttftMs.n),
    },
    'outputs.drift_share': { value: r.outputs.driftShare, n: r.outputs.similarityN },
    'outputs.similarity_median': { value: r.outputs.similarityMedian, n: r.outputs.similarityN },
    'usage.input_token_ratio': { value: r.usage.inputTokenRatio, n: r.usage.inputTokenRatioN },
    'usage.model_mismatch_share': { value: r.usage.modelMismatchShare, n: r.usage.modelMismatchN },
    'cost.savings_pct': { value: r.cost.savingsPct, n: r.cost.n },
  };
}

function charts(
  sortedLatencies: Map<ArmName, Float64Array>,
  candidateSimilarity: Float64Array,
  replicaSimilarity: Float64Array,
  comparison: Comparison,
): ChartData {
  const latencyCdf = [...sortedLatencies].map(([arm, sorted]) => ({
    arm,
    points:
      sorted.length > 0
        ? CDF_PERCENTILES.map((p) => [percentile(sorted, p), p / 100] as [number, number])
        : [],
  }));

  // Shared bins across arms, from the lowest p1 to the highest p99: the tails
  // fold into the edge bins so one slow outlier cannot flatten the picture.
  const withData = [...sortedLatencies].filter(([, s]) => s.length > 0);
  let latencyHistogram: ChartData['latencyHistogram'] = null;
  if (withData.length > 0) {
    const lo = Math.min(...withData.map(([, s]) => percentile(s, 1)));
    const hi = Math.max(...withData.map(([, s]) => percentile(s, 99)));
    const edges = niceEdges(lo, hi, HISTOGRAM_BINS);
    latencyHistogram = {
      edgesMs: edges,
      arms: withData.map(([arm, sorted]) => ({ arm, counts: binCounts(sorted, edges) })),
    };
  }

  const simEdges = Array.from({ length: SIMILARITY_BINS + 1 }, (_, i) => i / SIMILARITY_BINS);
  const similarity =
    candidateSimilarity.length > 0
      ? {
          edges: simEdges,
          candidate: binCounts(candidateSimilarity, simEdges),
          replica: replicaSimilarity.length > 0 ? binCounts(replicaSimilarity, simEdges) : null,
          threshold: comparison.outputs.driftThreshold,
        }
      : null;
  return { latencyCdf, latencyHistogram, similarity };
}

/** Bin edges on a round step covering [lo, hi]. */
function niceEdges(lo: number, hi: number, bins: number): number[] {
  if (!(hi > lo)) {
    const step = Math.max(1, Math.abs(lo) * 0.1);
    return Array.from({ length: 3 }, (_, i) => lo - step + i * step);
  }
  const raw = (hi - lo) / bins;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const start = Math.floor(lo / step) * step;
  const count = Math.ceil((hi - start) / step);
  return Array.from({ length: count + 1 }, (_, i) => start + i * step);
}

/** Counts of sorted values per bin; values outside the edges land in the first or last bin. */
function binCounts(sorted: Float64Array, edges: number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  let bin = 0;
  for (const v of sorted) {
    while (bin < counts.length - 1 && v >= edges[bin + 1]!) bin++;
    counts[bin]!++;
  }
  return counts;
}
