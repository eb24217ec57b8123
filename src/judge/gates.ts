/**
 * Gates turn metrics into a decision, in the manner of a canary judge (Argo
 * Rollouts' analysis: every measurement ends as one of a closed set of
 * outcomes). Each gate holds one metric against a tolerance, and compares the
 * metric's interval with it, not its point estimate:
 *
 * - pass: the interval lies inside the tolerance (the data rule out harm beyond it);
 * - fail: the interval lies entirely beyond it (the data prove the harm), so `onFail` applies;
 * - inconclusive: the interval straddles the tolerance: hold, and estimate the prompts that would settle it;
 * - insufficient: no value, or fewer samples than the gate needs: hold.
 *
 * A metric without an interval is judged on its point value (pass or fail),
 * and its row says so (`basis: 'point'`). A latency gate of a saturated run
 * whose tolerance is within the timing error is inconclusive (timing-error.ts).
 * Pure: the shadow report, `gate` and the rollout all call it.
 */
import { isMetricName, METRICS, type MetricName, type Metrics } from './metrics.js';
import { limitByTimingError, type TimingErrorLimit, type TimingErrorNote } from './timing-error.js';

export type { MetricName, Metrics, MetricValue, RolloutMetrics, ShadowMetrics } from './metrics.js';
export type { TimingErrorLimit, TimingErrorNote } from './timing-error.js';

export type GateOp = '<=' | '>=' | '<' | '>';
export type GateAction = 'hold' | 'rollback';
export type GateStatus = 'pass' | 'fail' | 'inconclusive' | 'insufficient';
export type Decision = 'promote' | 'hold' | 'rollback';

export const GATE_OPS: readonly GateOp[] = ['<=', '>=', '<', '>'];
export const GATE_ACTIONS: readonly GateAction[] = ['hold', 'rollback'];
export const GATE_STATUSES: readonly GateStatus[] = ['pass', 'fail', 'inconclusive', 'insufficient'];

/** Sample size below which a gate is `insufficient` unless it says otherwise. */
export const DEFAULT_MIN_SAMPLES = 100;
/** The gates' confidence unless the report, gates file or plan sets one: one-sided, per bound. */
export const DEFAULT_CONFIDENCE = 0.95;

export interface GateSpec {
  /** Unique name shown in the gate table. */
  name: string;
  /** A metric of the typed list in metrics.ts. */
  metric: MetricName;
  /** The tolerance: the candidate is acceptable while `value op threshold` holds. */
  op: GateOp;
  threshold: number;
  /** Sample size below which the gate is `insufficient`; default DEFAULT_MIN_SAMPLES. */
  minSamples?: number;
  /** What a proven failure means; default 'hold'. Inconclusive and insufficient always mean hold. */
  onFail?: GateAction;
}

export interface GateResult {
  name: string;
  metric: MetricName;
  /** The metric's point estimate; null when it could not be computed. */
  observed: number | null;
  /** The interval judged (see MetricValue.interval); null when judged on the point. */
  interval: [number, number] | null;
  op: GateOp;
  threshold: number;
  /** Sample size behind `observed`. */
  n: number;
  minSamples: number;
  status: GateStatus;
  /** True only for `pass`. */
  pass: boolean;
  onFail: GateAction;
  /** 'interval' when the interval was compared with the threshold; 'point' for a metric without one. */
  basis: 'interval' | 'point';
  /**
   * For an inconclusive gate: about how many more samples would likely settle
   * it, if the estimate holds and the interval narrows as 1/sqrt(n). Null
   * otherwise, or when the estimate sits on the threshold.
   */
  moreSamples: number | null;
  /**
   * Set when the gate is inconclusive because the harness was saturated and
   * the gate's tolerance is within its timing error (see timing-error.ts).
   */
  timingError?: TimingErrorNote;
}

export interface Verdict {
  decision: Decision;
  gates: GateResult[];
  /** One line per gate that did not pass, in gate order; one line when all passed. */
  reasons: string[];
}

/** Larger values are harm for `<=`/`<` gates, smaller ones for `>=`/`>`. */
function upperIsHarm(op: GateOp): boolean {
  return op === '<=' || op === '<';
}

function holds(value: number, op: GateOp, threshold: number): boolean {
  switch (op) {
    case '<=':
      return value <= threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '>':
      return value > threshold;
  }
}

/**
 * The three-way comparison of an interval with a tolerance. The end nearest
 * the harm must satisfy the tolerance to pass; the far end must violate it
 * to fail.
 */
export function intervalStatus(
  interval: [number, number],
  op: GateOp,
  threshold: number,
): 'pass' | 'fail' | 'inconclusive' {
  const [lo, hi] = interval;
  const nearHarm = upperIsHarm(op) ? hi : lo;
  const farFromHarm = upperIsHarm(op) ? lo : hi;
  if (holds(nearHarm, op, threshold)) return 'pass';
  if (!holds(farFromHarm, op, threshold)) return 'fail';
  return 'inconclusive';
}

/**
 * Samples beyond n likely to settle an inconclusive gate: the half-width on the
 * side that must clear the threshold, scaled as 1/sqrt(n) until it equals the
 * distance from the estimate to the threshold.
 */
