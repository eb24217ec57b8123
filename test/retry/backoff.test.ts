import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BackoffPolicy, backoffDelay, delayBounds } from '../../src/retry/backoff.js';
import { BACKOFF_STRATEGIES, JITTER_MODES } from '../../src/retry/policy.js';
import { seededRng } from '../../src/shared/clock.js';
import { scriptedRng } from './helpers.js';

const base: BackoffPolicy = {
  strategy: 'constant',
  jitter: 'none',
  jitterRange: [0.5, 1.5],
  baseDelayMs: 100,
  maxDelayMs: 1000,
};

/** Delays 1..count of one policy, chaining the strategy delay as the engine does. */
function sequence(policy: BackoffPolicy, count: number, rng = seededRng(7)): number[] {
  const out: number[] = [];
  let prev: number | null = null;
  for (let n = 1; n <= count; n++) {
    const d = backoffDelay(policy, n, prev, rng);
    prev = d.strategyDelayMs;
    out.push(d.delayMs);
  }
  return out;
}

describe('backoff strategies without jitter', () => {
  it('constant waits the base every time', () => {
    assert.deepEqual(sequence({ ...base, strategy: 'constant' }, 4), [100, 100, 100, 100]);
  });

  it('linear waits base x n, clamped to maxDelayMs', () => {
    assert.deepEqual(
      sequence({ ...base, strategy: 'linear', maxDelayMs: 350 }, 5),
      [100, 200, 300, 350, 350],
    );
  });

  it('exponential waits base x 2^(n-1), clamped to maxDelayMs', () => {
    assert.deepEqual(sequence({ ...base, strategy: 'exponential' }, 6), [100, 200, 400, 800, 1000, 1000]);
  });

  it('exponential-capped gives the same sequence as exponential when nothing randomises it', () => {
    assert.deepEqual(
      sequence({ ...base, strategy: 'exponential-capped' }, 6),
      sequence({ ...base, strategy: 'exponential' }, 6),
    );
  });

  it('decorrelated draws U(base, 3 x previous), capped', () => {
    // rng 0.5 -> midpoint: 100 + 0.5 x (300 - 100) = 200; then 100 + 0.5 x (600 - 100) = 350;
    // then 100 + 0.5 x (1050 - 100) = 575; then min(1000, 100 + 0.5 x (1725 - 100)) = 912.5
    assert.deepEqual(
      sequence({ ...base, strategy: 'decorrelated' }, 4, scriptedRng(0.5)),
      [200, 350, 575, 912.5],
    );
    // rng at its top end (just under 1) grows by 3x each time until the cap.
    const top = sequence({ ...base, strategy: 'decorrelated' }, 4, scriptedRng(0.999999));
    assert.ok(Math.abs(top[0]! - 300) < 0.01 && Math.abs(top[1]! - 900) < 0.01 && top[2] === 1000);
  });

  it('does not overflow for absurd attempt numbers', () => {
    const d = backoffDelay(
      { ...base, strategy: 'exponential', jitter: 'full' },
      5000,
      null,
      scriptedRng(0.5),
    );
    assert.equal(d.delayMs, 1000);
    assert.ok(Number.isFinite(d.strategyDelayMs));
  });
});

