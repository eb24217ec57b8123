import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exactSignedRankCdf, wilcoxonSignedRank } from '../../src/stats/wilcoxon.js';

function assertRelClose(actual: number, expected: number, rel = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} vs ${expected}`);
}

describe('wilcoxonSignedRank', () => {
  it("reproduces the scipy documentation's example exactly", () => {
    // scipy.stats.wilcoxon docs (Cushny and Peebles' data as in Fisher): statistic 24.0, p 0.041259765625.
    const d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];
    const r = wilcoxonSignedRank(d);
    assert.deepEqual(r, { n: 15, statistic: 24, pValue: 0.041259765625, method: 'exact' });
  });

  it('is symmetric in sign and unaffected by order', () => {
    const d = [0.3, -1.2, 2.2, -0.1, 1.7, 0.9, -0.4, 2.8, 1.1, 0.05, -0.7, 1.9];
    const r = wilcoxonSignedRank(d);
    // scipy 1.17.1: wilcoxon(d, method='exact') -> statistic 19.0, p 0.12939453125
    assert.equal(r.statistic, 19);
    assert.equal(r.pValue, 0.12939453125);
    assert.deepEqual(wilcoxonSignedRank(d.map((v) => -v).reverse()), r);
  });

  it('drops zeros and uses the tie-corrected normal approximation when there are ties', () => {
    // Wikipedia's worked example (x2 - x1 with one zero and two tied 5s); by hand: W- = 18, n = 9,
    // var = 9*10*19/24 - (2^3 - 2)/48 = 71.125, z = (18 - 22.5 + 0.5)/sqrt(71.125).
    // scipy 1.17.1 wilcoxon(d, method='approx', correction=True): statistic 18.0, p 0.6352893188352069
    const d = [15, -7, 5, 20, 0, -9, 17, -12, 5, -10];
    const r = wilcoxonSignedRank(d);
    assert.equal(r.n, 9);
    assert.equal(r.statistic, 18);
    assert.equal(r.method, 'normal');
    assertRelClose(r.pValue, 0.6352893188352069);
  });

  it('uses the normal approximation above 25 differences', () => {
    // scipy 1.17.1 wilcoxon(d, method='approx', correction=True): statistic 61.5, p 0.0004517785136615637
    const d = [
      1.5, -0.5, 2, 2, 3, -1, 4, 4, 4, 5, -2, 6, 7, -3, 8, 9, 10, 1.5, 2.5, 3.5, -4.5, 5.5, 6.5, 7.5, 8.5,
      9.5, 10.5, -11, 12, 13,
    ];
    const r = wilcoxonSignedRank(d);
    assert.equal(r.n, 30);
    assert.equal(r.statistic, 61.5);
    assert.equal(r.method, 'normal');
    assertRelClose(r.pValue, 0.0004517785136615637);
  });

  it('has an exact null distribution that sums to one and matches enumeration', () => {
    assert.equal(exactSignedRankCdf(10, 55), 1);
    // n = 3: sums of subsets of {1,2,3} are 0,1,2,3,3,4,5,6 -> P(W <= 3) = 5/8.
    assert.equal(exactSignedRankCdf(3, 3), 5 / 8);
  });

  it('gives p = 1 for perfectly balanced differences and NaN when nothing is left', () => {
    assert.equal(wilcoxonSignedRank([1, -1, 2, -2]).pValue, 1);
    const empty = wilcoxonSignedRank([0, 0, Number.NaN]);
    assert.equal(empty.n, 0);
    assert.ok(Number.isNaN(empty.pValue));
  });

  it('detects a shift in a million differences quickly', () => {
    const d = new Float64Array(1_000_000);
    for (let i = 0; i < d.length; i++) d[i] = ((i * 7919) % 1000) - 490;
    const started = performance.now();
    const r = wilcoxonSignedRank(d);
    const elapsedMs = performance.now() - started;
    assert.equal(r.method, 'normal');
    assert.ok(r.pValue < 1e-6, `p = ${r.pValue}`);
    assert.ok(elapsedMs < 4000, `took ${elapsedMs} ms`);
  });
});
