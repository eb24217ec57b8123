/**
 * The candidate held against the baseline: paired error, attempt, latency,
 * cost, usage and output comparisons, each with the interval its gate
 * judges. Intervals are two-sided at `level` (2 x confidence - 1), so each
 * end is a one-sided bound at the gates' confidence.
 */
import { bootstrapMedianCi } from '../stats/bootstrap.js';
import { DEFAULT_NOISE_PERCENTILE, driftThreshold } from '../stats/drift.js';
import { mcnemar } from '../stats/mcnemar.js';
import { twoSidedZ } from '../stats/normal.js';
import { driftShareBootstrap, pairedRatioBootstrap } from '../stats/paired-bootstrap.js';
import { pairedProportionDiff } from '../stats/paired-proportion.js';
import { percentile } from '../stats/percentile.js';
import { wilcoxonSignedRank } from '../stats/wilcoxon.js';
import { wilsonInterval } from '../stats/wilson-interval.js';
import type { DivergentTexts, RunRecord } from '../store/report-queries.js';
import { ratio } from './arm-summary.js';
import { divergentPrompts } from './divergent-prompts.js';
import type { PairedOkTotals, PairedOutcomeCounts, PairedStats } from './paired-stats.js';
import type {
  AgreementReport,
  ArmReport,
  Comparison,
  IntervalEstimate,
  MonthlyVolume,
} from './shadow-report.js';

export interface CompareOptions {
  monthly: MonthlyVolume;
  /** Two-sided level of every interval. */
  level: number;
  topDivergent: number;
  excerptChars: number;
  bootstrapResamples: number;
}

export interface ComparisonResult {
  report: Comparison;
  /** Candidate-vs-baseline similarities, ascending. */
  candidateSimilarity: Float64Array;
  /** Replica-vs-baseline similarities, ascending. */
  replicaSimilarity: Float64Array;
}

/** Seeds of the resampling streams, one per figure, so adding a figure never moves another's interval. */
const SEED_OFFSETS = { latency: 0, ttft: 1, cost: 2, drift: 3, tokens: 4, similarity: 5, median: 6 };

/** What the comparison reads from the store: the paired passes and the divergent prompts' texts. */
export interface ComparisonReads {
  /** Candidate against baseline, its `divergent` the least similar prompts. */
  paired: PairedStats;
  /** Replica against baseline; null when the run had no replica. */
  replica: PairedStats | null;
  /** divergentTexts of `paired.divergent`, in that order, cut to excerptChars + 1. */
  divergentTexts: DivergentTexts[];
}

export function compare(
  reads: ComparisonReads,
  run: RunRecord,
  options: CompareOptions,
  baseline: ArmReport,
  candidate: ArmReport,
): ComparisonResult {
  const { level } = options;
  const { paired, replica } = reads;
  const { okTotals, series } = paired;
  const replicaTotals = replica?.okTotals ?? null;
  const seed = (figure: keyof typeof SEED_OFFSETS) => (run.seed + SEED_OFFSETS[figure] * 0x9e3779b9) >>> 0;
  const resamples = options.bootstrapResamples;

  const deltas = series.latencyDeltaMs;
  const [p50, p95] = pairedRatioBootstrap(
    series.latencyMs.baseline,
    series.latencyMs.other,
    [
      { kind: 'percentile', p: 50 },
      { kind: 'percentile', p: 95 },
    ],
    { seed: seed('latency'), resamples, level },
  );
  const [ttftP95] = pairedRatioBootstrap(
    series.ttftMs.baseline,
    series.ttftMs.other,
    [{ kind: 'percentile', p: 95 }],
    {
      seed: seed('ttft'),
      resamples,
      level,
    },
  );
  const latency: Comparison['latency'] = {
    n: deltas.length,
    medianDeltaMs: deltas.length > 0 ? median(deltas) : null,
    ci:
      deltas.length > 0 ? bootstrapMedianCi(deltas, { seed: run.seed, resamples, confidence: level }) : null,
    ...(deltas.length > 0 ? wilcoxon(deltas) : { pValue: null, method: null }),
    p50Ratio: estimate(p50!.ratio, p50!.interval, series.latencyMs.baseline.length),
    p95Ratio: estimate(p95!.ratio, p95!.interval, series.latencyMs.baseline.length),
    ttftP95Ratio: estimate(ttftP95!.ratio, ttftP95!.interval, series.ttftMs.baseline.length),
  };

  const candidateSimilarity = series.similarity.slice().sort();
  const sortedReplica = (replica?.series.similarity ?? new Float64Array(0)).slice().sort();
  const drift = driftThreshold(sortedReplica);
  let driftCount = 0;
  for (const s of candidateSimilarity) if (s < drift.threshold) driftCount++;
  const driftShare = ratio(driftCount, candidateSimilarity.length);
  const driftCi =
    drift.source === 'replica' && candidateSimilarity.length > 0
      ? driftShareBootstrap(sortedReplica, candidateSimilarity, DEFAULT_NOISE_PERCENTILE, {
          seed: seed('drift'),
          resamples: Math.max(resamples, 2000),
          level,
        }).interval
      : null;

  const ratios = series.inputTokenRatio;
  const similarityCi =
    candidateSimilarity.length > 0
      ? bootstrapMedianCi(candidateSimilarity, { seed: seed('similarity'), resamples, confidence: level })
      : null;

  const report: Comparison = {
    confidenceLevel: level,
    refusedPairs: paired.refusedPairs,
    latency,
    errors: errorComparison(paired.outcomes, level),
    attempts: attemptComparison(paired, baseline, candidate, level),
    cost: costComparison(paired, options, seed('cost')),
    usage: {
      inputTokenRatio: ratios.length > 0 ? median(ratios) : null,
      inputTokenRatioCi:
        ratios.length > 0
          ? bootstrapMedianCi(ratios, { seed: seed('tokens'), resamples, confidence: level })
          : null,
      inputTokenRatioN: ratios.length,
      baselineModels: baseline.responseModels,
      candidateModels: candidate.responseModels,
      modelMismatchShare: candidate.modelMismatchShare,
      modelMismatchCi:
        candidate.modelChecked > 0
          ? wilsonInterval(candidate.modelMismatched, candidate.modelChecked, level)
          : null,
      modelMismatchN: candidate.modelChecked,
    },
    outputs: {
      n: okTotals.n,
      similarityN: candidateSimilarity.length,
      similarityMedian: candidateSimilarity.length > 0 ? percentile(candidateSimilarity, 50) : null,
      similarityMedianCi: similarityCi,
      noiseFloorMedian: sortedReplica.length > 0 ? percentile(sortedReplica, 50) : null,
      noiseFloorN: sortedReplica.length,
      driftThreshold: drift.threshold,
      driftThresholdSource: drift.source,
      driftCount,
      driftShare,
      driftShareCi: driftCi,
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
      topDivergent: divergentPrompts(
        reads.divergentTexts,
        paired.divergent,
        drift.threshold,
        options.excerptChars,
      ),
    },
  };
  return { report, candidateSimilarity, replicaSimilarity: sortedReplica };
}

