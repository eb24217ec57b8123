import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AbsErrorStats } from '../../bench/abs-error-stats.js';
import { excessTarget } from '../../bench/sections/accuracy.js';

function stats(median: number | null, p99: number | null): AbsErrorStats {
  return {
    n: 100,
    unmatched: 0,
    median_abs_error_ms: median,
    p99_abs_error_ms: p99,
    max_abs_error_ms: p99,
    mean_signed_error_ms: median,
  };
}

describe('accuracy targets: the excess over the raw undici reference of the same run', () => {
  it('c64 meets the target within +0.5 ms median and +2 ms p99 of raw, and misses it past either', () => {
    const raw = stats(0.6, 3.5);
    assert.deepEqual(excessTarget('c64', stats(1.0, 5.0), raw), {
      value: '0.40 / 1.50',
      target: '<= +0.5 / +2',
      met: true,
    });
    assert.equal(excessTarget('c64', stats(1.2, 5.0), raw).met, false);
    assert.equal(excessTarget('c64', stats(1.0, 5.6), raw).met, false);
  });

  it('c1 is held to +0.3 ms at the median only; c512 has no target', () => {
    const raw = stats(1.0, 3.0);
    assert.equal(excessTarget('c1', stats(1.25, 30), raw).met, true);
    assert.equal(excessTarget('c1', stats(1.35, 3), raw).met, false);
    assert.deepEqual(excessTarget('c512', stats(400, 800), stats(200, 500)), { value: '200.00 / 300.00' });
  });

  it('without a raw reference the target is not met rather than read as zero', () => {
    assert.deepEqual(excessTarget('c64', stats(0.1, 0.2), null), {
      value: 'n/a / n/a',
      target: '<= +0.5 / +2',
      met: false,
    });
  });
});
