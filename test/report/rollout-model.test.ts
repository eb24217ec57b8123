/**
 * The rollout report's figures on a hand-made rollout, each worked out by
 * hand: five requests over a two-prompt scenario (so it cycled three times),
 * one of them a fallback.
 *
 * | seq | prompt | routed    | served    | cost_usd              |
 * | 0   | p1     | baseline  | baseline  | 0.010                 |
 * | 1   | p2     | baseline  | baseline  | 0.030                 |
 * | 2   | p1     | candidate | candidate | 0.004                 |
 * | 3   | p2     | candidate | baseline  | 0.032 (0.002 + 0.030) |
 * | 4   | p1     | candidate | candidate | 0.005                 |
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildRolloutReport } from '../../src/report/rollout-model.js';
import { renderRolloutMarkdown } from '../../src/report/rollout-render.js';
import { openStore } from '../../src/store/open-store.js';
import type { RolloutRequestRow } from '../../src/store/rollout-rows.js';
import { RolloutStore } from '../../src/store/rollout-store.js';
import { tempDir } from '../helpers/shadow-fixtures.js';

const AT = '2026-12-02T10:00:00.000Z';

function request(seq: number, over: Partial<RolloutRequestRow>): RolloutRequestRow {
  return {
    rollout_id: 'ro-1',
    stage: 1,
    seq,
    prompt_id: seq % 2 === 0 ? 'p1' : 'p2',
    sticky_key_hash: `k${seq}`,
    bucket: 0,
    routed_arm: 'baseline',
    served_arm: 'baseline',
    fallback: 0,
    candidate_error_class: null,
    outcome: 'ok',
    error_class: null,
    started_at: AT,
    latency_ms: 100,
    ttft_ms: null,
    input_tokens: 10,
    output_tokens: 10,
    cost_usd: 0,
    attempts: 1,
    candidate_latency_ms: null,
    candidate_cost_usd: null,
    ...over,
  };
}

describe('the rollout report model', () => {
  it('costs the rollout against an all-baseline counterfactual, prices the fallbacks, counts the cycles', (t) => {
    const db = openStore(join(tempDir(t, 'shadowgate-rollout-model-'), 'r.db'));
    t.after(() => db.close());
    const store = new RolloutStore(db);
    store.createRollout(
      {
        id: 'ro-1',
        label: null,
        status: 'running',
        percentage: 50,
        salt: 's',
        hash_version: 1,
        plan_json: JSON.stringify({ stages: [50, 100], confidence: 0.95 }),
        config_json: null,
        prices_json: null,
        scenario_path: 'prompts.jsonl',
        scenario_sha256: null,
        scenario_prompts: 2,
        seed: 1,
        options_json: null,
        shadow_run_id: null,
        shadow_decision: null,
        forced: 0,
        started_at: AT,
      },
      {
        at: AT,
        actor: 'ci',
        automatic: 0,
        from_percentage: null,
        to_percentage: 50,
        from_status: null,
        to_status: 'running',
        reason: 'started',
        evidence_json: null,
      },
    );
    store.startStage({
      rollout_id: 'ro-1',
      stage: 1,
      stage_index: 0,
      attempt: 0,
      percentage: 50,
      start_seq: 0,
      started_at: AT,
    });
    const candidate = { routed_arm: 'candidate', served_arm: 'candidate' } as const;
    for (const row of [
      request(0, { cost_usd: 0.01 }),
      request(1, { cost_usd: 0.03 }),
      request(2, { ...candidate, cost_usd: 0.004, candidate_cost_usd: 0.004 }),
      request(3, {
        routed_arm: 'candidate',
        served_arm: 'baseline',
        fallback: 1,
        candidate_error_class: 'server_error',
        cost_usd: 0.032,
        candidate_cost_usd: 0.002,
      }),
      request(4, { ...candidate, cost_usd: 0.005, candidate_cost_usd: 0.005 }),
    ])
      store.insertRequest(row);
    store.finishStage(
      'ro-1',
      1,
      {
        endSeq: 5,
        finishedAt: AT,
        requests: 5,
        candidateRequests: 3,
        fallbacks: 1,
        decision: 'rollback',
        reasons: ['fallback-rate: proven beyond the tolerance'],
        gates: [],
        srm: null,
      },
      {
        status: 'rolled_back',
        percentage: 0,
        at: AT,
        actor: 'shadowgate',
        automatic: true,
        reason: 'stage 1 (50%): fallback-rate: proven beyond the tolerance',
        finished: true,
      },
    );

    const r = buildRolloutReport(db, { rolloutId: 'ro-1', generatedAt: AT });
    const near = (a: number | null, b: number) =>
      assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${a} != ${b}`);
    near(r.cost.realisedUsd, 0.081);
    // p1 at its mean baseline cost 0.010 three times, p2 at 0.030 twice.
    near(r.cost.allBaselineUsd, 0.09);
    near(r.cost.savingsUsd, 0.009);
    near(r.cost.savingsPct, 10);
    near(r.cost.fallbackExtraUsd, 0.002);
    assert.equal(r.rollout.cycles, 3);
    assert.deepEqual(r.final, {
      headline: 'rolled back to 0%',
      reason: 'stage 1 (50%): fallback-rate: proven beyond the tolerance',
    });
    const c = r.stages[0]!.arms.candidate;
    assert.deepEqual([c.requests, c.errors, c.fallbacks], [3, 1, 1], 'the fallback is a candidate error');
    assert.equal(r.stages[0]!.arms.baseline.requests, 2);
    assert.ok(r.notes.some((n) => /assume independent requests/.test(n)));
    assert.ok(r.notes.some((n) => /cluster-robust by sticky key/.test(n)));
    const md = renderRolloutMarkdown(r);
    assert.match(md, /scenario cycled 3 time\(s\)/);
    assert.match(md, /extra spend of fallbacks \| \$0\.002/);
    assert.match(md, /\*\*Final state: rolled back to 0%\.\*\*/);
  });
});
