import {
  DEFAULT_MIN_SAMPLES,
  GATE_ACTIONS,
  GATE_OPS,
  type GateAction,
  type GateOp,
  type GateSpec,
} from './gates.js';
import { isMetricName, METRICS, type MetricScope, metricsInScope } from './metrics.js';

const GATE_KEYS = ['name', 'metric', 'op', 'threshold', 'minSamples', 'onFail'];
const FILE_KEYS = ['gates', 'confidence'];

export interface GatesFile {
  gates: GateSpec[];
  /** The file's `confidence`, when it sets one (0.5 < c < 1). */
  confidence?: number;
}

/**
 * Checks a gates file's parsed content: `{ gates: [...], confidence? }` or a
 * bare list. Collects every problem with its path (`gates[2].op: must be one
 * of <=, >=, <, >`); unknown keys and metric names the `scope` does not
 * compute are problems too, so a typo cannot turn into a gate that silently
 * judges nothing. A missing name becomes `<metric> <op> <threshold>`; the
 * returned specs have minSamples and onFail filled in.
 */
export function validateGates(
  input: unknown,
  scope: MetricScope = 'shadow',
): { value: GatesFile } | { errors: string[] } {
  const errors: string[] = [];
  let list: unknown;
  let base = 'gates';
  let confidence: number | undefined;
  if (Array.isArray(input)) {
    list = input;
    base = '';
  } else if (isRecord(input)) {
    for (const key of Object.keys(input))
      if (!FILE_KEYS.includes(key))
        errors.push(`${key}: unknown key (expected one of ${FILE_KEYS.join(', ')})`);
    if (!('gates' in input)) errors.push('gates: required (a list of gates)');
    list = input['gates'];
    if ('confidence' in input) {
      const c = input['confidence'];
      if (typeof c !== 'number' || !(c > 0.5 && c < 1))
        errors.push('confidence: must be a number between 0.5 and 1');
      else confidence = c;
    }
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

  const known = metricsInScope(scope);
  const gates: GateSpec[] = [];
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
    else if (!isMetricName(metric) || !(METRICS[metric].scopes as readonly string[]).includes(scope)) {
      const where = isMetricName(metric) ? ` is not computed for a ${scope}` : '';
      errors.push(`${path}.metric: unknown metric "${metric}"${where} (known: ${known.join(', ')})`);
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
      metric: metric as GateSpec['metric'],
      op: op as GateOp,
      threshold: threshold as number,
      minSamples: (minSamples as number | undefined) ?? DEFAULT_MIN_SAMPLES,
      onFail: (onFail as GateAction | undefined) ?? 'hold',
    };
    const earlier = seen.get(gate.name);
    if (earlier !== undefined)
      errors.push(`${path}.name: duplicate gate name "${gate.name}" (also ${earlier})`);
    seen.set(gate.name, path);
    gates.push(gate);
  });
  if (errors.length > 0) return { errors };
  return { value: confidence === undefined ? { gates } : { gates, confidence } };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
