/**
 * Builds the shadow report: a plain object with every number the renderers
 * show. What it reads (ShadowReads) comes from a SQLite file through
 * src/store/report-queries.ts (buildShadowReport, sync: the calibration and
 * the rehearsal call it) or from any store through a ReportSource
 * (readShadowReport); shadowReportFromReads computes the rest. The
 * figures come from arm-summary, comparison (with paired-stats and
 * divergent-prompts), gate-metrics and chart-data.
 */
import type { Database } from 'better-sqlite3';
import { defaultShadowGates } from '../judge/default-gates.js';
import { DEFAULT_CONFIDENCE, evaluateGates, type GateSpec } from '../judge/gates.js';
import type { PriceTable } from '../pricing/litellm-prices.js';
import { UsageError } from '../shared/errors.js';
import { type FailureSpendRow, failureSpend } from '../store/failure-spend-queries.js';
import { readInstrumentJson } from '../store/instrument-store.js';
import {
  ARMS,
  type ArmName,
  type BreakerOpenings,
  breakerOpenings,
  divergentTexts,
  findRun,
  type RequestScan,
  type RunRecord,
} from '../store/report-queries.js';
import { armSummary } from './arm-summary.js';
import { chartData } from './chart-data.js';
import { type ComparisonReads, compare } from './comparison.js';
import { gateMetrics, latencyToleranceMs } from './gate-metrics.js';
import { formatMs } from './number-format.js';
import { priceTable } from './price-table.js';
import type { ReportSource } from './report-source.js';
import { sqliteRequestStats } from './request-pass.js';
import { wasStreaming } from './run-resolution.js';
import type {
  ArmReport,
  BreakerReport,
  InstrumentReport,
  MonthlyVolume,
  ShadowReport,
} from './shadow-report.js';

export { resolveShadowRunId, resolveShadowRunIdFrom } from './run-resolution.js';
export type * from './shadow-report.js';

/** Monthly volume used for the cost projection when none is given. */
export const DEFAULT_MONTHLY_REQUESTS = 1_000_000;

export interface BuildShadowReportOptions {
  runId: string;
  /** Volume for the monthly cost projection. Default 1,000,000 requests per month. */
  monthly?: MonthlyVolume;
  /** Gates for the verdict. Default: the judge's defaults, with the TTFT gate only for streaming runs. */
  gates?: GateSpec[];
  /**
   * The gates' one-sided confidence, in (0.5, 1); default 0.95. Every interval
   * in the report is two-sided at 2 x confidence - 1 (90% at the default), so
   * each of its ends is a one-sided bound at `confidence`.
   */
  confidence?: number;
  /** When the report was made, ISO 8601; comes from the injected clock. */
  generatedAt: string;
  /** How many divergent prompts to list. Default 10. */
  topDivergent?: number;
  /** Characters kept of each output in the divergent list. Default 400. */
  excerptChars?: number;
  /** Bootstrap resamples for each interval. Default 1000. */
  bootstrapResamples?: number;
  /** `report --prices`: shown in the price table for models the run had no price for (not applied). */
  priceFile?: PriceTable;
}

const NO_TIMINGS = () => ({
  latencyMs: new Float64Array(0),
  serviceMs: new Float64Array(0),
  ttftMs: new Float64Array(0),
  tpotMs: new Float64Array(0),
});

/** Everything the report reads from the store about one run. */
export interface ShadowReads {
  run: RunRecord;
  scan: RequestScan;
  failureSpend: FailureSpendRow[];
  /** `runs.instrument_json`, or null. */
  instrumentJson: string | null;
  breakerOpenings: BreakerOpenings[];
  comparison: ComparisonReads;
}

