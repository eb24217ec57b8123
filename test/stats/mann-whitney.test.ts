import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRng } from '../../src/shared/clock.js';
import { mannWhitneyU } from '../../src/stats/mann-whitney.js';
import { RandomVariates } from '../../src/stats/random-variates.js';

describe('mannWhitneyU', () => {
  it('matches scipy.stats.mannwhitneyu (asymptotic, continuity) on samples with ties', () => {
    // scipy 1.17: mannwhitneyu(y, x, alternative=..., method='asymptotic', use_continuity=True)
    const x = [1, 4, 2, 6, 9, 3.5];
    const y = [3, 5, 7, 8, 10, 11, 4, 6];
    const r = mannWhitneyU(x, y);
    assert.equal(r.u, 36);
    assert.ok(Math.abs(r.pTwoSided - 0.13677268740537696) < 1e-12, String(r.pTwoSided));
    assert.ok(Math.abs(r.pGreater - 0.06838634370268848) < 1e-12, String(r.pGreater));
    assert.ok(Math.abs(r.pLess - 0.9470933904736628) < 1e-12, String(r.pLess));
  });

  it('U counts the pairs where y is larger; complete separation is significant', () => {
    const x = Array.from({ length: 20 }, (_, i) => i);
    const y = Array.from({ length: 20 }, (_, i) => 100 + i);
    const r = mannWhitneyU(x, y);
    assert.equal(r.u, 400);
    assert.ok(r.pGreater < 1e-6);
    assert.ok(r.pLess > 0.999);
    assert.equal(mannWhitneyU(y, x).u, 0);
  });

  it('rejects at its level under the null: about 5% of 2,000 seeded A/A comparisons at p < 0.05', () => {
    let rejected = 0;
    const trials = 2000;
    for (let s = 1; s <= trials; s++) {
      const v = new RandomVariates(seededRng(s));
      const a = Array.from({ length: 40 }, () => Math.exp(v.normal()));
      const b = Array.from({ length: 40 }, () => Math.exp(v.normal()));
      if (mannWhitneyU(a, b).pTwoSided < 0.05) rejected++;
    }
    const rate = rejected / trials;
    assert.ok(rate > 0.035 && rate < 0.065, `rejection rate ${rate}`);
  });

  it('gives NaN for an empty sample and 1 when every value is equal', () => {
    assert.ok(Number.isNaN(mannWhitneyU([], [1, 2]).pTwoSided));
    assert.equal(mannWhitneyU([3, 3], [3, 3, 3]).pTwoSided, 1);
  });
});
