import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { absErrorStats } from '../../bench/abs-error-stats.js';
import { DEFAULT_PG_ADMIN_URL, parseBenchArgs, QUICK_SIZES } from '../../bench/bench-options.js';
import { median, quantileSorted } from '../../bench/summary-stats.js';

describe('absErrorStats', () => {
  it('takes the median and nearest-rank p99 of |recorded - injected|, sign ignored', () => {
    // Errors: 1, 2, 3, 4 (two late, two early) -> median 2.5; p99 is the largest.
    const stats = absErrorStats([
      { recordedMs: 11, injectedMs: 10 },
      { recordedMs: 8, injectedMs: 10 },
      { recordedMs: 13, injectedMs: 10 },
      { recordedMs: 6, injectedMs: 10 },
    ]);
    assert.equal(stats.n, 4);
    assert.equal(stats.median_abs_error_ms, 2.5);
    assert.equal(stats.p99_abs_error_ms, 4);
    assert.equal(stats.max_abs_error_ms, 4);
    assert.equal(stats.mean_signed_error_ms, -0.5);
  });

  it('skips pairs with a missing side and counts them as unmatched', () => {
    const stats = absErrorStats([
      { recordedMs: 5, injectedMs: null },
      { recordedMs: null, injectedMs: 5 },
      { recordedMs: Number.NaN, injectedMs: 5 },
      { recordedMs: 7, injectedMs: 5 },
    ]);
    assert.equal(stats.n, 1);
    assert.equal(stats.unmatched, 3);
    assert.equal(stats.median_abs_error_ms, 2);
  });

  it('returns nulls, not NaN, when nothing matched', () => {
    const stats = absErrorStats([]);
    assert.equal(stats.median_abs_error_ms, null);
    assert.equal(stats.p99_abs_error_ms, null);
    assert.equal(stats.mean_signed_error_ms, null);
  });

  it('p99 of 1000 errors is the 990th smallest, not an interpolation', () => {
    const pairs = Array.from({ length: 1000 }, (_, i) => ({ recordedMs: i + 1, injectedMs: 0 }));
    assert.equal(absErrorStats(pairs).p99_abs_error_ms, 990);
  });
});

describe('summary stats', () => {
  it('median of odd and even counts, unsorted input', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), null);
  });

  it('quantileSorted clamps q to the observed range', () => {
    assert.equal(quantileSorted([1, 2, 3], 0), 1);
    assert.equal(quantileSorted([1, 2, 3], 1), 3);
  });
});

describe('parseBenchArgs', () => {
  it('picks the quick sizes and a section subset', () => {
    const o = parseBenchArgs(['--quick', '--json', '--only', 'store,retry']);
    assert.equal(o.quick, true);
    assert.equal(o.json, true);
    assert.deepEqual(o.sections, ['store', 'retry']);
    assert.deepEqual(o.sizes.scalePrompts, QUICK_SIZES.scalePrompts);
  });

  it('overrides the scale sizes, underscores allowed', () => {
    assert.deepEqual(parseBenchArgs(['--scale', '10_000,1_000_000']).sizes.scalePrompts, [10_000, 1_000_000]);
  });

  it('times the report on a given db, and on PostgreSQL unless told none', () => {
    const defaults = parseBenchArgs([]);
    assert.equal(defaults.reportDb, null);
    assert.equal(defaults.pgAdminUrl, DEFAULT_PG_ADMIN_URL);
    const o = parseBenchArgs(['--only', 'report', '--report-db', '/tmp/x.db', '--pg', 'none']);
    assert.equal(o.reportDb, '/tmp/x.db');
    assert.equal(o.pgAdminUrl, null);
    assert.equal(
      parseBenchArgs(['--pg', 'postgres://me@db:5432/postgres']).pgAdminUrl,
      'postgres://me@db:5432/postgres',
    );
  });

  it('rejects unknown flags and sections with one line naming them', () => {
    assert.throws(() => parseBenchArgs(['--fast']), /unknown flag --fast/);
    assert.throws(() => parseBenchArgs(['--only', 'speed']), /unknown section speed/);
    assert.throws(() => parseBenchArgs(['--out']), /--out needs a value/);
  });
});
