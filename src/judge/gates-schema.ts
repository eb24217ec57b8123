/**
 * A gates file's shape: what validateGates walks and what `npm run schema`
 * writes to schema/gates.schema.json (where `metric` lists every metric; the
 * validator narrows it to the scope being judged).
 */
import type { ArrayNode, ObjectNode, SchemaNode } from '../shared/field-schema.js';
import { DEFAULT_MIN_SAMPLES, GATE_ACTIONS, GATE_OPS } from './gates.js';
import { isMetricName, METRIC_NAMES, METRICS, type MetricScope, metricsInScope } from './metrics.js';

export function gateShape(scope: MetricScope | null): ObjectNode {
  const known = scope === null ? METRIC_NAMES : metricsInScope(scope);
  return {
    type: 'object',
    definition: 'gate',
    description: 'One gate: the candidate is acceptable while `metric op threshold` holds',
    message: 'must be an object',
    fields: {
      name: {
        node: {
          type: 'string',
          minLength: 1,
          description: 'Unique name in the gate table (default: `<metric> <op> <threshold>`)',
          message: 'must be a non-empty string',
          refine: (v: string) => (v.trim() === '' ? 'must be a non-empty string' : null),
        },
      },
      metric: {
        node: {
          type: 'string',
          enum: METRIC_NAMES,
          description: 'A metric name (see docs/statistics.md: Metrics)',
          message: (v) =>
            typeof v === 'string'
              ? `unknown metric "${v}" (known: ${known.join(', ')})`
              : 'required, a metric name',
          refine: (v: string) =>
            scope !== null && isMetricName(v) && !(METRICS[v].scopes as readonly string[]).includes(scope)
              ? `unknown metric "${v}" is not computed for a ${scope} (known: ${known.join(', ')})`
              : null,
        },
        required: 'required, a metric name',
      },
      op: {
        node: { type: 'string', enum: GATE_OPS, description: 'Comparison with the threshold' },
        required: `required (one of ${GATE_OPS.join(', ')})`,
      },
      threshold: {
        node: { type: 'number', description: 'The tolerance', message: 'required, a finite number' },
        required: 'required, a finite number',
      },
      minSamples: {
        node: {
          type: 'number',
          integer: true,
          minimum: 0,
          default: DEFAULT_MIN_SAMPLES,
          description: 'Below this sample size the gate is insufficient',
          message: 'must be a non-negative integer',
        },
      },
      onFail: {
        node: {
          type: 'string',
          enum: GATE_ACTIONS,
          default: 'hold',
          description: 'What a proven failure means',
        },
      },
    },
  };
}

export function gateListShape(scope: MetricScope | null): ArrayNode {
  return {
    type: 'array',
    items: gateShape(scope),
    minItems: 1,
    message: 'must be a list',
    tooFewMessage: 'must list at least one gate',
  };
}

export function gatesFileShape(scope: MetricScope | null): ObjectNode {
  return {
    type: 'object',
    fields: {
      gates: { node: gateListShape(scope), required: 'required (a list of gates)' },
      confidence: {
        node: {
          type: 'number',
          exclusiveMinimum: 0.5,
          exclusiveMaximum: 1,
          description: "One-sided confidence of each gate's bound (default 0.95)",
        },
      },
    },
  };
}

/** The schema's root: the object form or a bare list. */
export const GATES_SCHEMA_ROOT: SchemaNode = {
  type: 'anyOf',
  description: 'shadowgate gates: `{ gates: [...], confidence? }` or a bare list of gates',
  options: [gatesFileShape(null), gateListShape(null)],
};
