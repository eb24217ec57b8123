import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildShadowReport, resolveShadowRunId } from '../../src/report/shadow-model.js';
import type { ShadowReport } from '../../src/report/shadow-report.js';
import { UsageError } from '../../src/shared/errors.js';
import { fixtureDb, RUN_ID, writeFixture } from './fixture-db.js';

const GENERATED_AT = '2026-01-06T00:00:00.000Z';

function build(
  options: { replica?: boolean; monthly?: { requests: number } | { tokens: number } } = {},
): ShadowReport {
  const db = fixtureDb({ replica: options.replica });
  try {
    return buildShadowReport(db, { runId: RUN_ID, generatedAt: GENERATED_AT, monthly: options.monthly });
  } finally {
    db.close();
  }
}

function near(actual: number | null | undefined, expected: number, tolerance = 1e-9): void {
  assert.ok(actual !== null && actual !== undefined, `expected ${expected}, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

describe('buildShadowReport on the hand-made run', () => {
  const report = build();
  const baseline = report.arms.baseline!;
  const candidate = report.arms.candidate!;

  test('counts, error rates and their Wilson intervals per arm', () => {
    assert.equal(baseline.requests, 6);
    assert.equal(baseline.ok, 5);
    near(baseline.errorRate, 1 / 6);
    // Wilson 90% (each end a one-sided 95% bound), z = 1.644854, from the closed form.
    near(baseline.errorRateCi![0], 0.0381056, 1e-6);
    near(baseline.errorRateCi![1], 0.5024171, 1e-6);
    assert.equal(candidate.ok, 4);
    // The circuit_open refusal leaves the error rate: 1 provider error of the 5 requests sent.
    assert.equal(candidate.refused, 1);
    near(candidate.errorRate, 1 / 5);
    near(candidate.errorRateCi![0], 0.0459625, 1e-6);
    near(candidate.errorRateCi![1], 0.5647074, 1e-6);
  });

  test('errors by class keep the 5xx status; engine refusals stand apart', () => {
    assert.deepEqual(baseline.errorsByClass, { http_503: 1 });
    assert.deepEqual(baseline.engineRefusals, {});
    assert.deepEqual(candidate.errorsByClass, { timeout_headers: 1 });
    assert.deepEqual(candidate.engineRefusals, { circuit_open: 1 });
    assert.equal(candidate.providerErrors, 1);
  });

  test('retries: share retried, mean attempts, success after retry', () => {
    near(baseline.retriedShare, 2 / 6);
    near(baseline.meanAttempts, 9 / 6);
    near(baseline.successAfterRetry, 1 / 2);
    near(candidate.meanAttempts, 7 / 5);
    near(candidate.successAfterRetry, 0);
  });

  test('latency percentiles interpolate linearly between closest ranks (numpy default)', () => {
    // Baseline ok latencies 100, 200, 300, 400, 600.
    assert.equal(baseline.latencyMs.n, 5);
    near(baseline.latencyMs.mean, 320);
    near(baseline.latencyMs.p50, 300);
    near(baseline.latencyMs.p90, 520);
    near(baseline.latencyMs.p95, 560);
    near(baseline.latencyMs.p99, 592);
    near(baseline.serviceMs.p50, 150);
    near(baseline.ttftMs.p95, 56);
    // Candidate ok latencies 150, 180, 250, 500.
    near(candidate.latencyMs.p50, 215);
    near(candidate.latencyMs.p95, 462.5);
    near(candidate.ttftMs.p95, 47);
    assert.equal(candidate.tpotMs.n, 0);
    assert.equal(candidate.tpotMs.p95, null);
  });

  test('tokens and cost per request, per 1k requests and per 1M tokens', () => {
    assert.deepEqual(baseline.tokens, { input: 100, cached: 0, cacheWrite: 0, output: 50, reasoning: 0 });
    near(baseline.costUsd, 0.16);
    near(baseline.costPerRequestUsd, 0.032);
    near(baseline.costPer1kRequestsUsd, 32);
    near(baseline.costPer1mTokensUsd, (0.16 / 150) * 1e6, 1e-6);
    near(candidate.costPerRequestUsd, 0.015);
    near(candidate.usageEstimatedShare, 1 / 6);
  });

  test('spend on failures: the estimated attempts per arm, apart from the reported cost', () => {
    assert.equal(candidate.failureSpend.attempts, 2);
    near(candidate.failureSpend.usd, 0.004);
    assert.deepEqual(baseline.failureSpend, { usd: 0, attempts: 0 });
    assert.deepEqual(report.arms.baseline_replica!.failureSpend, { usd: 0, attempts: 0 });
  });

  test('paired latency: median delta, bootstrap interval around it, Wilcoxon p', () => {
    const l = report.comparison.latency;
    // Prompts both answered: p1 +50, p2 -20, p4 +100.
    assert.equal(l.n, 3);
    near(l.medianDeltaMs, 50);
    assert.ok(l.ci![0] <= 50 && l.ci![1] >= 50 && l.ci![0] >= -20 && l.ci![1] <= 100);
    // n = 3, W- = 1: exact two-sided p = 2 * P(W <= 1) = 2 * 2/8.
    near(l.pValue, 0.5);
  });

  test('paired errors: delta, its interval, McNemar', () => {
    const e = report.comparison.errors;
    // p6, where the candidate's breaker refused, leaves the paired figures.
    assert.equal(report.comparison.refusedPairs, 1);
    assert.deepEqual(e.table, { bothFail: 0, onlyBaselineFail: 1, onlyCandidateFail: 1, neitherFail: 3 });
    near(e.delta, 0);
    assert.ok(e.ci![0] < e.delta! && e.ci![1] > e.delta!);
    // Exact McNemar with b = 1, c = 1: 2 * P(X <= 1 | 2, 0.5) = 1, capped at 1.
    near(e.pValue, 1);
  });

  test('cost savings on paired ok prompts and the default monthly projection', () => {
    const cost = report.comparison.cost;
    assert.equal(cost.n, 3);
    near(cost.baselineCostUsd, 0.07);
    near(cost.candidateCostUsd, 0.035);
    near(cost.savingsPct, 50);
    assert.equal(cost.monthly.basis, 'requests');
    assert.equal(cost.monthly.requestsPerMonth, 1_000_000);
    near(cost.monthly.baselineUsd, (0.07 / 3) * 1e6, 1e-6);
    near(cost.monthly.candidateUsd, (0.035 / 3) * 1e6, 1e-6);
    near(cost.monthly.savingsUsd, (0.035 / 3) * 1e6, 1e-6);
  });

  test('a token volume converts to requests at the baseline mean tokens per prompt', () => {
    // Baseline input + output on p1, p2, p4: 15 + 30 + 45 = 90, i.e. 30 tokens a prompt.
    const m = build({ monthly: { tokens: 3_000_000 } }).comparison.cost.monthly;
    assert.equal(m.basis, 'tokens');
    near(m.requestsPerMonth, 100_000, 1e-6);
    near(m.baselineUsd, (0.07 / 3) * 100_000, 1e-6);
  });

  test('usage parity: input token ratio and model substitution', () => {
    const u = report.comparison.usage;
    near(u.inputTokenRatio, 1.1); // 12/10, 22/20, 33/30
    assert.equal(u.inputTokenRatioN, 3);
    // gpt-4.1-mini for gpt-4.1 is a substitution; the dated snapshot and the exact name are not.
    near(u.modelMismatchShare, 1 / 3);
    assert.equal(u.modelMismatchN, 3);
  });

  test('outputs against the replica noise floor', () => {
    const o = report.comparison.outputs;
    near(o.similarityMedian, 0.85);
    near(o.noiseFloorMedian, 0.9);
    // 5th percentile of 0.80, 0.90, 0.98: 0.80 + 0.1 * 0.10.
    assert.equal(o.driftThresholdSource, 'replica');
    near(o.driftThreshold, 0.81);
    assert.equal(o.driftCount, 1);
    near(o.driftShare, 1 / 3);
    assert.deepEqual(o.jsonAgreement, { share: 2 / 3, n: 3, noiseFloorShare: 1, noiseFloorN: 3 });
    assert.deepEqual(o.finishReasonAgreement, { share: 2 / 3, n: 3, noiseFloorShare: 1, noiseFloorN: 3 });
    assert.deepEqual(o.toolCallAgreement, {
      n: 1,
      namesShare: 1,
      argumentsShare: 0,
      noiseFloorN: 1,
      noiseFloorNamesShare: 1,
      noiseFloorArgumentsShare: 1,
    });
    assert.deepEqual(
      o.topDivergent.map((d) => [d.promptId, d.drift]),
      [
        ['p2', true],
        ['p4', false],
        ['p1', false],
      ],
    );
    assert.equal(o.topDivergent[0]!.promptExcerpt, 'question p2 <b>?</b>');
  });

  test('without a replica the default threshold applies and more prompts drift', () => {
    const r = build({ replica: false });
    const o = r.comparison.outputs;
    assert.equal(r.arms.baseline_replica, undefined);
    assert.equal(o.driftThresholdSource, 'default');
    near(o.driftThreshold, 0.9);
    near(o.driftShare, 2 / 3);
    assert.equal(o.noiseFloorMedian, null);
    assert.equal(o.jsonAgreement.noiseFloorShare, null);
  });

  test('gate metrics follow the contract, and too few samples hold', () => {
    near(report.metrics['candidate.error_rate']!.value, 1 / 5);
    assert.equal(report.metrics['candidate.error_rate']!.n, 5);
    // Paired prompts both answered (p1, p2, p4): p95 of [100, 200, 400] is 380, of [150, 180, 500] 468.
    near(report.metrics['latency.p95_ratio']!.value, 468 / 380);
    // TTFT on the same prompts: [10, 20, 40] -> 38, [18, 30, 50] -> 48.
    near(report.metrics['ttft.p95_ratio']!.value, 48 / 38);
    const interval = report.metrics['latency.p95_ratio']!.interval!;
    assert.ok(interval[0] <= interval[1]);
    near(report.metrics['errors.delta_upper']!.value, report.comparison.errors.ci![1]);
    near(report.metrics['cost.savings_pct']!.value, 50);
    assert.equal(report.verdict.decision, 'hold');
    assert.ok(report.verdict.gates.every((g) => g.status === 'insufficient'));
    // The candidate's breaker refusal is reported as a finding, not hidden in an insufficient gate.
    assert.match(
      report.verdict.reasons.at(-2)!,
      /^finding: our engine refused 1 of 6 candidate requests \(circuit_open 1\)/,
    );
    assert.equal(
      report.verdict.reasons.at(-1),
      "finding: the candidate's circuit breaker opened 2 times (open 10.0 s in all); the replay paused dispatch for 12.5 s so that prompts were not refused meanwhile",
    );
    // A streaming run keeps the TTFT gate.
    assert.ok(report.verdict.gates.some((g) => g.metric === 'ttft.p95_ratio'));
  });

  test('breaker openings per provider and the time dispatch paused', () => {
    assert.deepEqual(report.breaker, {
      pausedMs: 12_500,
      openings: { baseline: { count: 0, openMs: 0 }, candidate: { count: 2, openMs: 10_000 } },
    });
  });

  test('the same db and seed give the same report', () => {
    assert.deepEqual(build(), report);
  });
});

describe('resolveShadowRunId', () => {
  test('names the unknown run; picks the only run; asks when there are several', () => {
    const db = fixtureDb();
    try {
      assert.equal(resolveShadowRunId(db, undefined), RUN_ID);
      assert.throws(
        () => resolveShadowRunId(db, 'r-nope'),
        (e: unknown) => e instanceof UsageError && /r-nope/.test(e.message),
      );
      writeFixture(db, { runId: 'r-test-2' });
      assert.throws(() => resolveShadowRunId(db, undefined), UsageError);
      assert.equal(resolveShadowRunId(db, RUN_ID), RUN_ID);
    } finally {
      db.close();
    }
  });
});
