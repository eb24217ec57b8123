import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { holdSentence } from '../../src/cli/demo-story.js';
import type { GateResult } from '../../src/judge/gates.js';

const gate = (over: Partial<GateResult>): GateResult => ({
  name: 'latency-p95',
  metric: 'latency.p95_ratio',
  observed: 1.1,
  interval: [1.0, 1.2],
  op: '<=',
  threshold: 1.25,
  n: 300,
  minSamples: 100,
  status: 'inconclusive',
  pass: false,
  onFail: 'hold',
  basis: 'interval',
  moreSamples: null,
  ...over,
});

describe('holdSentence', () => {
  it('says more traffic would settle a straddling gate, but not one the timing error left undecided', () => {
    assert.equal(holdSentence([gate({})]), 'latency-p95 is not settled yet: more traffic would decide it.');
    assert.equal(
      holdSentence([gate({ timingError: { toleranceMs: 40, errorMs: 90, statusWithoutLimit: 'pass' } })]),
      "latency-p95 cannot be judged: the harness's own timing error was larger than its tolerance.",
    );
  });
});
