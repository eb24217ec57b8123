/**
 * Gates turn the report's metrics into a decision, in the manner of a canary
 * judge: each gate holds one metric against a threshold, and a gate that
 * cannot be judged (no value, or fewer samples than it needs) never passes.
 * Pure: the shadow report and the rollout's `gate` command both call it.
 */

export type GateOp = '<=' | '>=' | '<' | '>';
export type GateAction = 'hold' | 'rollback';

export interface GateSpec {
  /** Unique name shown in the gate table. */
  name: string;
  /** A key of KNOWN_METRICS. */
  metric: string;
  /** The gate passes when `observed op threshold` holds. */
  op: GateOp;
  threshold: number;
  /** Sample size below which the gate is `insufficient`; default 100 (DEFAULT_MIN_SAMPLES). */
  minSamples?: number;
  /** What a failure means; default 'hold'. An insufficient gate always means hold. */
  onFail?: GateAction;
}

export interface GateResult {
  name: string;
  metric: string;
  /** The metric's value; null when the report could not compute it. */
  observed: number | null;
  op: string;
  threshold: number;
  /** Sample size behind `observed`. */
  n: number;
  minSamples: number;
  pass: boolean;
  status: 'pass' | 'fail' | 'insufficient';
  onFail: GateAction;
}

export type Decision = 'promote' | 'hold' | 'rollback';
/** Metric name -> value and the sample size it rests on; value null when it cannot be computed. */
export type Metrics = Record<string, { value: number | null; n: number }>;

export const DEFAULT_MIN_SAMPLES = 100;
export const GATE_OPS: readonly GateOp[] = ['<=', '>=', '<', '>'];
export const GATE_ACTIONS: readonly GateAction[] = ['hold', 'rollback'];

/** The metrics a gate may name: name -> what it measures (quoted by the report and the README). */
export const KNOWN_METRICS: Record<string, string> = {
  'candidate.error_rate':
    'candidate requests ending in error / candidate requests (engine refusals included)',
  'errors.delta': 'candidate error rate minus baseline error rate, on paired prompts',
  'errors.delta_upper': 'upper end of the 95% Newcombe interval of errors.delta',
  'latency.p95_ratio': 'candidate p95 end-to-end latency / baseline p95, ok requests',
  'latency.median_delta_ms':
    'median of per-prompt (candidate - baseline) end-to-end latency, prompts both answered',
  'latency.median_delta_upper_ms': 'upper end of the bootstrap 95% interval of latency.median_delta_ms',
  'ttft.p95_ratio': 'candidate p95 time to first token / baseline p95, streaming runs',
  'outputs.drift_share':
    'share of paired prompts whose candidate answer differs from the baseline more than the noise floor',
  'outputs.similarity_median': 'median candidate-vs-baseline text similarity, paired prompts',
  'usage.input_token_ratio':
    "median over paired prompts of the candidate's reported input tokens / the baseline's",
  'usage.model_mismatch_share':
    'share of candidate ok responses whose `model` does not match the requested model',
  'cost.savings_pct': '(baseline cost - candidate cost) / baseline cost x 100, paired ok prompts',
};

/**
 * The shadow report's default gates. Hold gates stop a promotion for a human
 * to look; rollback gates mark evidence that the candidate is broken.
 *
 * - Error rate above 5% holds; above 15% the candidate is failing outright.
 * - errors.delta_upper <= 0.02: promote only when the data rule out the
 *   candidate failing 2 points more often than the baseline. Even with no
 *   errors at all the Newcombe upper bound is about 3.84 / (n + 3.84), below
 *   0.02 only from n = 189, so this gate asks for 200 paired prompts rather
 *   than report a fail that is really too little data.
 * - p95 latency up to 1.25x holds beyond it; 2x rolls back (users would feel it).
 * - TTFT p95 up to 1.25x (streaming runs only: see `defaultShadowGates`).
 * - Drift share <= 0.10: at a noise floor set by the replica's 5th percentile
 *   a candidate as consistent as the baseline drifts on ~5% of prompts, so
 *   0.10 is twice the noise and about 2.3 standard errors above it at n = 100.
 * - Input tokens up to 1.05x the baseline's for the same prompts: a relay that
 *   inflates usage, or a different tokenizer; raise it knowingly when
 *   migrating across model families.
 * - Model mismatch above 1% rolls back: the provider answers with a model
 *   other than the one asked for.
 */
