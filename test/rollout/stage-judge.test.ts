/**
 * The stage judgement on hand-made rows: the sample-ratio check counts
 * distinct sticky keys, the 100% stage is judged against the baseline of the
 * earlier stages, and a fallback is a candidate failure in every gate.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ROLLOUT_PLAN, type RolloutPlan } from '../../src/rollout/plan.js';
import { rolloutMetrics } from '../../src/rollout/rollout-metrics.js';
import { judgeStage, planGateSpecs } from '../../src/rollout/stage-judge.js';
import { sampleRatioCheck } from '../../src/stats/sample-ratio.js';
import type { JudgedRequest } from '../../src/store/rollout-store.js';

const PLAN: RolloutPlan = { ...DEFAULT_ROLLOUT_PLAN, stages: [5, 100], minRequestsPerStage: 100 };

function row(over: Partial<JudgedRequest>): JudgedRequest {
  return {
    stage: 1,
    routed_arm: 'baseline',
    served_arm: 'baseline',
    fallback: 0,
    candidate_error_class: null,
    outcome: 'ok',
    latency_ms: 100,
    ttft_ms: null,
    cost_usd: 0.01,
    sticky_key_hash: 'k',
    ...over,
  };
}

describe('sampleRatioCheck', () => {
  it("reproduces scipy's chi-square p-values (scipy.stats.chisquare, chi2.sf)", () => {
    // chisquare([60, 40]) -> statistic 4.0, p 0.04550026389635857
    const even = sampleRatioCheck(60, 40, 0.5);
    assert.equal(even.chiSquare, 4);
    assert.ok(Math.abs(even.pValue! - 0.04550026389635857) < 1e-9, String(even.pValue));
    assert.equal(even.mismatch, false);
    // chisquare([30, 70], [25, 75]) -> statistic 4/3, p 0.24821307898992026
    const quarter = sampleRatioCheck(30, 70, 0.25);
    assert.ok(Math.abs(quarter.chiSquare! - 4 / 3) < 1e-12);
    assert.ok(Math.abs(quarter.pValue! - 0.24821307898992026) < 1e-9, String(quarter.pValue));
    assert.equal(sampleRatioCheck(200, 800, 0.1).mismatch, true);
  });
});

describe('judgeStage', () => {
  const specs = planGateSpecs(PLAN);

  it('counts distinct sticky keys: one heavy user on the candidate is not a broken assignment', () => {
    const rows: JudgedRequest[] = [];
    // 1,900 baseline users and 100 candidate users, one request each: exactly 5%.
    for (let i = 0; i < 1900; i++) rows.push(row({ sticky_key_hash: `b${i}` }));
    for (let i = 0; i < 100; i++)
      rows.push(row({ routed_arm: 'candidate', served_arm: 'candidate', sticky_key_hash: `c${i}` }));
    // One of those candidate users sends 400 more requests: by requests, the candidate has 21%.
    for (let i = 0; i < 400; i++)
      rows.push(row({ routed_arm: 'candidate', served_arm: 'candidate', sticky_key_hash: 'c0' }));
    const j = judgeStage(rows, 1, 5, specs, 0.95);
    assert.deepEqual([j.srm.candidate, j.srm.baseline], [100, 1900]);
    assert.equal(j.srm.mismatch, false);
    assert.doesNotMatch(j.reasons.join('\n'), /sample ratio mismatch/);
    // Counted by requests, the same split would be far beyond chance.
    assert.equal(sampleRatioCheck(500, 1900, 0.05).mismatch, true);
  });

  it('holds on a broken assignment, whatever the gates say, and says so', () => {
    const rows: JudgedRequest[] = [];
    for (let i = 0; i < 1800; i++) rows.push(row({ sticky_key_hash: `b${i}` }));
    for (let i = 0; i < 200; i++)
      rows.push(row({ routed_arm: 'candidate', served_arm: 'candidate', sticky_key_hash: `c${i}` }));
    const j = judgeStage(rows, 1, 5, specs, 0.95);
    assert.equal(j.decision, 'hold');
    assert.match(j.reasons[0]!, /^sample ratio mismatch: 200 of 2000 sticky keys \(10\.00%\).*5% stage/);
  });

  it('judges the 100% stage against the baseline observed in the earlier stages', () => {
    const rows: JudgedRequest[] = [];
    // Stage 1 at 50%: both arms healthy.
    for (let i = 0; i < 300; i++) rows.push(row({ sticky_key_hash: `b${i}` }));
    for (let i = 0; i < 300; i++)
      rows.push(row({ routed_arm: 'candidate', served_arm: 'candidate', sticky_key_hash: `c${i}` }));
    // Stage 2 at 100%: no baseline-routed request; the candidate now fails one request in five.
    for (let i = 0; i < 600; i++)
      rows.push(
        row({
          stage: 2,
          routed_arm: 'candidate',
          served_arm: i % 5 === 0 ? 'baseline' : 'candidate',
          fallback: i % 5 === 0 ? 1 : 0,
          candidate_error_class: i % 5 === 0 ? 'server_error' : null,
          sticky_key_hash: `d${i}`,
        }),
      );
    const j = judgeStage(rows, 2, 100, specs, 0.95);
    const delta = j.metrics['errors.delta'];
    assert.equal(delta.n, 300, 'the baseline side is the 300 requests of stage 1');
    assert.ok(Math.abs(delta.value! - 120 / 900) < 1e-12);
    assert.equal(j.decision, 'rollback');
    assert.ok(j.gates.some((g) => g.name === 'error-rate-increase' && g.status === 'fail'));
    assert.equal(j.srm.mismatch, false);
  });
});

describe('rolloutMetrics', () => {
  it('counts a fallback as a candidate failure in every metric, though the baseline answered it', () => {
    const rows: JudgedRequest[] = [];
    for (let i = 0; i < 200; i++)
      rows.push(row({ sticky_key_hash: `b${i}`, latency_ms: 100, cost_usd: 0.01 }));
    for (let i = 0; i < 200; i++) {
      const fell = i < 40;
      rows.push(
        row({
          routed_arm: 'candidate',
          served_arm: fell ? 'baseline' : 'candidate',
          fallback: fell ? 1 : 0,
          candidate_error_class: fell ? 'server_error' : null,
          // Served fine by the baseline, after the candidate's failed try.
          outcome: 'ok',
          latency_ms: fell ? 5000 : 100,
          cost_usd: fell ? 0.015 : 0.005,
          sticky_key_hash: `c${i}`,
        }),
      );
    }
    const m = rolloutMetrics(rows, 0.95);
    assert.equal(m['candidate.error_rate'].value, 0.2);
    assert.equal(m['errors.delta'].value, 0.2);
    assert.equal(m['rollout.fallback_rate'].value, 0.2);
    // The fallbacks' waits are the candidate side's tail: its p95 is a fallback's 5 s.
    assert.equal(m['latency.p95_ratio'].value, 50);
    // Mean candidate cost (40 x 0.015 + 160 x 0.005) / 200 = 0.007 against 0.01: 30% saved, not 50%.
    assert.ok(Math.abs(m['cost.savings_pct'].value! - 30) < 1e-9, String(m['cost.savings_pct'].value));
  });
});
