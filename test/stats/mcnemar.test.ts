import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mcnemar } from '../../src/stats/mcnemar.js';

function assertRelClose(actual: number, expected: number, rel = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} vs ${expected}`);
}

describe('mcnemar', () => {
  it('uses the exact binomial below 25 discordant pairs', () => {
    // By hand: 2 * (C(10,0) + C(10,1) + C(10,2)) / 2^10 = 2 * 56 / 1024 = 0.109375.
    assert.deepEqual(mcnemar(2, 8), { statistic: 2, pValue: 0.109375, method: 'exact' });
    assert.deepEqual(mcnemar(8, 2), mcnemar(2, 8));
    // scipy 1.17.1 binomtest(6, 22, 0.5).pvalue = 0.052478790283203125 (Cavo et al. 2012 via Fagerland et al.)
    assertRelClose(mcnemar(6, 16).pValue, 0.052478790283203125);
    // 0 of 5: 2 / 32
    assert.equal(mcnemar(0, 5).pValue, 0.0625);
  });

  it('caps p at one and handles no discordant pairs', () => {
    assert.deepEqual(mcnemar(0, 0), { statistic: 0, pValue: 1, method: 'exact' });
    // 2 * P(X <= 12), X ~ Bin(24, 1/2), exceeds one.
    assert.deepEqual(mcnemar(12, 12), { statistic: 12, pValue: 1, method: 'exact' });
    assert.equal(mcnemar(13, 12).method, 'chi2');
  });

  it("matches Wikipedia's example with the continuity correction", () => {
    // Wikipedia "McNemar's test": b = 121, c = 59; corrected chi2 = (62 - 1)^2 / 180 = 20.672;
    // scipy 1.17.1 chi2.sf(20.672222222222222, 1) = 5.450094825427117e-06.
    const r = mcnemar(121, 59);
    assert.equal(r.method, 'chi2');
    assertRelClose(r.statistic, 3721 / 180);
    assertRelClose(r.pValue, 5.450094825427117e-6);
    // scipy 1.17.1 chi2.sf(17^2 / 42, 1) = 0.008711912962379598
    assertRelClose(mcnemar(30, 12).pValue, 0.008711912962379598);
  });

  it('rejects counts that are not non-negative integers', () => {
    assert.throws(() => mcnemar(-1, 3), RangeError);
    assert.throws(() => mcnemar(1.5, 3), RangeError);
  });
});