export const DEFAULT_SHADOW_GATES: GateSpec[] = [
  { name: 'error-rate', metric: 'candidate.error_rate', op: '<=', threshold: 0.05, onFail: 'hold' },
  {
    name: 'error-rate-severe',
    metric: 'candidate.error_rate',
    op: '<=',
    threshold: 0.15,
    onFail: 'rollback',
  },
  {
    name: 'error-delta',
    metric: 'errors.delta_upper',
    op: '<=',
    threshold: 0.02,
    minSamples: 200,
    onFail: 'hold',
  },
  { name: 'latency-p95', metric: 'latency.p95_ratio', op: '<=', threshold: 1.25, onFail: 'hold' },
  { name: 'latency-p95-severe', metric: 'latency.p95_ratio', op: '<=', threshold: 2.0, onFail: 'rollback' },
  { name: 'ttft-p95', metric: 'ttft.p95_ratio', op: '<=', threshold: 1.25, onFail: 'hold' },
  { name: 'output-drift', metric: 'outputs.drift_share', op: '<=', threshold: 0.1, onFail: 'hold' },
  { name: 'input-tokens', metric: 'usage.input_token_ratio', op: '<=', threshold: 1.05, onFail: 'hold' },
  {
    name: 'model-mismatch',
    metric: 'usage.model_mismatch_share',
    op: '<=',
    threshold: 0.01,
    onFail: 'rollback',
  },
];

/**
 * The default gates for a run: without streaming there is no time to first
 * token, and a TTFT gate would hold every such run as insufficient.
 */
export function defaultShadowGates(options: { streaming: boolean }): GateSpec[] {
  return DEFAULT_SHADOW_GATES.filter((gate) => options.streaming || !gate.metric.startsWith('ttft.'));
}

function compare(observed: number, op: GateOp, threshold: number): boolean {
  switch (op) {
    case '<=':
      return observed <= threshold;
    case '>=':
      return observed >= threshold;
    case '<':
      return observed < threshold;
    case '>':
      return observed > threshold;
  }
}

/** Judges one gate; a missing, null or NaN metric and a short sample are `insufficient`. */
export function evaluateGate(gate: GateSpec, metrics: Metrics): GateResult {
  const metric = metrics[gate.metric];
  const observed = metric && metric.value !== null && Number.isFinite(metric.value) ? metric.value : null;
  const n = metric?.n ?? 0;
  const minSamples = gate.minSamples ?? DEFAULT_MIN_SAMPLES;
  const onFail = gate.onFail ?? 'hold';
  let status: GateResult['status'];
  if (observed === null || n < minSamples) status = 'insufficient';
  else status = compare(observed, gate.op, gate.threshold) ? 'pass' : 'fail';
  return {
    name: gate.name,
    metric: gate.metric,
    observed,
    op: gate.op,
    threshold: gate.threshold,
    n,
    minSamples,
    pass: status === 'pass',
    status,
    onFail,
  };
}

