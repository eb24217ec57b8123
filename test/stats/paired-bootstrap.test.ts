import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRng } from '../../src/shared/clock.js';
import {
  driftShareBootstrap,
  pairedRatioBootstrap,
  selectPercentile,
} from '../../src/stats/paired-bootstrap.js';
import { percentile } from '../../src/stats/percentile.js';

function logNormal(n: number, seed: number): Float64Array {
  const rng = seededRng(seed);
  return Float64Array.from({ length: n }, () =>
    Math.exp(Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())),
  );
}

describe('selectPercentile', () => {
  test("equals numpy's linear percentile of the sorted data, ties and all", () => {
    for (const n of [1, 2, 7, 100, 1001]) {
      const x = logNormal(n, n);
      x[0] = x[n - 1]!;
      const sorted = x.slice().sort();
      for (const p of [0, 5, 50, 95, 99.9, 100]) {
        const want = percentile(sorted, p);
        const got = selectPercentile(x.slice(), p);
        assert.ok(Math.abs(got - want) <= 1e-12 * Math.abs(want), `n ${n} p ${p}: ${got} vs ${want}`);
      }
    }
  });
});

describe('pairedRatioBootstrap', () => {
  const base = logNormal(400, 1);
  test('pairing cancels the prompt effect: a candidate 1.3x on every prompt gets a tight interval around 1.3', () => {
    const cand = base.map((v) => v * 1.3);
    const [p50, p95] = pairedRatioBootstrap(
      base,
      cand,
      [
        { kind: 'percentile', p: 50 },
        { kind: 'percentile', p: 95 },
      ],
      { seed: 7 },
    );
    for (const r of [p50!, p95!]) {
      assert.ok(Math.abs(r.ratio - 1.3) < 1e-9);
      assert.ok(
        Math.abs(r.interval[0] - 1.3) < 1e-9 && Math.abs(r.interval[1] - 1.3) < 1e-9,
        JSON.stringify(r),
      );
    }
  });

  test('noise per prompt widens it; the same seed gives the same interval; the interval covers the estimate', () => {
    const noise = logNormal(400, 2);
    const cand = base.map((v, i) => v * noise[i]! ** 0.2);
    const a = pairedRatioBootstrap(base, cand, [{ kind: 'mean' }], { seed: 3 })[0]!;
    const b = pairedRatioBootstrap(base, cand, [{ kind: 'mean' }], { seed: 3 })[0]!;
    assert.deepEqual(a, b);
    assert.ok(a.interval[0] < a.ratio && a.ratio < a.interval[1]);
    assert.ok(a.interval[1] - a.interval[0] > 0.01);
  });

  test('above maxPairs it subsamples and rescales: the width stays close to the full bootstrap', () => {
    const big = logNormal(8000, 5);
    const noise = logNormal(8000, 6);
    const cand = big.map((v, i) => v * noise[i]! ** 0.3);
    const full = pairedRatioBootstrap(big, cand, [{ kind: 'percentile', p: 50 }], {
      seed: 1,
      maxPairs: 10_000,
    })[0]!;
    const sub = pairedRatioBootstrap(big, cand, [{ kind: 'percentile', p: 50 }], {
      seed: 1,
      maxPairs: 2000,
    })[0]!;
    const width = (r: typeof full) => r.interval[1] - r.interval[0];
    assert.equal(sub.ratio, full.ratio);
    assert.ok(Math.abs(width(sub) / width(full) - 1) < 0.35, `${width(sub)} vs ${width(full)}`);
  });
});

describe('driftShareBootstrap', () => {
  test("the threshold's own noise widens the interval beyond the candidate's binomial spread", () => {
    const rng = seededRng(11);
    const sims = (n: number) => Float64Array.from({ length: n }, () => 0.9 + 0.1 * rng()).sort();
    const replica = sims(120);
    const candidate = sims(400);
    const r = driftShareBootstrap(replica, candidate, 5, { seed: 2 });
    assert.ok(r.interval[0] <= r.share && r.share <= r.interval[1]);
    // Binomial alone: z(0.95) * sqrt(0.05 * 0.95 / 400) = 0.018 either side.
    assert.ok(r.interval[1] - r.interval[0] > 2 * 0.018, JSON.stringify(r));
  });
});
