import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SHADOW_GATES, defaultShadowGates } from '../../src/judge/default-gates.js';
import { evaluateGates, type GateSpec, type Metrics } from '../../src/judge/gates.js';
import { METRICS as KNOWN_METRICS } from '../../src/judge/metrics.js';
import { validateGates } from '../../src/judge/validate-gates.js';

const errorRate: GateSpec = { name: 'errors', metric: 'candidate.error_rate', op: '<=', threshold: 0.05 };
const latency: GateSpec = {
  name: 'latency',
  metric: 'latency.p95_ratio',
  op: '<=',
  threshold: 2,
  onFail: 'rollback',
};

describe('evaluateGates', () => {
  it('promotes when every gate passes with enough samples', () => {
    const metrics: Metrics = {
      'candidate.error_rate': { value: 0.01, n: 500 },
      'latency.p95_ratio': { value: 1.1, n: 480 },
    };
    const r = evaluateGates([errorRate, latency], metrics);
    assert.equal(r.decision, 'promote');
    assert.deepEqual(r.gates[0], {
      name: 'errors',
      metric: 'candidate.error_rate',
      observed: 0.01,
      op: '<=',
      threshold: 0.05,
      interval: null,
      n: 500,
      minSamples: 100,
      pass: true,
      status: 'pass',
      onFail: 'hold',
      basis: 'point',
      moreSamples: null,
    });
    assert.deepEqual(r.reasons, ['all 2 gates passed']);
  });

  it('holds on a failed hold gate, with the reason', () => {
    const r = evaluateGates([errorRate, latency], {
      'candidate.error_rate': { value: 0.08, n: 500 },
      'latency.p95_ratio': { value: 1.1, n: 480 },
    });
    assert.equal(r.decision, 'hold');
    assert.equal(r.gates[0]!.status, 'fail');
    assert.equal(r.gates[0]!.pass, false);
    assert.equal(r.reasons.length, 1);
    assert.match(
      r.reasons[0]!,
      /errors: candidate\.error_rate = 0\.08 \(point estimate: no interval\), needs <= 0\.05 \(n = 500\) -> hold/,
    );
  });

  it('rolls back on a failed rollback gate, even when another gate holds', () => {
    const r = evaluateGates([errorRate, latency], {
      'candidate.error_rate': { value: 0.08, n: 500 },
      'latency.p95_ratio': { value: 2.5, n: 480 },
    });
    assert.equal(r.decision, 'rollback');
    assert.equal(r.reasons.length, 2);
  });

  it('holds, never passes, when a metric is null, NaN, missing or short of samples', () => {
    const cases: Metrics[] = [
      { 'latency.p95_ratio': { value: null, n: 500 } },
      { 'latency.p95_ratio': { value: Number.NaN, n: 500 } },
      {},
      { 'latency.p95_ratio': { value: 1.0, n: 99 } },
    ];
    for (const metrics of cases) {
      const r = evaluateGates([latency], metrics);
      assert.equal(r.decision, 'hold', JSON.stringify(metrics));
      assert.equal(r.gates[0]!.status, 'insufficient');
      assert.equal(r.gates[0]!.pass, false);
      assert.match(r.reasons[0]!, /insufficient/);
    }
  });

  it('does not roll back on an insufficient rollback gate, even with a failing value', () => {
    const r = evaluateGates([latency], { 'latency.p95_ratio': { value: 9, n: 10 } });
    assert.equal(r.decision, 'hold');
    assert.equal(r.gates[0]!.status, 'insufficient');
    assert.equal(r.gates[0]!.observed, 9);
  });

  it('applies each operator, strict and not, at the threshold', () => {
    const metrics: Metrics = { 'cost.savings_pct': { value: 20, n: 1000 } };
    const at = (op: GateSpec['op']) =>
      evaluateGates([{ name: 'g', metric: 'cost.savings_pct', op, threshold: 20 }], metrics).gates[0]!.pass;
    assert.deepEqual([at('<='), at('>='), at('<'), at('>')], [true, true, false, false]);
  });

  it('honours a gate-specific minSamples, including zero', () => {
    const gate: GateSpec = { ...errorRate, minSamples: 0 };
    assert.equal(evaluateGates([gate], { 'candidate.error_rate': { value: 0, n: 0 } }).decision, 'promote');
  });

  it('holds when there are no gates to judge by', () => {
    assert.equal(evaluateGates([], {}).decision, 'hold');
  });
});