export function samplesToSettle(
  observed: number,
  interval: [number, number],
  op: GateOp,
  threshold: number,
  n: number,
): number | null {
  const distance = Math.abs(threshold - observed);
  if (!(distance > 0) || n <= 0) return null;
  const passing = holds(observed, op, threshold);
  // Passing needs the harm-side end inside; failing needs the other end beyond.
  const towardHarm = upperIsHarm(op) === passing;
  const halfWidth = towardHarm ? interval[1] - observed : observed - interval[0];
  if (!(halfWidth > 0)) return null;
  const total = n * (halfWidth / distance) ** 2;
  if (!Number.isFinite(total)) return null;
  return Math.max(1, Math.ceil(total - n));
}

/** Judges one gate against the metrics. */
export function evaluateGate(gate: GateSpec, metrics: Metrics): GateResult {
  const metric = metrics[gate.metric];
  const observed = metric && metric.value !== null && Number.isFinite(metric.value) ? metric.value : null;
  const rawInterval = metric?.interval ?? null;
  // An infinite end (a sequence with too little tail data) is a real, wide interval: never a point.
  const interval =
    rawInterval && !Number.isNaN(rawInterval[0]) && !Number.isNaN(rawInterval[1]) ? rawInterval : null;
  const n = metric?.n ?? 0;
  const minSamples = gate.minSamples ?? DEFAULT_MIN_SAMPLES;
  const onFail = gate.onFail ?? 'hold';
  let status: GateStatus;
  let moreSamples: number | null = null;
  if (observed === null || n < minSamples) status = 'insufficient';
  else if (interval === null) status = holds(observed, gate.op, gate.threshold) ? 'pass' : 'fail';
  else {
    status = intervalStatus(interval, gate.op, gate.threshold);
    if (status === 'inconclusive')
      moreSamples = samplesToSettle(observed, interval, gate.op, gate.threshold, n);
  }
  return {
    name: gate.name,
    metric: gate.metric,
    observed,
    interval,
    op: gate.op,
    threshold: gate.threshold,
    n,
    minSamples,
    status,
    pass: status === 'pass',
    onFail,
    basis: interval === null ? 'point' : 'interval',
    moreSamples,
  };
}

export function formatGateNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

function describeValue(result: GateResult): string {
  const value = `${result.metric} = ${formatGateNumber(result.observed!)}`;
  if (result.interval === null) return `${value} (point estimate: no interval)`;
  const [lo, hi] = result.interval.map(formatGateNumber);
  return `${value} [${lo}, ${hi}]`;
}

/** The line a report prints for a gate that did not pass. */
export function gateReason(result: GateResult): string {
  const needs = `needs ${result.op} ${formatGateNumber(result.threshold)} (n = ${result.n})`;
  switch (result.status) {
    case 'insufficient': {
      const why = result.observed === null ? 'no value' : `n = ${result.n} < minSamples ${result.minSamples}`;
      return `${result.name}: insufficient data (${result.metric}: ${why}) -> hold`;
    }
    case 'inconclusive': {
      if (result.timingError) {
        const { toleranceMs, errorMs, statusWithoutLimit } = result.timingError;
        return (
          `${result.name}: inconclusive: its tolerance (${formatGateNumber(toleranceMs)} ms) is within the harness's ` +
          `timing error (±${formatGateNumber(errorMs)} ms, p99; the run was saturated), so its ${statusWithoutLimit} ` +
          'cannot be trusted; rerun with a lower --concurrency -> hold'
        );
      }
      const more =
        result.moreSamples === null
          ? ''
          : `; about ${result.moreSamples} more samples would likely settle it`;
      return `${result.name}: inconclusive: ${describeValue(result)} straddles ${result.op} ${formatGateNumber(result.threshold)} (n = ${result.n})${more} -> hold`;
    }
    case 'fail': {
      const proven = result.basis === 'interval' ? 'proven beyond the tolerance: ' : '';
      return `${result.name}: ${proven}${describeValue(result)}, ${needs} -> ${result.onFail}`;
    }
    case 'pass':
      return `${result.name}: pass`;
  }
}

/**
 * Judges every gate and decides: any failed rollback gate -> rollback;
 * otherwise any gate not passed -> hold; otherwise promote. With no gates
 * there is nothing to vouch for the candidate, so the answer is hold.
 */
export function evaluateGates(
  gates: readonly GateSpec[],
  metrics: Metrics,
  options: {
    /** Latency gates whose tolerance is within this timing error are inconclusive (a saturated run). */
    timingError?: TimingErrorLimit | null;
  } = {},
): Verdict {
  const limit = options.timingError ?? null;
  const results = gates.map((gate) => {
    const result = evaluateGate(gate, metrics);
    return limit === null ? result : limitByTimingError(result, limit);
  });
  if (results.length === 0)
    return { decision: 'hold', gates: results, reasons: ['no gates to judge by -> hold'] };
  const failing = results.filter((r) => r.status !== 'pass');
  const reasons = failing.map(gateReason);
  let decision: Decision = 'promote';
  if (failing.some((r) => r.status === 'fail' && r.onFail === 'rollback')) decision = 'rollback';
  else if (failing.length > 0) decision = 'hold';
  if (decision === 'promote') reasons.push(`all ${results.length} gates passed`);
  return { decision, gates: results, reasons };
}

export { isMetricName, METRICS };
