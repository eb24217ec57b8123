import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRng } from '../../src/shared/clock.js';
import { drawDelayMs, lognormalDraw } from '../../src/sim/distributions.js';
import { chooseFault, FAULT_KINDS } from '../../src/sim/faults.js';
import { planResponse } from '../../src/sim/plan.js';
import { BUILTIN_PROFILES } from '../../src/sim/profiles.js';
import type { SimRequest } from '../../src/sim/sim-request.js';

function quantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

describe('delay distributions', () => {
  it('a lognormal fitted to a median and p99 gives them back', () => {
    const rng = seededRng(5);
    const draws = Array.from({ length: 20_000 }, () => lognormalDraw(600, 2500, rng)).sort((a, b) => a - b);
    assert.ok(Math.abs(quantile(draws, 0.5) - 600) < 30, `median ${quantile(draws, 0.5)}`);
    assert.ok(Math.abs(quantile(draws, 0.99) - 2500) < 300, `p99 ${quantile(draws, 0.99)}`);
    assert.ok(draws[draws.length - 1]! <= 4 * 2500);
  });

  it('fixed delays are exact and the same seed repeats the same draws', () => {
    assert.equal(drawDelayMs({ fixedMs: 42 }, seededRng(1)), 42);
    const a = seededRng(9);
    const b = seededRng(9);
    for (let i = 0; i < 10; i++) {
      assert.equal(drawDelayMs({ medianMs: 10, p99Ms: 50 }, a), drawDelayMs({ medianMs: 10, p99Ms: 50 }, b));
    }
  });
});

describe('fault choice', () => {
  it('walks the cumulative rates', () => {
    const rates = { '429': 0.1, '500': 0.2 };
    assert.equal(chooseFault(rates, 0.05), '429');
    assert.equal(chooseFault(rates, 0.15), '500');
    assert.equal(chooseFault(rates, 0.31), 'none');
    assert.equal(chooseFault({}, 0), 'none');
  });

  it('the flaky profile injects every kind at about its rate, reproducibly', () => {
    const profile = BUILTIN_PROFILES.flaky;
    const counts = new Map<string, number>();
    const n = 8000;
    for (let i = 0; i < n; i++) {
      const request: SimRequest = {
        api: 'openai',
        model: 'm',
        promptText: `prompt ${i}`,
        promptTokens: 3,
        maxTokens: 8,
        stream: false,
        includeUsage: false,
        json: null,
        tool: null,
      };
      const plan = planResponse(profile, 1, request, 0);
      assert.equal(planResponse(profile, 1, request, 0).fault, plan.fault);
      counts.set(plan.fault, (counts.get(plan.fault) ?? 0) + 1);
    }
    for (const kind of FAULT_KINDS) {
      const expected = (profile.faultRates[kind] ?? 0) * n;
      const seen = counts.get(kind) ?? 0;
      assert.ok(Math.abs(seen - expected) < 4 * Math.sqrt(expected) + 5, `${kind}: ${seen} vs ${expected}`);
    }
  });

  it('retries of one prompt (later samples) draw afresh', () => {
    const request: SimRequest = {
      api: 'openai',
      model: 'm',
      promptText: 'same',
      promptTokens: 1,
      maxTokens: 4,
      stream: false,
      includeUsage: false,
      json: null,
      tool: null,
    };
    const faults = new Set<string>();
    for (let sample = 0; sample < 50; sample++)
      faults.add(planResponse(BUILTIN_PROFILES.flaky, 1, request, sample).fault);
    assert.ok(faults.size > 3);
  });
});