describe('three-way interval gates', () => {
  const gate: GateSpec = {
    name: 'errs',
    metric: 'errors.delta',
    op: '<=',
    threshold: 0.02,
    onFail: 'rollback',
  };
  const judge = (value: number, interval: [number, number], n = 400) =>
    evaluateGates([gate], { 'errors.delta': { value, n, interval } });

  it('passes only when the whole interval is inside the tolerance', () => {
    const r = judge(0.0, [-0.01, 0.015]);
    assert.equal(r.decision, 'promote');
    assert.equal(r.gates[0]!.basis, 'interval');
  });

  it('fails, and applies onFail, only when the whole interval is beyond it', () => {
    const r = judge(0.09, [0.06, 0.12]);
    assert.equal(r.decision, 'rollback');
    assert.equal(r.gates[0]!.status, 'fail');
    assert.match(r.reasons[0]!, /proven beyond the tolerance/);
  });

  it('is inconclusive when the interval straddles it, with the samples that would settle it', () => {
    // Estimate 0.01, upper half-width 0.02 at n = 400: the bound reaches 0.02 at 400 * (0.02 / 0.01)^2 = 1600.
    const r = judge(0.01, [-0.005, 0.03]);
    assert.equal(r.decision, 'hold');
    assert.equal(r.gates[0]!.status, 'inconclusive');
    assert.equal(r.gates[0]!.moreSamples, 1200);
    // A point estimate beyond the tolerance with a straddling interval is not proof either.
    assert.equal(judge(0.03, [0.015, 0.045]).gates[0]!.status, 'inconclusive');
  });

  it('reads >= gates from the lower end', () => {
    const savings: GateSpec = { name: 's', metric: 'cost.savings_pct', op: '>=', threshold: 20 };
    const at = (interval: [number, number]) =>
      evaluateGates([savings], { 'cost.savings_pct': { value: 30, n: 500, interval } }).gates[0]!.status;
    assert.equal(at([25, 35]), 'pass');
    assert.equal(at([15, 35]), 'inconclusive');
    assert.equal(at([5, 15]), 'fail');
  });
});

describe('default gates', () => {
  it('name only known metrics, have unique names and validate', () => {
    const names = new Set(DEFAULT_SHADOW_GATES.map((g) => g.name));
    assert.equal(names.size, DEFAULT_SHADOW_GATES.length);
    for (const gate of DEFAULT_SHADOW_GATES) assert.ok(gate.metric in KNOWN_METRICS, gate.metric);
    assert.ok('value' in validateGates(DEFAULT_SHADOW_GATES));
  });

  it('promote a healthy candidate and roll back a relay that swaps the model', () => {
    const healthy: Metrics = {
      'candidate.error_rate': { value: 0.01, n: 1000, interval: [0.006, 0.016] },
      'errors.delta': { value: 0.001, n: 1000, interval: [-0.006, 0.008] },
      'attempts.first_failure_delta': { value: 0, n: 1000, interval: [-0.01, 0.01] },
      'attempts.amplification_delta': { value: 0, n: 1000, interval: [-0.02, 0.02] },
      'latency.p50_ratio': { value: 1.0, n: 990, interval: [0.97, 1.03] },
      'latency.p95_ratio': { value: 1.05, n: 990, interval: [0.98, 1.12] },
      'ttft.p95_ratio': { value: 0.9, n: 990, interval: [0.85, 0.95] },
      'outputs.drift_share': { value: 0.06, n: 990, interval: [0.04, 0.08] },
      'usage.input_token_ratio': { value: 1.0, n: 990, interval: [1, 1] },
      'usage.model_mismatch_share': { value: 0, n: 990, interval: [0, 0.003] },
    };
    assert.equal(evaluateGates(DEFAULT_SHADOW_GATES, healthy).decision, 'promote');
    const swapped: Metrics = {
      ...healthy,
      'usage.model_mismatch_share': { value: 0.4, n: 990, interval: [0.37, 0.43] },
    };
    assert.equal(evaluateGates(DEFAULT_SHADOW_GATES, swapped).decision, 'rollback');
    // The same mismatch share with an interval that reaches under the tolerance is not proof: hold.
    const unsure: Metrics = {
      ...healthy,
      'usage.model_mismatch_share': { value: 0.02, n: 990, interval: [0.005, 0.03] },
    };
    const verdict = evaluateGates(DEFAULT_SHADOW_GATES, unsure);
    assert.equal(verdict.decision, 'hold');
    assert.match(
      verdict.reasons[0]!,
      /model-mismatch: inconclusive: .* straddles <= 0\.01 \(n = 990\); about \d+ more samples/,
    );
  });

  it('drop the TTFT gate for runs without streaming', () => {
    assert.ok(defaultShadowGates({ streaming: true }).some((g) => g.metric === 'ttft.p95_ratio'));
    const plain = defaultShadowGates({ streaming: false });
    assert.ok(!plain.some((g) => g.metric.startsWith('ttft.')));
    assert.equal(plain.length, DEFAULT_SHADOW_GATES.length - 1);
  });
});