/** Reads the run from a SQLite file and computes the report. Throws when the run does not exist. */
export function buildShadowReport(db: Database, options: BuildShadowReportOptions): ShadowReport {
  const run = requireRun(findRun(db, options.runId), options);
  const { scan, paired, replica } = sqliteRequestStats(db, run.id, options.topDivergent ?? 10);
  const ids = paired.divergent.map((d) => d.promptId);
  return shadowReportFromReads(
    {
      run,
      scan,
      failureSpend: failureSpend(db, run.id),
      instrumentJson: readInstrumentJson(db, run.id),
      breakerOpenings: breakerOpenings(db, run.id),
      comparison: {
        paired,
        replica,
        divergentTexts: divergentTexts(db, run.id, ids, (options.excerptChars ?? 400) + 1),
      },
    },
    options,
  );
}

/**
 * buildShadowReport for any store: the same reads through a ReportSource,
 * then the same computation. Throws when the run does not exist.
 */
export async function readShadowReport(
  source: ReportSource,
  options: BuildShadowReportOptions,
): Promise<ShadowReport> {
  const run = requireRun(await source.findRun(options.runId), options);
  const { scan, paired, replica } = await source.requestStats(run.id, options.topDivergent ?? 10);
  const ids = paired.divergent.map((d) => d.promptId);
  return shadowReportFromReads(
    {
      run,
      scan,
      failureSpend: await source.failureSpend(run.id),
      instrumentJson: await source.instrumentJson(run.id),
      breakerOpenings: await source.breakerOpenings(run.id),
      comparison: {
        paired,
        replica,
        divergentTexts:
          ids.length === 0 ? [] : await source.divergentTexts(run.id, ids, (options.excerptChars ?? 400) + 1),
      },
    },
    options,
  );
}

function requireRun(run: RunRecord | undefined, options: BuildShadowReportOptions): RunRecord {
  if (!run) throw new UsageError(`no run ${options.runId} in this database`, [], 'run_unknown');
  confidenceOf(options);
  return run;
}

function confidenceOf(options: BuildShadowReportOptions): number {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  if (!(confidence > 0.5 && confidence < 1)) {
    throw new UsageError(`confidence must be between 0.5 and 1, got ${confidence}`, [], 'confidence');
  }
  return confidence;
}

/** The report from what was read: pure. */
export function shadowReportFromReads(reads: ShadowReads, options: BuildShadowReportOptions): ShadowReport {
  const { run } = reads;
  const confidence = confidenceOf(options);
  const level = 2 * confidence - 1;

  const { groups, timings: timingsByArm } = reads.scan;
  const hasReplica = groups.some((g) => g.arm === 'baseline_replica');
  const present = ARMS.filter((arm) => arm !== 'baseline_replica' || hasReplica);

  const sortedLatencies = new Map<ArmName, Float64Array>();
  const arms: Partial<Record<ArmName, ArmReport>> = {};
  for (const arm of present) {
    const timings = timingsByArm.get(arm) ?? NO_TIMINGS();
    arms[arm] = armSummary(
      arm,
      groups.filter((g) => g.arm === arm),
      timings,
      level,
    );
    sortedLatencies.set(arm, timings.latencyMs);
  }
  for (const row of reads.failureSpend) {
    const a = arms[row.arm];
    if (a) a.failureSpend = { usd: row.usd, attempts: row.attempts };
  }

  const comparison = compare(
    reads.comparison,
    run,
    {
      monthly: options.monthly ?? { requests: DEFAULT_MONTHLY_REQUESTS },
      level,
      topDivergent: options.topDivergent ?? 10,
      excerptChars: options.excerptChars ?? 400,
      bootstrapResamples: options.bootstrapResamples ?? 1000,
    },
    arms.baseline!,
    arms.candidate!,
  );
  const metrics = gateMetrics(arms.candidate!, comparison.report);
  const instrument = instrumentReport(reads.instrumentJson);
  const verdict = evaluateGates(
    options.gates ?? defaultShadowGates({ streaming: wasStreaming(run) }),
    metrics,
    {
      timingError: instrument?.saturated
        ? { errorMs: instrument.timingErrorBoundP99Ms, toleranceMs: latencyToleranceMs(arms.baseline!) }
        : null,
    },
  );
  const breaker: BreakerReport = {
    pausedMs: run.pausedMs,
    openings: { baseline: { count: 0, openMs: 0 }, candidate: { count: 0, openMs: 0 } },
  };
  for (const o of reads.breakerOpenings) breaker.openings[o.arm] = { count: o.count, openMs: o.openMs };
  const refusalFinding = refusalReason(arms.candidate!);
  if (refusalFinding !== null) verdict.reasons.push(refusalFinding);
  const breakerFinding = breakerReason(breaker);
  if (breakerFinding !== null) verdict.reasons.push(breakerFinding);
  if (instrument?.saturated) verdict.reasons.push(saturationReason(instrument));

  return {
    runId: run.id,
    generatedAt: options.generatedAt,
    confidence,
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
    breaker,
    instrument,
    metrics,
    verdict,
    charts: chartData(
      sortedLatencies,
      comparison.candidateSimilarity,
      comparison.replicaSimilarity,
      comparison.report,
    ),
    prices: priceTable(run.configJson, groups, options.priceFile),
  };
}

