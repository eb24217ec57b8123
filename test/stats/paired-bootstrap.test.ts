import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRng } from '../../src/shared/clock.js';
import {
  type ArmStatistic,
  binomial,
  driftShareBootstrap,
  pairedRatioBootstrap,
  selectPercentile,
} from '../../src/stats/paired-bootstrap.js';
import { percentile } from '../../src/stats/percentile.js';
import { RandomVariates } from '../../src/stats/random-variates.js';

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

/** The bootstrap as first written: each resample materialised, then selected in (or summed). */
function materialisedBootstrap(
  b: Float64Array,
  c: Float64Array,
  statistics: readonly ArmStatistic[],
  seed: number,
  resamples: number,
  level: number,
): [number, number][] {
  const rng = seededRng(seed);
  const m = b.length;
  const of = (v: Float64Array, s: ArmStatistic) =>
    s.kind === 'mean' ? v.reduce((a, x) => a + x, 0) / v.length : selectPercentile(v, s.p);
  const draws = statistics.map(() => new Float64Array(resamples));
  const rb = new Float64Array(m);
  const rc = new Float64Array(m);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < m; i++) {
      const j = Math.floor(rng() * m);
      rb[i] = b[j]!;
      rc[i] = c[j]!;
    }
    statistics.forEach((s, k) => {
      const base = of(rb.slice(), s);
      draws[k]![r] = base > 0 ? of(rc.slice(), s) / base : Number.NaN;
    });
  }
  const tail = ((1 - level) / 2) * 100;
  return draws.map((d, k) => {
    const sorted = d.filter((v) => Number.isFinite(v)).sort();
    const s = statistics[k]!;
    const full = of(c.slice(), s) / of(b.slice(), s);
    // Written as the bootstrap writes it (centred on the full-sample ratio), so rounding agrees too.
    return [full - (full - percentile(sorted, tail)), full + (percentile(sorted, 100 - tail) - full)];
  });
}

describe('pairedRatioBootstrap by counting', () => {
  test('gives the bounds, bit for bit, that materialising every resample gives: percentiles, means, ties, tiny n', () => {
    const statistics: ArmStatistic[] = [
      { kind: 'percentile', p: 95 },
      { kind: 'mean' },
      { kind: 'percentile', p: 50 },
      { kind: 'percentile', p: 0 },
      { kind: 'percentile', p: 37.3 },
      { kind: 'percentile', p: 100 },
    ];
    for (const n of [1, 2, 3, 10, 101, 400]) {
      const b = logNormal(n, 10 + n);
      const c = logNormal(n, 20 + n);
      // Ties within an arm and across arms.
      if (n > 3) {
        b[1] = b[0]!;
        b[2] = b[0]!;
        c[3] = b[0]!;
      }
      const got = pairedRatioBootstrap(b, c, statistics, { seed: n, resamples: 300, level: 0.9 });
      const want = materialisedBootstrap(b, c, statistics, n, 300, 0.9);
      for (const [k, g] of got.entries()) assert.deepEqual(g.interval, want[k], `n ${n}, statistic ${k}`);
    }
  });

  test('and so for random lists of percentiles, repeats and neighbours included', () => {
    const rng = seededRng(77);
    for (let trial = 0; trial < 60; trial++) {
      const n = 1 + Math.floor(rng() * 60);
      const ps = Array.from({ length: 1 + Math.floor(rng() * 6) }, () =>
        rng() < 0.3 ? 50 : Math.round(rng() * 1000) / 10,
      );
      if (ps.length > 1 && rng() < 0.5) ps.push(ps[0]!);
      const statistics: ArmStatistic[] = ps.map((p) => ({ kind: 'percentile', p }));
      const b = logNormal(n, 100 + trial);
      const c = logNormal(n, 200 + trial);
      const got = pairedRatioBootstrap(b, c, statistics, { seed: trial, resamples: 50, level: 0.8 });
      const want = materialisedBootstrap(b, c, statistics, trial, 50, 0.8);
      for (const [k, g] of got.entries())
        assert.deepEqual(g.interval, want[k], `n ${n}, percentiles ${ps.join(', ')}, statistic ${k}`);
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

describe('binomial', () => {
  const pmf = (n: number, p: number, x: number) => {
    let logC = 0;
    for (let i = 1; i <= x; i++) logC += Math.log((n - x + i) / i);
    return Math.exp(logC + x * Math.log(p) + (n - x) * Math.log1p(-p));
  };
  test('draws each count with its binomial probability: small and large p, n up to 1000', () => {
    for (const [n, p] of [
      [1, 0.5],
      [20, 0.3],
      [20, 0.85],
      [400, 0.05],
      [1000, 0.5],
    ] as const) {
      const rng = seededRng(n + Math.round(p * 100));
      const variates = new RandomVariates(rng);
      const draws = 40_000;
      const freq = new Map<number, number>();
      for (let i = 0; i < draws; i++) {
        const x = binomial(n, p, rng, variates);
        assert.ok(Number.isInteger(x) && x >= 0 && x <= n, `${x}`);
        freq.set(x, (freq.get(x) ?? 0) + 1);
      }
      // Every count's frequency within 5 standard errors of its probability.
      for (let x = 0; x <= n; x++) {
        const want = pmf(n, p, x);
        const got = (freq.get(x) ?? 0) / draws;
        const se = Math.sqrt((want * (1 - want)) / draws);
        assert.ok(Math.abs(got - want) <= 5 * se + 1e-4, `n ${n} p ${p} x ${x}: ${got} vs ${want}`);
      }
    }
  });

  test('0 and 1 are certain; the same seed gives the same draws', () => {
    const v = new RandomVariates(seededRng(1));
    assert.equal(binomial(50, 0, seededRng(1), v), 0);
    assert.equal(binomial(50, 1, seededRng(1), v), 50);
    const a = seededRng(9);
    const b = seededRng(9);
    const va = new RandomVariates(a);
    const vb = new RandomVariates(b);
    for (let i = 0; i < 100; i++) assert.equal(binomial(300, 0.2, a, va), binomial(300, 0.2, b, vb));
  });
});