describe('validateGates', () => {
  it('accepts a gates object or a bare list, filling in defaults', () => {
    const spec = { metric: 'latency.p95_ratio', op: '<=', threshold: 1.3 };
    const expected = [{ name: 'latency.p95_ratio <= 1.3', ...spec, minSamples: 100, onFail: 'hold' }];
    assert.deepEqual(validateGates({ gates: [spec] }), { value: { gates: expected } });
    assert.deepEqual(validateGates([spec]), { value: { gates: expected } });
    assert.deepEqual(validateGates({ gates: [spec], confidence: 0.99 }), {
      value: { gates: expected, confidence: 0.99 },
    });
    assert.ok('errors' in validateGates({ gates: [spec], confidence: 1.5 }));
  });

  it('collects every problem with its path', () => {
    const result = validateGates({
      gates: [
        { name: 'ok', metric: 'latency.p95_ratio', op: '<=', threshold: 1.25 },
        {
          name: 'bad',
          metric: 'latency.p95_ratio',
          op: '=>',
          threshold: '1.2',
          onFail: 'panic',
          minSamples: -1,
        },
        { name: 'ok', metric: 'latency.p99', op: '<', threshold: 2, treshold: 3 },
        'not a gate',
      ],
      extra: true,
    });
    assert.ok('errors' in result);
    const errors = result.errors;
    const expectedPrefixes = [
      'extra: unknown key',
      'gates[1].op: must be one of <=, >=, <, >',
      'gates[1].threshold: required, a finite number',
      'gates[1].minSamples: must be a non-negative integer',
      'gates[1].onFail: must be one of hold, rollback',
      'gates[2].treshold: unknown key',
      'gates[2].metric: unknown metric "latency.p99" (known: candidate.error_rate, ',
      'gates[3]: must be an object',
    ];
    for (const prefix of expectedPrefixes) {
      assert.ok(
        errors.some((e) => e.startsWith(prefix)),
        `missing ${prefix} in\n${errors.join('\n')}`,
      );
    }
    assert.equal(errors.length, expectedPrefixes.length);
  });

  it('rejects duplicate names, an empty list and a wrong shape', () => {
    const gate = { name: 'g', metric: 'latency.p95_ratio', op: '<=', threshold: 1 };
    const dup = validateGates([gate, gate]);
    assert.ok('errors' in dup && dup.errors[0]!.startsWith('[1].name: duplicate gate name "g" (also [0])'));
    assert.deepEqual(validateGates({ gates: [] }), { errors: ['gates: must list at least one gate'] });
    assert.deepEqual(validateGates({}), { errors: ['gates: required (a list of gates)'] });
    assert.deepEqual(validateGates({ gates: 'none' }), { errors: ['gates: must be a list'] });
    assert.ok('errors' in validateGates(null));
    assert.ok('errors' in validateGates(42));
  });
});