function estimate(value: number, interval: [number, number], n: number): IntervalEstimate {
  const finite = Number.isFinite(value);
  return {
    value: finite ? value : null,
    ci: finite && Number.isFinite(interval[0]) && Number.isFinite(interval[1]) ? interval : null,
    n,
  };
}

function median(values: Float64Array): number {
  return percentile(values.slice().sort(), 50);
}

function wilcoxon(deltas: Float64Array): { pValue: number | null; method: string | null } {
  const w = wilcoxonSignedRank(deltas);
  return { pValue: Number.isFinite(w.pValue) ? w.pValue : null, method: w.method };
}

function errorComparison(o: PairedOutcomeCounts, level: number): Comparison['errors'] {
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
  const diff = pairedProportionDiff(
    {
      bothFail: o.bothFail,
      onlyFirstFail: o.onlyBaselineFail,
      onlySecondFail: o.onlyOtherFail,
      neitherFail: o.neitherFail,
    },
    level,
  );
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

/**
 * First-attempt failures (Newcombe's paired interval, as for errors) and
 * retry amplification: the mean per-prompt difference in attempts with a
 * normal-approximation interval (the CLT on n paired differences; its
 * standard error is 0 when every prompt took as many attempts on both arms).
 */
function attemptComparison(
  paired: PairedStats,
  baseline: ArmReport,
  candidate: ArmReport,
  level: number,
): Comparison['attempts'] {
  const f = paired.firstAttempts;
  const n = f.bothFail + f.onlyBaselineFail + f.onlyOtherFail + f.neitherFail;
  const a = paired.attempts;
  const first =
    n > 0
      ? pairedProportionDiff(
          {
            bothFail: f.bothFail,
            onlyFirstFail: f.onlyBaselineFail,
            onlySecondFail: f.onlyOtherFail,
            neitherFail: f.neitherFail,
          },
          level,
        )
      : null;
  let amplification: IntervalEstimate = { value: null, ci: null, n: a.n };
  if (a.n > 1) {
    const mean = a.diffSum / a.n;
    const variance = Math.max(0, (a.diffSquares - a.n * mean * mean) / (a.n - 1));
    const half = twoSidedZ(level) * Math.sqrt(variance / a.n);
    amplification = { value: mean, ci: [mean - half, mean + half], n: a.n };
  }
  const candidateFirstFailures = f.bothFail + f.onlyOtherFail;
  return {
    n,
    baselineFirstFailureRate: n > 0 ? (f.bothFail + f.onlyBaselineFail) / n : null,
    candidateFirstFailureRate: n > 0 ? candidateFirstFailures / n : null,
    candidateFirstFailureCi: n > 0 ? wilsonInterval(candidateFirstFailures, n, level) : null,
    firstFailureDelta: first ? first.delta : null,
    firstFailureCi: first ? first.ci : null,
    baselineMeanAttempts: ratio(a.baseline, a.n),
    candidateMeanAttempts: ratio(a.other, a.n),
    amplificationDelta: amplification,
    baselineAttemptFailureRate: baseline.attemptFailureRate,
    candidateAttemptFailureRate: candidate.attemptFailureRate,
  };
}

/** Savings as 1 - mean candidate cost / mean baseline cost, its interval from the paired bootstrap of that ratio. */
function costComparison(paired: PairedStats, options: CompareOptions, seed: number): Comparison['cost'] {
  const t: PairedOkTotals = paired.okTotals;
  const { monthly } = options;
  const hasCost = t.costedN > 0 && t.baselineCostUsd > 0;
  const savingsPct = hasCost ? ((t.baselineCostUsd - t.otherCostUsd) / t.baselineCostUsd) * 100 : null;
  let savingsCi: [number, number] | null = null;
  if (hasCost) {
    const [r] = pairedRatioBootstrap(
      paired.series.costUsd.baseline,
      paired.series.costUsd.other,
      [{ kind: 'mean' }],
      {
        seed,
        resamples: options.bootstrapResamples,
        level: options.level,
      },
    );
    if (Number.isFinite(r!.interval[0])) savingsCi = [(1 - r!.interval[1]) * 100, (1 - r!.interval[0]) * 100];
  }
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
    savingsCi,
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
