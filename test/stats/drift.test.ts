import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { driftShare, driftThreshold, isDrift } from '../../src/stats/drift.js';

describe('driftThreshold', () => {
  it('takes the 5th percentile of replica similarities by default', () => {
    // 21 values 0.80, 0.81, ..., 1.00: h = 20 * 0.05 = 1 -> 0.81.
    const replica = Array.from({ length: 21 }, (_, i) => 0.8 + i / 100).reverse();
    const t = driftThreshold(replica);
    assert.equal(t.source, 'replica');
    assert.ok(Math.abs(t.threshold - 0.81) < 1e-12);
    assert.ok(Math.abs(driftThreshold(replica, { percentile: 50 }).threshold - 0.9) < 1e-12);
  });

  it('falls back to 0.9, or the given value, without a replica', () => {
    assert.deepEqual(driftThreshold([]), { threshold: 0.9, source: 'default' });
    assert.deepEqual(driftThreshold([Number.NaN], { fallback: 0.7 }), { threshold: 0.7, source: 'default' });
  });
});

describe('drift flags', () => {
  it('flags only similarities strictly below the threshold', () => {
    assert.equal(isDrift(0.5, 0.6), true);
    assert.equal(isDrift(0.6, 0.6), false);
    assert.equal(driftShare([0.5, 0.6, 0.9, Number.NaN], 0.6), 1 / 3);
    assert.ok(Number.isNaN(driftShare([], 0.6)));
  });

  it('flags about 5% of prompts when the candidate is as noisy as the baseline', () => {
    const noise = Array.from({ length: 1000 }, (_, i) => 0.7 + (0.3 * ((i * 389) % 1000)) / 1000);
    const { threshold } = driftThreshold(noise);
    assert.ok(Math.abs(driftShare(noise, threshold) - 0.05) <= 0.002);
  });
});
