import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jitterRng, seededJitter } from '../../src/runner/jitter-rng.js';

const draws = (rng: () => number, n = 3) => Array.from({ length: n }, rng);

describe('jitterRng', () => {
  it('is a function of (seed, prompt id, arm) alone', () => {
    assert.deepEqual(draws(jitterRng(1, 'p-0001', 'baseline')), draws(jitterRng(1, 'p-0001', 'baseline')));
    const base = draws(jitterRng(1, 'p-0001', 'baseline'));
    assert.notDeepEqual(draws(jitterRng(2, 'p-0001', 'baseline')), base, 'the seed');
    assert.notDeepEqual(draws(jitterRng(1, 'p-0002', 'baseline')), base, 'the prompt');
    assert.notDeepEqual(draws(jitterRng(1, 'p-0001', 'candidate')), base, 'the arm');
    assert.notDeepEqual(draws(jitterRng(1, 'p-0001', 'baseline_replica')), base, 'the replica arm');
  });

  it('draws uniform values in [0, 1) across streams', () => {
    const firsts = Array.from({ length: 2000 }, (_, i) => jitterRng(7, `p-${i}`, 'candidate')());
    assert.ok(firsts.every((x) => x >= 0 && x < 1));
    const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
    assert.ok(Math.abs(mean - 0.5) < 0.03, `mean ${mean}`);
  });
});

describe('seededJitter', () => {
  it('draws exactly what jitterRng draws, derived on the first draw', () => {
    const factory = seededJitter(5);
    assert.deepEqual(draws(factory('p-0003', 'candidate'), 5), draws(jitterRng(5, 'p-0003', 'candidate'), 5));
  });
});
