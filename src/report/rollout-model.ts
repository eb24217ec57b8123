import type { GateResult } from '../judge/gates.js';
import type { RolloutPlan } from '../rollout/plan.js';
import { UsageError } from '../shared/errors.js';
import { percentile } from '../stats/percentile.js';
import type { SampleRatioCheck } from '../stats/sample-ratio.js';
import { wilsonInterval } from '../stats/wilson-interval.js';
import type { RolloutWriter } from '../store/async-rollout-store.js';
import type { Database } from '../store/open-store.js';
import type {
  RolloutEventRow,
  RolloutRequestRow,
  RolloutRow,
  RolloutStageRow,
} from '../store/rollout-rows.js';
import { RolloutStore } from '../store/rollout-store.js';

/** One arm's requests within a stage attempt, as routed. */
export interface RolloutArmStats {
  requests: number;
  /** Requests whose outcome on this arm's own provider was an error (for the candidate: fallbacks included). */
  errors: number;
  errorRate: number | null;
  /** Wilson, at the report's level; a fixed-sample interval for reading, not the gate's sequence. */
  errorRateCi: [number, number] | null;
  fallbacks: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  costUsd: number | null;
}

export interface RolloutStageReport {
  stage: number;
  stageIndex: number;
  attempt: number;
  percentage: number;
  startSeq: number;
  endSeq: number | null;
  decision: string | null;
  reasons: string[];
  gates: GateResult[];
  srm: SampleRatioCheck | null;
  arms: { baseline: RolloutArmStats; candidate: RolloutArmStats };
}

export interface RolloutReport {
  kind: 'rollout';
  rolloutId: string;
  generatedAt: string;
  rollout: {
    label: string | null;
    status: string;
    percentage: number;
    salt: string;
    hashVersion: number;
    version: number;
    startedAt: string;
    finishedAt: string | null;
    shadowRunId: string | null;
    shadowDecision: string | null;
    forced: boolean;
    scenario: string | null;
    scenarioPrompts: number | null;
    cycles: number;
  };
  plan: RolloutPlan;
  /** The final state in one line: `completed at 100%`, `held at 25%`, `rolled back at 5%`, with its reason. */
  final: { headline: string; reason: string };
  stages: RolloutStageReport[];
  cost: {
    /** What the rehearsal spent, fallbacks included. */
    realisedUsd: number | null;
    /** Had every request gone to the baseline: each prompt at its mean observed baseline cost. */
    allBaselineUsd: number | null;
    savingsUsd: number | null;
    savingsPct: number | null;
    /** Spend on candidate tries that failed and fell back: the price of the safety net. */
    fallbackExtraUsd: number | null;
  };
  events: {
    at: string;
    actor: string;
    automatic: boolean;
    fromPercentage: number | null;
    toPercentage: number | null;
    fromStatus: string | null;
    toStatus: string | null;
    reason: string;
  }[];
  /** What the intervals assume, in plain words, for the reader. */
  notes: string[];
}

/** The reads of the rollout report, which SQLite's RolloutStore (through sqliteRolloutWriter) and PgRolloutStore both answer. */
export type RolloutReportSource = Pick<
  RolloutWriter,
  'getRollout' | 'latestRollout' | 'stages' | 'requests' | 'events'
>;

/** Which rollout a report names: an id, `latest`, or the only one. */
export function resolveRolloutId(db: Database, id: string | undefined): string {
  const store = new RolloutStore(db);
  return checkRollout(id, id === undefined || id === 'latest' ? store.latestRollout() : store.getRollout(id));
}

/** resolveRolloutId for any store. */
export async function resolveRolloutIdFrom(
  source: RolloutReportSource,
  id: string | undefined,
): Promise<string> {
  return checkRollout(
    id,
    id === undefined || id === 'latest' ? await source.latestRollout() : await source.getRollout(id),
  );
}

function checkRollout(id: string | undefined, r: RolloutRow | undefined): string {
  if (!r)
    throw new UsageError(
      id && id !== 'latest' ? `no rollout ${id} in the database` : 'no rollout in the database',
    );
  return r.id;
}

/** Builds the week-2 report from the rollout tables of a SQLite file. */
export function buildRolloutReport(
  db: Database,
  options: { rolloutId: string; generatedAt: string },
): RolloutReport {
  const store = new RolloutStore(db);
  const r = store.getRollout(options.rolloutId);
  if (!r) throw new UsageError(`no rollout ${options.rolloutId} in the database`);
  return rolloutReportFrom(r, store.stages(r.id), store.requests(r.id), store.events(r.id), options);
}

/** buildRolloutReport for any store. */
export async function readRolloutReport(
  source: RolloutReportSource,
  options: { rolloutId: string; generatedAt: string },
): Promise<RolloutReport> {
  const r = await source.getRollout(options.rolloutId);
  if (!r) throw new UsageError(`no rollout ${options.rolloutId} in the database`);
  const stageRows = await source.stages(r.id);
  const requests = await source.requests(r.id);
  return rolloutReportFrom(r, stageRows, requests, await source.events(r.id), options);
}

