import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateGates, type GateSpec, gateReason } from '../../src/judge/gates.js';
import { latencyToleranceMs } from '../../src/report/gate-metrics.js';
import type { ArmReport } from '../../src/report/shadow-report.js';

const baseline = {
  latencyMs: { p50: 200, p95: 400 },
  ttftMs: { p95: null },
} as unknown as ArmReport;

const metrics = {
  'latency.p95_ratio': { value: 1.02, n: 500, interval: [1.0, 1.04] as [number, number] },
  'latency.median_delta_ms': { value: 30, n: 500, interval: [20, 40] as [number, number] },
  'ttft.p95_ratio': { value: 1.5, n: 500, interval: [1.4, 1.6] as [number, number] },
  'candidate.error_rate': { value: 0.2, n: 500, interval: [0.18, 0.22] as [number, number] },
};

const gates: GateSpec[] = [
  // 10% of a 400 ms p95: a 40 ms tolerance.
  { name: 'p95', metric: 'latency.p95_ratio', op: '<=', threshold: 1.1 },
  // Fails on the interval (20..40 ms > 10 ms), but 10 ms is within the error.
  { name: 'median', metric: 'latency.median_delta_ms', op: '<=', threshold: 10 },
  // No baseline TTFT: its tolerance cannot be said in ms, so it is judged as is.
  { name: 'ttft', metric: 'ttft.p95_ratio', op: '<=', threshold: 1.2 },
  { name: 'errors', metric: 'candidate.error_rate', op: '<=', threshold: 0.05 },
];

describe('latency gates under the timing error of a saturated run', () => {
  it('turns decided latency gates within the error inconclusive, and nothing else', () => {
    const limit = { errorMs: 45, toleranceMs: latencyToleranceMs(baseline) };
    const v = evaluateGates(gates, metrics, { timingError: limit });
    assert.deepEqual(
      v.gates.map((g) => g.status),
      ['inconclusive', 'inconclusive', 'fail', 'fail'],
    );
    assert.ok(Math.abs(v.gates[0]!.timingError!.toleranceMs - 40) < 1e-9);
    assert.equal(v.gates[0]!.timingError!.statusWithoutLimit, 'pass');
    assert.equal(v.gates[1]!.timingError!.statusWithoutLimit, 'fail');
    assert.equal(v.gates[0]!.pass, false);
    assert.match(gateReason(v.gates[1]!), /median: inconclusive: its tolerance \(10 ms\) is within .*±45 ms/);
  });

  it('leaves every gate as it was when the error is smaller than each tolerance, or absent', () => {
    const small = evaluateGates(gates, metrics, {
      timingError: { errorMs: 5, toleranceMs: latencyToleranceMs(baseline) },
    });
    const none = evaluateGates(gates, metrics);
    assert.deepEqual(
      small.gates.map((g) => g.status),
      ['pass', 'fail', 'fail', 'fail'],
    );
    assert.deepEqual(small, none);
  });
});
