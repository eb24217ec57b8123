import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRng } from '../../src/shared/clock.js';
import { bootstrapMedianCi, sampleBootstrapMedians } from '../../src/stats/bootstrap.js';
import { RandomVariates } from '../../src/stats/random-variates.js';

/** Exact bootstrap law of the median for odd n (Efron 1982): P(median* <= x(j)) = P(Bin(n, j/n) >= (n+1)/2). */
function exactMedianCdf(n: number, j: number): number {
  const k = (n + 1) / 2;
  const q = j / n;
  let total = 0;
  let coefficient = 1;
  for (let i = 0; i <= n; i++) {
    if (i >= k) total += coefficient * q ** i * (1 - q) ** (n - i);
    coefficient = (coefficient * (n - i)) / (i + 1);
  }
  return total;
}

function naiveResampleMedian(sorted: number[], rng: () => number): number {
  const draw = sorted.map(() => sorted[Math.floor(rng() * sorted.length)]!).sort((a, b) => a - b);
  const mid = draw.length / 2;
  return draw.length % 2 === 1 ? draw[Math.floor(mid)]! : (draw[mid - 1]! + draw[mid]!) / 2;
}

describe('bootstrap medians', () => {
  it('draws resample medians from the exact bootstrap distribution (odd n)', () => {
    const sorted = Float64Array.from([1, 2, 3, 4, 5, 6, 7]);
    const draws = 100_000;
    const medians = sampleBootstrapMedians(sorted, draws, seededRng(11));
    for (let j = 1; j < 7; j++) {
      let atOrBelow = 0;
      for (const m of medians) if (m <= j) atOrBelow++;
      const expected = exactMedianCdf(7, j);
      // Standard error of a proportion from 1e5 draws is at most 0.0016.
      assert.ok(
        Math.abs(atOrBelow / draws - expected) < 0.008,
        `j=${j}: ${atOrBelow / draws} vs ${expected}`,
      );
    }
  });

  it('matches naive resampling for even n, where the median averages two draws', () => {
    const values = [1, 2, 4, 8, 16, 32];
    const draws = 60_000;
    const fast = sampleBootstrapMedians(Float64Array.from(values), draws, seededRng(5));
    const rng = seededRng(99);
    const naive = Array.from({ length: draws }, () => naiveResampleMedian(values, rng));
    const levels = new Set<number>(naive);
    for (const level of levels) {
      const share = (xs: ArrayLike<number>) => Array.from(xs).filter((m) => m <= level).length / draws;
      assert.ok(Math.abs(share(fast) - share(naive)) < 0.012, `level ${level}`);
    }
  });

  it('draws Beta variates with the right mean and variance', () => {
    const variates = new RandomVariates(seededRng(3));
    const n = 50_000;
    let sum = 0;
    let sumSquares = 0;
    for (let i = 0; i < n; i++) {
      const x = variates.beta(2, 5);
      sum += x;
      sumSquares += x * x;
    }
    const mean = sum / n;
    // Beta(2, 5): mean 2/7, variance 2*5 / (7^2 * 8) = 0.025510
    assert.ok(Math.abs(mean - 2 / 7) < 0.005);
    assert.ok(Math.abs(sumSquares / n - mean * mean - 10 / 392) < 0.002);
  });
});

describe('bootstrapMedianCi', () => {
  const data = Array.from({ length: 301 }, (_, i) => ((i * 37) % 301) + 0.5);

  it('is deterministic for a seed and changes with it', () => {
    const a = bootstrapMedianCi(data, { seed: 42 });
    assert.deepEqual(bootstrapMedianCi(data, { seed: 42 }), a);
    assert.notDeepEqual(bootstrapMedianCi(data, { seed: 43, resamples: 500 }), a);
    assert.ok(a[0] <= 150.5 && 150.5 <= a[1], `sample median inside ${a}`);
  });

  it('narrows as the confidence level drops', () => {
    const [lo95, hi95] = bootstrapMedianCi(data, { seed: 1 });
    const [lo80, hi80] = bootstrapMedianCi(data, { seed: 1, confidence: 0.8 });
    assert.ok(lo80 >= lo95 && hi80 <= hi95 && hi80 - lo80 < hi95 - lo95);
  });

  it('covers the true median of a known distribution about 95% of the time', () => {
    // Exponential(1): true median ln 2. 200 samples of 201 values each.
    const rng = seededRng(2024);
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const sample = Array.from({ length: 201 }, () => -Math.log(1 - rng()));
      const [lo, hi] = bootstrapMedianCi(sample, { seed: t, resamples: 1000 });
      if (lo <= Math.LN2 && Math.LN2 <= hi) covered++;
    }
    assert.ok(covered >= 178 && covered <= 198, `covered ${covered} of ${trials}`);
  });

  it('handles degenerate inputs', () => {
    assert.deepEqual(bootstrapMedianCi([], { seed: 1 }), [Number.NaN, Number.NaN]);
    assert.deepEqual(bootstrapMedianCi([5], { seed: 1 }), [5, 5]);
    assert.deepEqual(bootstrapMedianCi([Number.NaN, 5, 5, 5], { seed: 1 }), [5, 5]);
    assert.throws(() => bootstrapMedianCi([1, 2], { seed: 1, resamples: 0 }), RangeError);
    assert.throws(() => bootstrapMedianCi([1, 2], { seed: 1, confidence: 1 }), RangeError);
  });

  it('takes about a second at most for a million differences, and is tight there', () => {
    const rng = seededRng(8);
    const values = new Float64Array(1_000_000);
    for (let i = 0; i < values.length; i++) values[i] = 100 + 50 * (rng() - 0.5);
    const started = performance.now();
    const [lo, hi] = bootstrapMedianCi(values, { seed: 1 });
    const elapsedMs = performance.now() - started;
    // Uniform(75, 125): median 100, standard error of the median 1 / (2 f sqrt(n)) = 0.025.
    assert.ok(lo < 100.1 && hi > 99.9 && hi - lo < 0.2, `[${lo}, ${hi}]`);
    assert.ok(elapsedMs < 3000, `took ${elapsedMs} ms`);
  });
});