function reasonFor(result: GateResult): string {
  if (result.status === 'insufficient') {
    const why = result.observed === null ? 'no value' : `n = ${result.n} < minSamples ${result.minSamples}`;
    return `${result.name}: insufficient data (${result.metric}: ${why}) -> hold`;
  }
  return (
    `${result.name}: ${result.metric} = ${formatNumber(result.observed!)}, ` +
    `needs ${result.op} ${formatNumber(result.threshold)} (n = ${result.n}) -> ${result.onFail}`
  );
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/**
 * Judges every gate and decides: any failed rollback gate -> rollback;
 * otherwise any failed or insufficient gate -> hold; otherwise promote. With
 * no gates there is nothing to vouch for the candidate, so the answer is hold.
 * `reasons` has one line per gate that did not pass, in gate order.
 */
export function evaluateGates(
  gates: GateSpec[],
  metrics: Metrics,
): { decision: Decision; gates: GateResult[]; reasons: string[] } {
  const results = gates.map((gate) => evaluateGate(gate, metrics));
  if (results.length === 0)
    return { decision: 'hold', gates: results, reasons: ['no gates to judge by -> hold'] };
  const failing = results.filter((r) => r.status !== 'pass');
  const reasons = failing.map(reasonFor);
  let decision: Decision = 'promote';
  if (failing.some((r) => r.status === 'fail' && r.onFail === 'rollback')) decision = 'rollback';
  else if (failing.length > 0) decision = 'hold';
  if (decision === 'promote') reasons.push(`all ${results.length} gates passed`);
  return { decision, gates: results, reasons };
}

const GATE_KEYS = ['name', 'metric', 'op', 'threshold', 'minSamples', 'onFail'];

/**
 * Checks a gates file's parsed content: `{ gates: [...] }` or a bare list.
 * Collects every problem with its path (`gates[2].op: must be one of <=, >=,
 * <, >`); unknown keys and unknown metric names are problems too, so a typo
 * cannot turn into a gate that silently judges nothing. A missing name becomes
 * `<metric> <op> <threshold>`; the returned specs have minSamples and onFail filled in.
 */
export function validateGates(input: unknown): { value: GateSpec[] } | { errors: string[] } {
  const errors: string[] = [];
  let list: unknown;
  let base = 'gates';
  if (Array.isArray(input)) {
    list = input;
    base = '';
  } else if (isRecord(input)) {
    for (const key of Object.keys(input))
      if (key !== 'gates') errors.push(`${key}: unknown key (expected gates)`);
    if (!('gates' in input)) errors.push('gates: required (a list of gates)');
    list = input['gates'];
  } else {
    return { errors: ['(root): must be a list of gates or an object with a gates list'] };
  }
  if (list !== undefined && !Array.isArray(list)) {
    errors.push(`${base || '(root)'}: must be a list`);
    return { errors };
  }
  const entries = (list ?? []) as unknown[];
  if (list !== undefined && entries.length === 0)
    errors.push(`${base || '(root)'}: must list at least one gate`);

  const value: GateSpec[] = [];
  const seen = new Map<string, string>();
  entries.forEach((entry, i) => {
    const path = `${base}[${i}]`;
    if (!isRecord(entry)) {
      errors.push(`${path}: must be an object`);
      return;
    }
    const before = errors.length;
    for (const key of Object.keys(entry)) {
      if (!GATE_KEYS.includes(key))
        errors.push(`${path}.${key}: unknown key (expected one of ${GATE_KEYS.join(', ')})`);
    }
    const { name, metric, op, threshold, minSamples, onFail } = entry;
    if (typeof metric !== 'string') errors.push(`${path}.metric: required, a metric name`);
    else if (!Object.hasOwn(KNOWN_METRICS, metric)) {
      errors.push(
        `${path}.metric: unknown metric "${metric}" (known: ${Object.keys(KNOWN_METRICS).join(', ')})`,
      );
    }
    if (!GATE_OPS.includes(op as GateOp)) errors.push(`${path}.op: must be one of ${GATE_OPS.join(', ')}`);
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
      errors.push(`${path}.threshold: required, a finite number`);
    }
    if (minSamples !== undefined && !(Number.isInteger(minSamples) && (minSamples as number) >= 0)) {
      errors.push(`${path}.minSamples: must be a non-negative integer`);
    }
    if (onFail !== undefined && !GATE_ACTIONS.includes(onFail as GateAction)) {
      errors.push(`${path}.onFail: must be one of ${GATE_ACTIONS.join(', ')}`);
    }
    if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) {
      errors.push(`${path}.name: must be a non-empty string`);
    }
    if (errors.length > before) return;
    const gate: GateSpec = {
      name: (name as string | undefined) ?? `${metric} ${op} ${threshold}`,
      metric: metric as string,
      op: op as GateOp,
      threshold: threshold as number,
      minSamples: (minSamples as number | undefined) ?? DEFAULT_MIN_SAMPLES,
      onFail: (onFail as GateAction | undefined) ?? 'hold',
    };
    const earlier = seen.get(gate.name);
    if (earlier !== undefined)
      errors.push(`${path}.name: duplicate gate name "${gate.name}" (also ${earlier})`);
    seen.set(gate.name, path);
    value.push(gate);
  });
  return errors.length > 0 ? { errors } : { value };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