describe('jitter', () => {
  const exp: BackoffPolicy = { ...base, strategy: 'exponential-capped' };

  it('full: U(0, d)', () => {
    assert.deepEqual(sequence({ ...exp, jitter: 'full' }, 5, scriptedRng(0.25)), [25, 50, 100, 200, 250]);
  });

  it('equal: d/2 + U(0, d/2)', () => {
    assert.deepEqual(sequence({ ...exp, jitter: 'equal' }, 5, scriptedRng(0.5)), [75, 150, 300, 600, 750]);
  });

  it('range: d x U(lo, hi), default [0.5, 1.5], then clamped', () => {
    // rng 0 -> factor 0.5; rng 0.75 -> factor 1.25
    assert.deepEqual(sequence({ ...exp, jitter: 'range' }, 3, scriptedRng(0)), [50, 100, 200]);
    assert.deepEqual(
      sequence({ ...exp, jitter: 'range' }, 5, scriptedRng(0.75)),
      [125, 250, 500, 1000, 1000],
    );
    assert.deepEqual(
      sequence({ ...exp, jitter: 'range', jitterRange: [1, 2] }, 2, scriptedRng(0.5)),
      [150, 300],
    );
  });

  it('exponential jitters the uncapped value, so the clamp flattens it past the cap; exponential-capped keeps it', () => {
    // n = 6: raw 3200; full jitter at 0.25 -> 800 (uncapped) vs 0.25 x 1000 = 250 (capped first)
    assert.equal(
      backoffDelay({ ...base, strategy: 'exponential', jitter: 'full' }, 6, null, scriptedRng(0.25)).delayMs,
      800,
    );
    assert.equal(
      backoffDelay({ ...base, strategy: 'exponential-capped', jitter: 'full' }, 6, null, scriptedRng(0.25))
        .delayMs,
      250,
    );
  });

  it('the same seed gives the same sequence', () => {
    const p: BackoffPolicy = { ...exp, jitter: 'full' };
    assert.deepEqual(sequence(p, 8, seededRng(42)), sequence(p, 8, seededRng(42)));
    assert.notDeepEqual(sequence(p, 8, seededRng(42)), sequence(p, 8, seededRng(43)));
  });
});

describe('bounds as properties', () => {
  it('0 <= delay <= maxDelayMs and within delayBounds, for every strategy, jitter and many seeds', () => {
    for (const strategy of BACKOFF_STRATEGIES) {
      for (const jitter of JITTER_MODES) {
        const policy: BackoffPolicy = { ...base, strategy, jitter, baseDelayMs: 37, maxDelayMs: 2000 };
        for (let seed = 0; seed < 40; seed++) {
          const rng = seededRng(seed);
          let prev: number | null = null;
          for (let n = 1; n <= 15; n++) {
            const d = backoffDelay(policy, n, prev, rng);
            prev = d.strategyDelayMs;
            const b = delayBounds(policy, n);
            assert.ok(
              d.delayMs >= 0 && d.delayMs <= policy.maxDelayMs,
              `${strategy}/${jitter} n=${n}: ${d.delayMs}`,
            );
            assert.ok(
              d.delayMs >= b.minMs - 1e-9 && d.delayMs <= b.maxMs + 1e-9,
              `${strategy}/${jitter} n=${n}`,
            );
            assert.ok(
              d.strategyDelayMs >= b.strategyMinMs - 1e-9 && d.strategyDelayMs <= b.strategyMaxMs + 1e-9,
            );
          }
        }
      }
    }
  });

  it('delayBounds reports each jitter form around the strategy delay', () => {
    const p: BackoffPolicy = { ...base, strategy: 'linear', maxDelayMs: 10_000 };
    assert.deepEqual(delayBounds({ ...p, jitter: 'none' }, 3), {
      strategyMinMs: 300,
      strategyMaxMs: 300,
      minMs: 300,
      maxMs: 300,
    });
    assert.deepEqual(delayBounds({ ...p, jitter: 'full' }, 3), {
      strategyMinMs: 300,
      strategyMaxMs: 300,
      minMs: 0,
      maxMs: 300,
    });
    assert.deepEqual(delayBounds({ ...p, jitter: 'equal' }, 3), {
      strategyMinMs: 300,
      strategyMaxMs: 300,
      minMs: 150,
      maxMs: 300,
    });
    assert.deepEqual(delayBounds({ ...p, jitter: 'range' }, 3), {
      strategyMinMs: 300,
      strategyMaxMs: 300,
      minMs: 150,
      maxMs: 450,
    });
    assert.deepEqual(delayBounds({ ...p, strategy: 'decorrelated', jitter: 'none' }, 2), {
      strategyMinMs: 100,
      strategyMaxMs: 900,
      minMs: 100,
      maxMs: 900,
    });
  });
});
