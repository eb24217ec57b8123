import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chiSquare1Sf,
  erfc,
  normalCdf,
  normalQuantile,
  normalSf,
  twoSidedZ,
} from '../../src/stats/normal.js';

function assertRelClose(actual: number, expected: number, rel = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} vs ${expected}`);
}

describe('normal distribution', () => {
  it('erfc matches scipy.special.erfc across both branches and tails', () => {
    // scipy 1.17.1: scipy.special.erfc(x)
    assertRelClose(erfc(0.3), 0.6713732405408726);
    assertRelClose(erfc(1), 0.15729920705028516);
    assertRelClose(erfc(3), 2.2090496998585445e-5);
    assertRelClose(erfc(5), 1.5374597944280347e-12);
    assertRelClose(erfc(10), 2.0884875837625446e-45);
    assertRelClose(erfc(-1.2), 1.9103139782296354);
    assert.equal(erfc(0), 1);
    assert.ok(Number.isNaN(erfc(Number.NaN)));
  });

  it('is continuous where the series hands over to the continued fraction', () => {
    assertRelClose(erfc(2.5 - 1e-12), erfc(2.5), 1e-10);
  });

  it('cdf and survival function match scipy.stats.norm, including a tiny upper tail', () => {
    // scipy 1.17.1: norm.cdf(-1.96), norm.cdf(0.5), norm.sf(6)
    assertRelClose(normalCdf(-1.96), 0.024997895148220435);
    assertRelClose(normalCdf(0.5), 0.6914624612740131);
    assertRelClose(normalSf(6), 9.865876450376946e-10);
  });

  it('quantile matches scipy.stats.norm.ppf in the centre and both tails', () => {
    // scipy 1.17.1: norm.ppf(p)
    assertRelClose(normalQuantile(0.975), 1.959963984540054);
    assertRelClose(normalQuantile(0.995), 2.5758293035489004);
    assertRelClose(normalQuantile(0.3), -0.5244005127080409);
    assertRelClose(normalQuantile(1e-10), -6.361340902404056);
    assertRelClose(normalQuantile(1 - 1e-9), 5.997807019601637, 1e-7);
    assert.equal(normalQuantile(0.5), 0);
    assert.equal(normalQuantile(0), Number.NEGATIVE_INFINITY);
    assert.equal(normalQuantile(1), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(normalQuantile(1.5)));
  });

  it('twoSidedZ rejects levels outside (0, 1)', () => {
    assertRelClose(twoSidedZ(0.95), 1.959963984540054);
    assert.throws(() => twoSidedZ(1), RangeError);
    assert.throws(() => twoSidedZ(0), RangeError);
  });

  it('chi-square(1) survival function matches the published critical values', () => {
    // chi2.ppf(0.95, 1) = 3.841458820694124; scipy chi2.sf(3721 / 180, 1) = 5.450094825427117e-06
    assertRelClose(chiSquare1Sf(3.841458820694124), 0.05, 1e-10);
    assertRelClose(chiSquare1Sf(3721 / 180), 5.450094825427117e-6);
    assert.equal(chiSquare1Sf(0), 1);
  });
});