/** The report from the rollout's rows: pure. */
function rolloutReportFrom(
  r: RolloutRow,
  stageRows: RolloutStageRow[],
  requests: RolloutRequestRow[],
  eventRows: RolloutEventRow[],
  options: { rolloutId: string; generatedAt: string },
): RolloutReport {
  const plan = JSON.parse(r.plan_json) as RolloutPlan;
  const byStage = new Map<number, RolloutRequestRow[]>();
  for (const q of requests) {
    let list = byStage.get(q.stage);
    if (!list) {
      list = [];
      byStage.set(q.stage, list);
    }
    list.push(q);
  }
  const level = 2 * plan.confidence - 1;
  const stages = stageRows.map((s) => stageReport(s, byStage.get(s.stage) ?? [], level));
  const events = eventRows.map((e) => ({
    at: e.at,
    actor: e.actor,
    automatic: e.automatic === 1,
    fromPercentage: e.from_percentage,
    toPercentage: e.to_percentage,
    fromStatus: e.from_status,
    toStatus: e.to_status,
    reason: e.reason,
  }));
  const lastEnd = stageRows.at(-1)?.end_seq ?? requests.length;
  return {
    kind: 'rollout',
    rolloutId: r.id,
    generatedAt: options.generatedAt,
    rollout: {
      label: r.label,
      status: r.status,
      percentage: r.percentage,
      salt: r.salt,
      hashVersion: r.hash_version,
      version: r.version,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      shadowRunId: r.shadow_run_id,
      shadowDecision: r.shadow_decision,
      forced: r.forced === 1,
      scenario: r.scenario_path,
      scenarioPrompts: r.scenario_prompts,
      cycles: r.scenario_prompts ? Math.max(1, Math.ceil(lastEnd / r.scenario_prompts)) : 1,
    },
    plan,
    final: finalState(r, events.at(-1)?.reason ?? ''),
    stages,
    cost: costSummary(requests),
    events,
    notes: [
      `Gates are judged on every request so far with anytime-valid confidence sequences at ${plan.confidence} one-sided confidence per bound, so judging after every stage does not inflate false rollbacks.`,
      'The error-rate and fallback intervals are cluster-robust by sticky key; the latency and cost intervals assume independent requests, which a heavy key can make too narrow.',
      'The sample-ratio check counts distinct sticky keys per arm within each stage attempt (chi-square, p < 0.001 means a broken assignment).',
      'Per-stage error-rate intervals in the tables are fixed-sample Wilson intervals, for reading; the gates use the sequences.',
    ],
  };
}

function finalState(r: RolloutRow, reason: string): { headline: string; reason: string } {
  const headline =
    r.status === 'completed'
      ? `completed at ${r.percentage}%`
      : r.status === 'rolled_back'
        ? `rolled back to ${r.percentage}%`
        : `${r.status.replace('_', ' ')} at ${r.percentage}%`;
  return { headline, reason };
}

function stageReport(s: RolloutStageRow, rows: RolloutRequestRow[], level: number): RolloutStageReport {
  return {
    stage: s.stage,
    stageIndex: s.stage_index,
    attempt: s.attempt,
    percentage: s.percentage,
    startSeq: s.start_seq,
    endSeq: s.end_seq,
    decision: s.decision,
    reasons: s.reasons_json ? (JSON.parse(s.reasons_json) as string[]) : [],
    gates: s.gates_json ? (JSON.parse(s.gates_json) as GateResult[]) : [],
    srm: s.srm_json ? (JSON.parse(s.srm_json) as SampleRatioCheck) : null,
    arms: {
      baseline: armStats(
        rows.filter((q) => q.routed_arm === 'baseline'),
        (q) => q.outcome === 'error',
        level,
      ),
      candidate: armStats(
        rows.filter((q) => q.routed_arm === 'candidate'),
        (q) => q.candidate_error_class !== null,
        level,
      ),
    },
  };
}

function armStats(
  rows: RolloutRequestRow[],
  failed: (q: RolloutRequestRow) => boolean,
  level: number,
): RolloutArmStats {
  const errors = rows.filter(failed).length;
  const lat = rows
    .filter((q) => q.outcome === 'ok' && q.latency_ms !== null)
    .map((q) => q.latency_ms!)
    .sort((a, b) => a - b);
  const pct = (p: number) => (lat.length ? percentile(lat, p) : null);
  let cost: number | null = 0;
  for (const q of rows) cost = cost === null || q.cost_usd === null ? null : cost + q.cost_usd;
  return {
    requests: rows.length,
    errors,
    errorRate: rows.length ? errors / rows.length : null,
    errorRateCi: rows.length ? wilsonInterval(errors, rows.length, level) : null,
    fallbacks: rows.filter((q) => q.fallback === 1).length,
    latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99) },
    costUsd: rows.length ? cost : null,
  };
}

function costSummary(rows: RolloutRequestRow[]): RolloutReport['cost'] {
  let realised: number | null = 0;
  let fallbackExtra: number | null = 0;
  const baselineCost = new Map<string, [number, number]>();
  let baseSum = 0;
  let baseN = 0;
  for (const q of rows) {
    realised = realised === null || q.cost_usd === null ? null : realised + q.cost_usd;
    if (q.fallback === 1)
      fallbackExtra =
        fallbackExtra === null || q.candidate_cost_usd === null ? null : fallbackExtra + q.candidate_cost_usd;
    if (q.routed_arm === 'baseline' && q.cost_usd !== null) {
      const c = baselineCost.get(q.prompt_id) ?? [0, 0];
      c[0] += q.cost_usd;
      c[1]++;
      baselineCost.set(q.prompt_id, c);
      baseSum += q.cost_usd;
      baseN++;
    }
  }
  if (baseN === 0 || realised === null)
    return {
      realisedUsd: realised,
      allBaselineUsd: null,
      savingsUsd: null,
      savingsPct: null,
      fallbackExtraUsd: fallbackExtra,
    };
  const overall = baseSum / baseN;
  let counterfactual = 0;
  for (const q of rows) {
    const c = baselineCost.get(q.prompt_id);
    counterfactual += c ? c[0] / c[1] : overall;
  }
  return {
    realisedUsd: realised,
    allBaselineUsd: counterfactual,
    savingsUsd: counterfactual - realised,
    savingsPct: counterfactual > 0 ? (100 * (counterfactual - realised)) / counterfactual : null,
    fallbackExtraUsd: fallbackExtra,
  };
}
