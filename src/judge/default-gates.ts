import type { GateSpec } from './gates.js';

/**
 * The shadow report's default gates, calibrated by the simulation suite in
 * test/judge/calibration.test.ts (its operating characteristics are in
 * docs and README). Hold gates stop a promotion for a human to look; rollback
 * gates fire only on proof (the interval entirely beyond the tolerance) that
 * the candidate is worse in a way users would feel.
 */
export const DEFAULT_SHADOW_GATES: GateSpec[] = [
  { name: 'error-rate', metric: 'candidate.error_rate', op: '<=', threshold: 0.05, onFail: 'hold' },
  { name: 'error-delta', metric: 'errors.delta', op: '<=', threshold: 0.03, onFail: 'rollback' },
  {
    name: 'first-attempt-failures',
    metric: 'attempts.first_failure_delta',
    op: '<=',
    threshold: 0.05,
    onFail: 'rollback',
  },
  {
    name: 'retry-amplification',
    metric: 'attempts.amplification_delta',
    op: '<=',
    threshold: 0.15,
    onFail: 'hold',
  },
  { name: 'latency-p50', metric: 'latency.p50_ratio', op: '<=', threshold: 1.2, onFail: 'hold' },
  { name: 'latency-p95', metric: 'latency.p95_ratio', op: '<=', threshold: 1.25, onFail: 'hold' },
  { name: 'latency-p95-severe', metric: 'latency.p95_ratio', op: '<=', threshold: 1.5, onFail: 'rollback' },
  { name: 'ttft-p95', metric: 'ttft.p95_ratio', op: '<=', threshold: 1.25, onFail: 'hold' },
  { name: 'output-drift', metric: 'outputs.drift_share', op: '<=', threshold: 0.2, onFail: 'hold' },
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
