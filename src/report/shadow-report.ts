/**
 * The shadow report as plain data: what shadow-model.ts computes and the
 * renderers turn into Markdown, HTML and JSON. Durations are ms, money USD,
 * shares and rates 0..1 unless a name says `pct`. `null` means "could not be
 * computed" (no samples), never zero.
 */
import type { ShadowMetrics, Verdict } from '../judge/gates.js';
import type { ArmName } from '../store/report-queries.js';

export type { ArmName };

/** Volume for the monthly cost projection: requests per month, or baseline tokens per month. */
export type MonthlyVolume = { requests: number } | { tokens: number };

export interface DistributionSummary {
  n: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

export interface ArmReport {
  arm: ArmName;
  requests: number;
  ok: number;
  /** Requests that ended in error, engine refusals included. */
  errors: number;
  /** Requests our own engine refused (breaker open, retry budget spent): nothing reached the provider. */
  refused: number;
  /** Provider errors / requests the provider was asked (refusals left out). */
  errorRate: number | null;
  /** Wilson interval of errorRate, at the report's level. */
  errorRateCi: [number, number] | null;
  /** errors minus engine refusals. */
  providerErrors: number;
  /** Provider-side errors by class; HTTP 4xx/5xx keyed by status (`http_503`). */
  errorsByClass: Record<string, number>;
  /** Refusals by our own engine (circuit_open, retry_budget_exhausted), apart from provider errors. */
  engineRefusals: Record<string, number>;
  retried: number;
  /** Share of requests that took more than one attempt. */
  retriedShare: number | null;
  /** Attempts per request the provider was asked. */
  meanAttempts: number | null;
  /** Failed attempts / attempts: failures before retries hide them. */
  attemptFailureRate: number | null;
  /** Share of retried requests that ended ok. */
  successAfterRetry: number | null;
  /** End-to-end latency of ok requests, waits between attempts included. */
  latencyMs: DistributionSummary;
  /** Latency of the last (successful) attempt alone. */
  serviceMs: DistributionSummary;
  ttftMs: DistributionSummary;
  tpotMs: DistributionSummary;
  tokens: { input: number; cached: number; cacheWrite: number; output: number; reasoning: number };
  /** Share of requests whose usage was estimated with a tokenizer instead of reported. */
  usageEstimatedShare: number | null;
  costUsd: number | null;
  costedRequests: number;
  costPerRequestUsd: number | null;
  costPer1kRequestsUsd: number | null;
  /** Cost per million input + output tokens. */
  costPer1mTokensUsd: number | null;
  /**
   * Failed attempts that may have been billed (timeouts, broken streams,
   * abandoned attempts), booked at an estimate: in the run's spend and its
   * budget, not in `costUsd` (reported usage only).
   */
  failureSpend: { usd: number; attempts: number };
  responseModels: ResponseModel[];
  /** Ok responses whose model could be checked against the requested one. */
  modelChecked: number;
  modelMismatched: number;
  modelMismatchShare: number | null;
}

/** One model's prices as the report shows them, USD per 1M tokens (defaults filled in). */
export interface PriceRow {
  /** The provider whose price it is; the A/A replica uses the baseline's. */
  provider: 'baseline' | 'candidate';
  /** The model name sent (after modelMap). */
  model: string;
  inputPerMTok: number | null;
  cachedInputPerMTok: number | null;
  cacheWritePerMTok: number | null;
  outputPerMTok: number | null;
  reasoningPerMTok: number | null;
  /** `config`, the path of the `--prices` file, or null: no price, cost unknown. */
  source: string | null;
  /**
   * False for a price found by `report --prices` for a model the run had no
   * price for: shown for reference; the run's costs for it stay unknown.
   */
  applied: boolean;
}

/** A point estimate with its interval (at the report's level) and sample size. */
export interface IntervalEstimate {
  value: number | null;
  ci: [number, number] | null;
  n: number;
}

export interface ResponseModel {
  requested: string | null;
  response: string | null;
  count: number;
}

export interface AgreementReport {
  /** Share of paired prompts where the candidate agrees with the baseline. */
  share: number | null;
  n: number;
  /** The same share between the baseline and its replica. */
  noiseFloorShare: number | null;
  noiseFloorN: number;
}

export interface ToolCallAgreementReport {
  /** Prompts where at least one arm called a tool. */
  n: number;
  namesShare: number | null;
  argumentsShare: number | null;
  noiseFloorN: number;
  noiseFloorNamesShare: number | null;
  noiseFloorArgumentsShare: number | null;
}

export interface DivergentPrompt {
  promptId: string;
  similarity: number;
  /** Below the drift threshold. */
  drift: boolean;
  promptExcerpt: string | null;
  baselineExcerpt: string | null;
  candidateExcerpt: string | null;
}

export interface Comparison {
  /** Two-sided level of every interval here: 2 x confidence - 1. */
  confidenceLevel: number;
  /** Prompts left out of every paired figure because our engine refused one side. */
  refusedPairs: number;
  /** Per-prompt candidate minus baseline end-to-end latency, prompts both answered ok. */
  latency: {
    n: number;
    medianDeltaMs: number | null;
    /** Seeded bootstrap interval of the median delta. */
    ci: [number, number] | null;
    /** Wilcoxon signed-rank test, two-sided. */
    pValue: number | null;
    method: string | null;
    /** Candidate / baseline percentiles on the same prompts, paired bootstrap intervals. */
    p50Ratio: IntervalEstimate;
    p95Ratio: IntervalEstimate;
    ttftP95Ratio: IntervalEstimate;
  };
  /** Evidence before retries hide it: first attempts and attempts per request, paired prompts. */
  attempts: {
    n: number;
    baselineFirstFailureRate: number | null;
    candidateFirstFailureRate: number | null;
    candidateFirstFailureCi: [number, number] | null;
    /** Candidate minus baseline share of prompts whose first attempt failed (Newcombe). */
    firstFailureDelta: number | null;
    firstFailureCi: [number, number] | null;
    baselineMeanAttempts: number | null;
    candidateMeanAttempts: number | null;
    /** Candidate minus baseline attempts per prompt. */
    amplificationDelta: IntervalEstimate;
    baselineAttemptFailureRate: number | null;
    candidateAttemptFailureRate: number | null;
  };
  errors: {
    /** Prompts both arms recorded. */
    n: number;
    baselineErrorRate: number | null;
    candidateErrorRate: number | null;
    /** Candidate error rate minus baseline error rate. */
    delta: number | null;
    ci: [number, number] | null;
    /** McNemar's test on the discordant pairs. */
    pValue: number | null;
    method: string | null;
    table: { bothFail: number; onlyBaselineFail: number; onlyCandidateFail: number; neitherFail: number };
  };
  cost: {
    /** Prompts both arms answered ok with a known cost. */
    n: number;
    baselineCostUsd: number | null;
    candidateCostUsd: number | null;
    baselineCostPerRequestUsd: number | null;
    candidateCostPerRequestUsd: number | null;
    savingsPct: number | null;
    savingsCi: [number, number] | null;
    monthly: {
      basis: 'requests' | 'tokens';
      volume: number;
      /** Requests per month the projection stands for (converted from tokens at the baseline's mean). */
      requestsPerMonth: number | null;
      baselineUsd: number | null;
      candidateUsd: number | null;
      savingsUsd: number | null;
      savingsPct: number | null;
    };
  };
  usage: {
    /** Median of candidate / baseline reported input tokens, per prompt. */
    inputTokenRatio: number | null;
    inputTokenRatioCi: [number, number] | null;
    inputTokenRatioN: number;
    baselineModels: ResponseModel[];
    candidateModels: ResponseModel[];
    modelMismatchShare: number | null;
    modelMismatchCi: [number, number] | null;
    modelMismatchN: number;
  };
  outputs: {
    /** Prompts both arms answered ok. */
    n: number;
    /** Of those, prompts with a similarity recorded. */
    similarityN: number;
    similarityMedian: number | null;
    similarityMedianCi: [number, number] | null;
    /** Median similarity of the baseline replica to the baseline. */
    noiseFloorMedian: number | null;
    noiseFloorN: number;
    /** Similarity below which a candidate answer counts as drift. */
    driftThreshold: number;
    driftThresholdSource: 'replica' | 'default';
    driftCount: number;
    driftShare: number | null;
    /** Two-sample bootstrap interval: the replica's noise (which sets the threshold) counts too. */
    driftShareCi: [number, number] | null;
    jsonAgreement: AgreementReport;
    finishReasonAgreement: AgreementReport;
    toolCallAgreement: ToolCallAgreementReport;
    topDivergent: DivergentPrompt[];
  };
}

/** The circuit breakers during the replay: how long dispatch paused, how often each provider's breaker opened. */
export interface BreakerReport {
  /** Time the replay held dispatch (both arms) while a breaker was open, ms, every session of the run. */
  pausedMs: number;
  /** Per provider; the replica shares the baseline's breaker. */
  openings: Record<'baseline' | 'candidate', { count: number; openMs: number }>;
}

/**
 * The harness's own timing error over the run, as `runs.instrument_json`
 * stored it (src/runner/instrument.ts). Null for runs recorded before it.
 */
export interface InstrumentReport {
  eventLoopDelayP50Ms: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Attempts whose timing error bound was recorded. */
  attempts: number;
  timingErrorBoundP50Ms: number;
  /** The report's "timings accurate to ±X ms, p99". */
  timingErrorBoundP99Ms: number;
  timingErrorBoundMaxMs: number;
  thresholdMs: number;
  /** timingErrorBoundP99Ms > thresholdMs: latency gates within the error are inconclusive. */
  saturated: boolean;
  sessions: number;
}

/** The gate metrics contract shared with src/judge/: every metric the shadow gates may name. */
export type GateMetrics = ShadowMetrics;

export interface ChartData {
  /** (latency ms, cumulative share) points per arm. */
  latencyCdf: { arm: ArmName; points: [number, number][] }[];
  latencyHistogram: { edgesMs: number[]; arms: { arm: ArmName; counts: number[] }[] } | null;
  similarity: {
    edges: number[];
    candidate: number[];
    replica: number[] | null;
    threshold: number;
  } | null;
}

export interface ShadowReport {
  runId: string;
  generatedAt: string;
  /** The gates' one-sided confidence. */
  confidence: number;
  run: {
    label: string | null;
    status: string;
    startedAt: string;
    finishedAt: string | null;
    scenario: string | null;
    scenarioSha256: string | null;
    seed: number;
    totalPrompts: number | null;
    budgetUsd: number | null;
    spentUsd: number;
  };
  /** baseline and candidate always; baseline_replica when the run had one. */
  arms: Partial<Record<ArmName, ArmReport>>;
  comparison: Comparison;
  breaker: BreakerReport;
  /** How accurate the run's timings are; null when the run recorded no instrument. */
  instrument: InstrumentReport | null;
  metrics: GateMetrics;
  verdict: Verdict;
  charts: ChartData;
  /** The prices each model's cost was computed with, and where they came from. */
  prices: PriceRow[];
}
