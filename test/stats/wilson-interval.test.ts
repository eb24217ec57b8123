import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wilsonInterval } from '../../src/stats/wilson-interval.js';

function assertInterval(actual: [number, number], expected: [number, number], tolerance: number): void {
  assert.ok(Math.abs(actual[0] - expected[0]) <= tolerance, `lower ${actual[0]} vs ${expected[0]}`);
  assert.ok(Math.abs(actual[1] - expected[1]) <= tolerance, `upper ${actual[1]} vs ${expected[1]}`);
}

describe('wilsonInterval', () => {
  it('matches Newcombe (1998, Stat Med 17:857) table I for 81/263', () => {
    // Newcombe, "Two-sided confidence intervals for the single proportion", method 3: 0.2553 to 0.3662.
    assertInterval(wilsonInterval(81, 263), [0.2553, 0.3662], 5e-5);
  });

  it('matches the closed form at 0/10 and 5/10', () => {
    // 0/10: upper = z^2 / (n + z^2) = 3.841459 / 13.841459 = 0.277533 (z = 1.959964).
    assertInterval(wilsonInterval(0, 10), [0, 0.277533], 1e-6);
    // 5/10: centre 0.5, half-width z / (n + z^2) * sqrt(n/4 + z^2/4) = 0.263407.
    assertInterval(wilsonInterval(5, 10), [0.236593, 0.763407], 1e-6);
  });

  it('is exact at the boundaries and mirrors around one half', () => {
    assert.equal(wilsonInterval(0, 50)[0], 0);
    assert.equal(wilsonInterval(50, 50)[1], 1);
    const [lo, hi] = wilsonInterval(3, 40);
    const [mlo, mhi] = wilsonInterval(37, 40);
    assert.ok(Math.abs(lo - (1 - mhi)) < 1e-12 && Math.abs(hi - (1 - mlo)) < 1e-12);
  });

  it('widens with the confidence level', () => {
    const [lo95, hi95] = wilsonInterval(20, 100);
    const [lo99, hi99] = wilsonInterval(20, 100, 0.99);
    assert.ok(lo99 < lo95 && hi99 > hi95);
  });

  it('knows nothing at n = 0 and rejects impossible counts', () => {
    assert.deepEqual(wilsonInterval(0, 0), [0, 1]);
    assert.throws(() => wilsonInterval(11, 10), RangeError);
    assert.throws(() => wilsonInterval(1, 2.5), RangeError);
    assert.throws(() => wilsonInterval(1, 10, 1.2), RangeError);
  });
});
