import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatContention } from '../../src/retry/contention-format.js';
import { compareContention, simulateContention } from '../../src/retry/contention-sim.js';
import { BACKOFF_STRATEGIES, JITTER_MODES } from '../../src/retry/policy.js';

describe('contention simulation', () => {
  it('under contention (100 clients) full jitter needs well under half the calls of un-jittered exponential', () => {
    const exponential = simulateContention({
      clients: 100,
      strategy: 'exponential',
      jitter: 'none',
      runs: 5,
      seed: 3,
    });
    const fullJitter = simulateContention({
      clients: 100,
      strategy: 'exponential-capped',
      jitter: 'full',
      runs: 5,
      seed: 3,
    });
    assert.ok(fullJitter.calls < exponential.calls / 2, `${fullJitter.calls} vs ${exponential.calls}`);
    // and finishes far sooner: un-jittered clients keep colliding in lockstep
    assert.ok(fullJitter.completionMs < exponential.completionMs / 2);
  });

  it('every client writes exactly once: calls = clients + conflicts', () => {
    for (const clients of [1, 7, 40]) {
      const r = simulateContention({ clients, strategy: 'decorrelated', jitter: 'none', runs: 3, seed: 5 });
      assert.ok(
        Math.abs(r.calls - (clients + r.conflicts)) < 1e-9,
        `${r.calls} vs ${clients} + ${r.conflicts}`,
      );
    }
  });

  it('a single client never conflicts and finishes after four network hops', () => {
    const r = simulateContention({ clients: 1, strategy: 'constant', jitter: 'none', runs: 20, seed: 1 });
    assert.equal(r.calls, 1);
    // four hops of |N(10, 2)|: around 40 ms
    assert.ok(r.completionMs > 30 && r.completionMs < 50, String(r.completionMs));
  });

  it('is deterministic for a seed and varies with it', () => {
    const a = simulateContention({
      clients: 30,
      strategy: 'exponential-capped',
      jitter: 'full',
      runs: 2,
      seed: 11,
    });
    const b = simulateContention({
      clients: 30,
      strategy: 'exponential-capped',
      jitter: 'full',
      runs: 2,
      seed: 11,
    });
    const c = simulateContention({
      clients: 30,
      strategy: 'exponential-capped',
      jitter: 'full',
      runs: 2,
      seed: 12,
    });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('compares every strategy and jitter pair, 100 clients x 3 runs, quickly', () => {
    const started = performance.now();
    const results = compareContention({ clients: 100, runs: 3, seed: 1 });
    const elapsedMs = performance.now() - started;
    assert.equal(results.length, BACKOFF_STRATEGIES.length * JITTER_MODES.length);
    // About 0.3 s on an idle core; the bound leaves room for a loaded CI machine.
    assert.ok(elapsedMs < 5_000, `took ${elapsedMs} ms`);
    const text = formatContention(results);
    assert.match(text, /^100 clients/);
    assert.equal(text.trim().split('\n').length, 3 + results.length);
  });
});
