import { checkShape } from '../shared/field-schema.js';
import { DEFAULT_MIN_SAMPLES, type GateAction, type GateOp, type GateSpec } from './gates.js';
import { gateListShape, gatesFileShape } from './gates-schema.js';
import type { MetricScope } from './metrics.js';

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
 * returned specs have minSamples and onFail filled in. The shape is
 * gates-schema.ts, which schema/gates.schema.json is generated from.
 */
export function validateGates(
  input: unknown,
  scope: MetricScope = 'shadow',
): { value: GatesFile } | { errors: string[] } {
  const errors: string[] = [];
  let entries: unknown[];
  let base: string;
  let confidence: number | undefined;
  if (Array.isArray(input)) {
    checkShape(gateListShape(scope), input, '', errors, '(root)');
    entries = input;
    base = '';
  } else if (isRecord(input)) {
    checkShape(gatesFileShape(scope), input, '', errors, '(root)');
    entries = Array.isArray(input['gates']) ? input['gates'] : [];
    base = 'gates';
    if (typeof input['confidence'] === 'number') confidence = input['confidence'];
  } else {
    return { errors: ['(root): must be a list of gates or an object with a gates list'] };
  }

  const gates: GateSpec[] = [];
  const seen = new Map<string, string>();
  entries.forEach((entry, i) => {
    const path = `${base}[${i}]`;
    if (!isRecord(entry) || errors.some((e) => e.startsWith(`${path}.`) || e.startsWith(`${path}:`))) return;
    const { name, metric, op, threshold, minSamples, onFail } = entry;
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
