import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentile, summarize } from '../../src/stats/percentile.js';

function assertClose(actual: number, expected: number, tolerance = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} vs ${expected}`);
}

describe('percentile', () => {
  it('interpolates linearly between closest ranks, as numpy.percentile does by default', () => {
    // By hand, h = (n - 1) p / 100: [1,2,3,4] at 90 -> h = 2.7 -> 3 + 0.7 * (4 - 3) = 3.7.
    assertClose(percentile([1, 2, 3, 4], 90), 3.7);
    // numpy 2 np.percentile([15, 20, 35, 40, 50], [0, 25, 40, 50, 95, 100]) -> [15, 20, 29, 35, 48, 50]
    const sorted = [15, 20, 35, 40, 50];
    const expected = [15, 20, 29, 35, 48, 50];
    for (const [i, p] of [0, 25, 40, 50, 95, 100].entries()) assertClose(percentile(sorted, p), expected[i]!);
  });

  it('returns the single value for one element and NaN for none', () => {
    assert.equal(percentile([7], 0), 7);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it('accepts typed arrays', () => {
    assertClose(percentile(Float64Array.from([1, 2, 3, 4]), 90), 3.7);
  });

  it('rejects p outside [0, 100]', () => {
    assert.throws(() => percentile([1, 2], 101), RangeError);
    assert.throws(() => percentile([1, 2], -1), RangeError);
    assert.throws(() => percentile([1, 2], Number.NaN), RangeError);
  });
});

describe('summarize', () => {
  it('sorts a copy and matches numpy on unsorted data', () => {
    const values = [-5, 0.5, 12, 100, 3, 3, 7, 250, 1, 9];
    const before = [...values];
    const s = summarize(values);
    // numpy: np.percentile(values, [50, 90, 95, 99]) -> [5, 115, 182.5, 236.5]; np.mean -> 38.05
    assert.equal(s.n, 10);
    assertClose(s.mean, 38.05);
    assert.equal(s.min, -5);
    assert.equal(s.max, 250);
    assertClose(s.p50, 5);
    assertClose(s.p90, 115);
    assertClose(s.p95, 182.5);
    assertClose(s.p99, 236.5);
    assert.deepEqual(values, before);
  });

  it('matches numpy on data with ties', () => {
    // numpy: np.percentile([3.5, 1, 10, 2, 2, 8], [50, 90, 95, 99]) -> [2.75, 9, 9.5, 9.9]
    const s = summarize([3.5, 1, 10, 2, 2, 8]);
    assertClose(s.p50, 2.75);
    assertClose(s.p90, 9);
    assertClose(s.p95, 9.5);
    assertClose(s.p99, 9.9);
  });

  it('skips NaN and gives NaN fields when nothing is left', () => {
    const s = summarize([Number.NaN, 4, Number.NaN, 2]);
    assert.equal(s.n, 2);
    assert.equal(s.mean, 3);
    const empty = summarize([]);
    assert.equal(empty.n, 0);
    for (const key of ['mean', 'min', 'max', 'p50', 'p90', 'p95', 'p99'] as const) {
      assert.ok(Number.isNaN(empty[key]), key);
    }
  });

  it('summarises a million values in well under a second', () => {
    const values = new Float64Array(1_000_000);
    for (let i = 0; i < values.length; i++) values[i] = (i * 7919) % 1_000_003;
    const started = performance.now();
    const s = summarize(values);
    const elapsedMs = performance.now() - started;
    assert.equal(s.n, 1_000_000);
    assert.ok(s.min <= s.p50 && s.p50 <= s.p99 && s.p99 <= s.max);
    assert.ok(elapsedMs < 3000, `took ${elapsedMs} ms`);
  });
});
