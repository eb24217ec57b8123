import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pairedProportionDiff } from '../../src/stats/paired-proportion.js';

describe('pairedProportionDiff', () => {
  it('matches the published Newcombe interval for Cavo et al. (2012)', () => {
    // Fagerland, Lydersen and Laake, Statistical Analysis of Contingency Tables (2017), ch. 8, table
    // [[59, 6], [16, 80]]: estimate -0.0621, Newcombe square-and-add 95% CI -0.1186 to -0.0046 for
    // p(first) - p(second). Here delta is second - first, so the signs and ends swap.
    const r = pairedProportionDiff({ bothFail: 59, onlyFirstFail: 6, onlySecondFail: 16, neitherFail: 80 });
    assert.ok(Math.abs(r.delta - 10 / 161) < 1e-12);
    assert.ok(Math.abs(r.ci[0] - 0.0046) < 5e-5, `lower ${r.ci[0]}`);
    assert.ok(Math.abs(r.ci[1] - 0.1186) < 5e-5, `upper ${r.ci[1]}`);
  });

  it('is antisymmetric when the arms swap', () => {
    const a = pairedProportionDiff({ bothFail: 3, onlyFirstFail: 4, onlySecondFail: 11, neitherFail: 182 });
    const b = pairedProportionDiff({ bothFail: 3, onlyFirstFail: 11, onlySecondFail: 4, neitherFail: 182 });
    assert.ok(Math.abs(a.delta + b.delta) < 1e-15);
    assert.ok(Math.abs(a.ci[0] + b.ci[1]) < 1e-12 && Math.abs(a.ci[1] + b.ci[0]) < 1e-12);
  });

  it('gives a real interval with no failures at all, shrinking with n', () => {
    const small = pairedProportionDiff({
      bothFail: 0,
      onlyFirstFail: 0,
      onlySecondFail: 0,
      neitherFail: 100,
    });
    assert.equal(small.delta, 0);
    // Both Wilson intervals are [0, z^2/(n+z^2)] and phi = 0, so the upper end is that bound.
    const z2 = 1.959963984540054 ** 2;
    assert.ok(Math.abs(small.ci[1] - z2 / (100 + z2)) < 1e-12);
    assert.ok(Math.abs(small.ci[0] + z2 / (100 + z2)) < 1e-12);
    const large = pairedProportionDiff({
      bothFail: 0,
      onlyFirstFail: 0,
      onlySecondFail: 0,
      neitherFail: 1000,
    });
    assert.ok(large.ci[1] < small.ci[1]);
  });

  it('contains the estimate and stays within [-1, 1]', () => {
    const r = pairedProportionDiff({ bothFail: 0, onlyFirstFail: 0, onlySecondFail: 5, neitherFail: 0 });
    assert.equal(r.delta, 1);
    assert.ok(r.ci[0] <= 1 && r.ci[1] === 1 && r.ci[0] > 0);
    const s = pairedProportionDiff({ bothFail: 10, onlyFirstFail: 2, onlySecondFail: 9, neitherFail: 300 });
    assert.ok(s.ci[0] < s.delta && s.delta < s.ci[1]);
  });

  it('returns NaN for an empty table and rejects bad counts', () => {
    const r = pairedProportionDiff({ bothFail: 0, onlyFirstFail: 0, onlySecondFail: 0, neitherFail: 0 });
    assert.ok(Number.isNaN(r.delta) && Number.isNaN(r.ci[0]) && Number.isNaN(r.ci[1]));
    assert.throws(
      () => pairedProportionDiff({ bothFail: -1, onlyFirstFail: 0, onlySecondFail: 0, neitherFail: 1 }),
      RangeError,
    );
  });
});