/**
 * Our own engine refusing candidate requests is a finding of its own: the
 * breaker opened (or the retry budget ran out) because the candidate failed
 * often enough to trip it. The refusals left the quality metrics, so the
 * gates may read "insufficient"; this line says why.
 */
function refusalReason(candidate: ArmReport): string | null {
  if (candidate.refused === 0) return null;
  const classes = Object.entries(candidate.engineRefusals)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `finding: our engine refused ${candidate.refused} of ${candidate.requests} candidate requests (${classes}): ` +
    'the candidate failed often enough to trip its breaker or spend its retry budget; refused requests are left out of the quality metrics'
  );
}

/** The candidate's breaker opening is a finding even when the pause kept every prompt's evidence. */
function breakerReason(breaker: BreakerReport): string | null {
  const { count, openMs } = breaker.openings.candidate;
  if (count === 0) return null;
  return (
    `finding: the candidate's circuit breaker opened ${count} time${count === 1 ? '' : 's'} ` +
    `(open ${formatMs(openMs)} in all); the replay paused dispatch for ${formatMs(breaker.pausedMs)} so that prompts were not refused meanwhile`
  );
}

/** The stored record (snake_case JSON) as the report's model; null when the run has none. */
function instrumentReport(json: string | null): InstrumentReport | null {
  if (json === null) return null;
  let r: Record<string, number | boolean>;
  try {
    r = JSON.parse(json) as Record<string, number | boolean>;
  } catch {
    // Hand-edited into something unreadable: the report says nothing of accuracy rather than fail.
    return null;
  }
  if (r === null || typeof r !== 'object') return null;
  const ms = (key: string) => (typeof r[key] === 'number' ? r[key] : 0);
  return {
    eventLoopDelayP50Ms: ms('event_loop_delay_p50_ms'),
    eventLoopDelayP99Ms: ms('event_loop_delay_p99_ms'),
    eventLoopDelayMaxMs: ms('event_loop_delay_max_ms'),
    attempts: ms('attempts'),
    timingErrorBoundP50Ms: ms('timing_error_bound_p50_ms'),
    timingErrorBoundP99Ms: ms('timing_error_bound_p99_ms'),
    timingErrorBoundMaxMs: ms('timing_error_bound_max_ms'),
    thresholdMs: ms('threshold_ms'),
    saturated: r.saturated === true,
    sessions: ms('sessions'),
  };
}

/** A saturated harness is a finding: its latencies read late by up to the bound. */
function saturationReason(instrument: InstrumentReport): string {
  return (
    `finding: the harness was saturated: timings accurate to ±${formatMs(instrument.timingErrorBoundP99Ms)} (p99), ` +
    `above the ${formatMs(instrument.thresholdMs)} threshold (event-loop delay p99 ${formatMs(instrument.eventLoopDelayP99Ms)}); ` +
    'latency gates whose tolerance is within that error are inconclusive; rerun with a lower --concurrency'
  );
}
