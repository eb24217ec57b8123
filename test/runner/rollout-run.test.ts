import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { DEFAULT_ROLLOUT_PLAN, type RolloutPlan } from '../../src/rollout/plan.js';
import { bucketFor } from '../../src/rollout/route-for.js';
import { type RolloutRunDeps, runRollout } from '../../src/runner/rollout-run.js';
import { systemClock } from '../../src/shared/clock.js';
import { InterruptedError, UsageError } from '../../src/shared/errors.js';
import type { SimProfile } from '../../src/sim/profiles.js';
import {
  makePrompts,
  openDb,
  profile,
  simConfig,
  startSim,
  tempDir,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';

function plan(over: Partial<RolloutPlan> = {}): RolloutPlan {
  return {
    ...DEFAULT_ROLLOUT_PLAN,
    stages: [10, 50, 100],
    minRequestsPerStage: 150,
    salt: 'test-salt',
    ...over,
  };
}

function deps(over: Partial<RolloutRunDeps> = {}): RolloutRunDeps {
  return { clock: systemClock, env: {}, ...over };
}

/** 300 prompts from 150 users (two prompts each), so sticky keys cluster as in production. */
function scenario(dir: string, n = 300): string {
  const lines = makePrompts(n).map((p, i) => ({ ...p, metadata: { user_id: `u-${Math.floor(i / 2)}` } }));
  return writeJsonl(join(dir, 'prompts.jsonl'), lines);
}

async function setup(t: TestContext, baseline: SimProfile, candidate: SimProfile) {
  const dir = tempDir(t, 'shadowgate-rollout-');
  const b = await startSim(t, baseline, 3);
  const c = await startSim(t, candidate, 3);
  return {
    dir,
    dbPath: join(dir, 'r.db'),
    scenarioPath: scenario(dir),
    config: simConfig(b.url, c.url, { concurrency: 16, stream: true }),
  };
}

const steady = () => profile('steady', { ttft: { fixedMs: 20 }, tpot: { fixedMs: 0 } });

describe('runRollout', () => {
  it('walks a good candidate through every stage to 100%, recording each move', async (t) => {
    // 600 a stage: the p95 of openai-like's heavy tail needs several hundred samples before the
    // upper end of its confidence sequence is tight enough to pass a 1.5x tolerance.
    const s = await setup(t, profile('openai-like'), profile('relay-fast'));
    const summary = await runRollout(
      {
        ...s,
        plan: plan({ stages: [25, 50, 100], minRequestsPerStage: 600, stickyKey: ['metadata.user_id'] }),
        actor: 'tester',
      },
      deps(),
    );
    assert.equal(summary.status, 'completed', JSON.stringify(summary.stages, null, 1));
    assert.equal(summary.final_percentage, 100);
    assert.deepEqual(
      summary.stages.filter((x) => x.decision === 'promote').map((x) => x.percentage),
      [25, 50, 100],
    );
    const db = openDb(t, s.dbPath);
    const events = db
      .prepare('SELECT actor, automatic, to_percentage, to_status FROM rollout_events ORDER BY id')
      .all() as { actor: string; automatic: number; to_percentage: number; to_status: string }[];
    assert.deepEqual(events[0], { actor: 'tester', automatic: 0, to_percentage: 25, to_status: 'running' });
    assert.deepEqual(
      events.slice(1).map((e) => [e.automatic, e.to_percentage, e.to_status]),
      [
        [1, 50, 'running'],
        [1, 100, 'running'],
        [1, 100, 'completed'],
      ],
    );
    // Every stage took exactly minRequestsPerStage candidate-routed requests.
    const perStage = db
      .prepare(
        `SELECT stage, SUM(routed_arm = 'candidate') AS c, COUNT(*) AS n FROM rollout_requests GROUP BY stage ORDER BY stage`,
      )
      .all() as { stage: number; c: number; n: number }[];
    for (const row of perStage) assert.equal(row.c, 600);
    // Stickiness in the stored rows: the same key never went back to the baseline at a higher stage.
    const keys = db
      .prepare('SELECT sticky_key_hash AS k, stage, routed_arm AS arm FROM rollout_requests ORDER BY seq')
      .all() as { k: string; stage: number; arm: string }[];
    const reached = new Map<string, number>();
    for (const r of keys) {
      const first = reached.get(r.k);
      if (r.arm === 'candidate' && first === undefined) reached.set(r.k, r.stage);
      if (r.arm === 'baseline' && first !== undefined)
        assert.ok(r.stage <= first, `key ${r.k} went back to the baseline at stage ${r.stage}`);
    }
  });

  it('rolls a degraded candidate back at its first stage, naming the failing gate', async (t) => {
    const s = await setup(
      t,
      steady(),
      profile('steady', { faultRates: { '500': 0.4 }, ttft: { fixedMs: 20 } }),
    );
    const summary = await runRollout(
      {
        ...s,
        config: { ...s.config, retry: { ...s.config.retry, maxAttempts: 1 } },
        plan: plan(),
        actor: 'ci',
      },
      deps(),
    );
    assert.equal(summary.status, 'rolled_back');
    assert.equal(summary.final_percentage, 0);
    assert.equal(summary.stages.length, 1);
    assert.equal(summary.stages[0]!.decision, 'rollback');
    assert.match(summary.stages[0]!.reasons.join('\n'), /error-rate-increase: proven beyond the tolerance/);
    const db = openDb(t, s.dbPath);
    const last = db.prepare('SELECT * FROM rollout_events ORDER BY id DESC LIMIT 1').get() as {
      to_percentage: number;
      to_status: string;
      automatic: number;
      evidence_json: string;
    };
    assert.equal(last.to_status, 'rolled_back');
    assert.equal(last.to_percentage, 0);
    assert.equal(last.automatic, 1);
    assert.ok(JSON.parse(last.evidence_json).gates.some((g: { status: string }) => g.status === 'fail'));
  });

  it('serves every request the candidate failed from the baseline, and counts the fallbacks in the gates', async (t) => {
    const s = await setup(
      t,
      steady(),
      profile('steady', { faultRates: { '503': 0.3 }, ttft: { fixedMs: 20 } }),
    );
    const config = { ...s.config, retry: { ...s.config.retry, maxAttempts: 1 } };
    const summary = await runRollout(
      { ...s, config, plan: plan({ stages: [50, 100], maxStageRepeats: 0 }), actor: 'ci' },
      deps(),
    );
    const db = openDb(t, s.dbPath);
    const failed = db
      .prepare(
        `SELECT COUNT(*) AS n, SUM(fallback) AS fb, SUM(served_arm = 'baseline') AS sb, SUM(outcome = 'ok') AS ok
         FROM rollout_requests WHERE candidate_error_class IS NOT NULL`,
      )
      .get() as { n: number; fb: number; sb: number; ok: number };
    assert.ok(failed.n > 20, `only ${failed.n} candidate failures`);
    assert.equal(failed.fb, failed.n);
    assert.equal(failed.sb, failed.n);
    assert.equal(failed.ok, failed.n, 'the steady baseline answered every fallback');
    const gates = JSON.parse(
      (db.prepare('SELECT gates_json FROM rollout_stages WHERE stage = 1').get() as { gates_json: string })
        .gates_json,
    ) as { name: string; observed: number; status: string }[];
    const fallbackGate = gates.find((g) => g.name === 'fallback-rate')!;
    assert.ok(fallbackGate.observed > 0.2, `fallback rate ${fallbackGate.observed}`);
    assert.equal(fallbackGate.status, 'fail');
    assert.equal(summary.status, 'rolled_back');
  });

  it("falls back when the candidate's open breaker refuses the request: a refusal is a failure before the first byte", async (t) => {
    const s = await setup(t, steady(), profile('steady', { faultRates: { '500': 1 }, ttft: { fixedMs: 5 } }));
    const retry = {
      ...s.config.retry,
      maxAttempts: 1,
      breaker: { ...s.config.retry.breaker, consecutiveFailures: 3 },
    };
    await runRollout(
      {
        ...s,
        config: { ...s.config, retry },
        plan: plan({ stages: [50, 100], maxStageRepeats: 0 }),
        actor: 'ci',
      },
      deps(),
    );
    const db = openDb(t, s.dbPath);
    const rows = db
      .prepare(
        `SELECT candidate_error_class AS c, fallback, served_arm AS served, outcome, COUNT(*) AS n
         FROM rollout_requests WHERE routed_arm = 'candidate' GROUP BY 1, 2, 3, 4 ORDER BY 1`,
      )
      .all() as { c: string; fallback: number; served: string; outcome: string; n: number }[];
    const refused = rows.find((r) => r.c === 'circuit_open');
    assert.ok(refused && refused.n > 50, JSON.stringify(rows));
    for (const r of rows)
      assert.deepEqual([r.fallback, r.served, r.outcome], [1, 'baseline', 'ok'], JSON.stringify(r));
  });

  it('holds when the traffic is too little for the gates, after extending the stage', async (t) => {
    const s = await setup(t, steady(), steady());
    const summary = await runRollout(
      { ...s, plan: plan({ minRequestsPerStage: 20, maxStageRepeats: 1 }), actor: 'ci' },
      deps(),
    );
    assert.equal(summary.status, 'held');
    assert.equal(summary.final_percentage, 10);
    assert.deepEqual(
      summary.stages.map((x) => [x.percentage, x.attempt, x.decision]),
      [
        [10, 0, 'hold'],
        [10, 1, 'hold'],
      ],
    );
    assert.match(summary.stages[1]!.reasons.join('\n'), /insufficient data/);
  });

  it('catches a broken assignment with the sample-ratio check and holds', async (t) => {
    const s = await setup(t, steady(), steady());
    // Twice the candidate share it should get: what a router with a wrong threshold does.
    const broken = (key: string, salt: string) => Math.floor(bucketFor(key, salt) / 2);
    const summary = await runRollout(
      { ...s, plan: plan({ stages: [25, 100], stickyKey: ['metadata.user_id'] }), actor: 'ci' },
      deps({ bucket: broken }),
    );
    assert.equal(summary.status, 'held');
    assert.match(summary.stages[0]!.reasons[0]!, /sample ratio mismatch/);
    // The real assignment passes the same check.
    const fine = await runRollout(
      {
        ...s,
        dbPath: join(s.dir, 'fine.db'),
        plan: plan({ stages: [25, 100], stickyKey: ['metadata.user_id'] }),
        actor: 'ci',
      },
      deps(),
    );
    assert.doesNotMatch(fine.stages[0]!.reasons.join('\n'), /sample ratio mismatch/);
  });

  it('twenty seeded A/A rehearsals (the same profile and seed on both arms) never roll back', async (t) => {
    const aa = profile('openai-like', { latencyScale: 0.005 });
    const dir = tempDir(t, 'shadowgate-rollout-aa-');
    const scenarioPath = scenario(dir, 200);
    const decisions: string[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const b = await startSim(t, aa, seed);
      const c = await startSim(t, aa, seed);
      const config = simConfig(b.url, c.url, { concurrency: 32, stream: false });
      const r = await runRollout(
        {
          config,
          scenarioPath,
          dbPath: join(dir, `aa-${seed}.db`),
          plan: plan({ stages: [50, 100], minRequestsPerStage: 100, maxStageRepeats: 0, salt: `aa-${seed}` }),
          seed,
          actor: 'ci',
        },
        deps(),
      );
      decisions.push(r.status);
    }
    assert.ok(!decisions.includes('rolled_back'), decisions.join(', '));
  });

  it('resumes an interrupted rehearsal with every request exactly once', async (t) => {
    const s = await setup(t, steady(), steady());
    const p = plan({ stages: [20, 100], minRequestsPerStage: 300 });
    const stop = new AbortController();
    let seen = 0;
    await assert.rejects(
      runRollout(
        { ...s, plan: p, actor: 'ci', graceMs: 0 },
        deps({
          signal: stop.signal,
          onProgress: () => {
            if (++seen === 150) stop.abort();
          },
        }),
      ),
      InterruptedError,
    );
    const before = openDb(t, s.dbPath);
    const { id, status } = before.prepare('SELECT id, status FROM rollouts').get() as {
      id: string;
      status: string;
    };
    assert.equal(status, 'interrupted');
    const stored = (before.prepare('SELECT COUNT(*) AS n FROM rollout_requests').get() as { n: number }).n;
    assert.ok(stored > 0 && stored < 1500, `stored ${stored}`);
    const summary = await runRollout({ dbPath: s.dbPath, resume: id, actor: 'ci', config: s.config }, deps());
    assert.equal(summary.status, 'completed');
    const after = openDb(t, s.dbPath);
    const rows = after
      .prepare(
        `SELECT s.stage, s.start_seq, s.end_seq, COUNT(r.seq) AS n, MIN(r.seq) AS lo, MAX(r.seq) AS hi,
           SUM(r.routed_arm = 'candidate') AS c
         FROM rollout_stages s JOIN rollout_requests r ON r.rollout_id = s.rollout_id AND r.stage = s.stage
         GROUP BY s.stage ORDER BY s.stage`,
      )
      .all() as {
      stage: number;
      start_seq: number;
      end_seq: number;
      n: number;
      lo: number;
      hi: number;
      c: number;
    }[];
    for (const r of rows) {
      assert.equal(r.n, r.end_seq - r.start_seq, `stage ${r.stage}: a seq missing or doubled`);
      assert.equal(r.lo, r.start_seq);
      assert.equal(r.hi, r.end_seq - 1);
      assert.equal(r.c, 300);
    }
    const statuses = (
      after.prepare('SELECT to_status FROM rollout_events ORDER BY id').all() as { to_status: string }[]
    ).map((e) => e.to_status);
    assert.deepEqual(statuses.slice(0, 3), ['running', 'interrupted', 'running']);
  });

  it('refuses a resume of a finished rollout and a plan-less start with a usage error', async (t) => {
    const s = await setup(t, steady(), steady());
    await assert.rejects(runRollout({ ...s, plan: null, actor: 'ci' }, deps()), UsageError);
    const done = await runRollout(
      { ...s, plan: plan({ stages: [100], minRequestsPerStage: 100 }), actor: 'ci' },
      deps(),
    );
    await assert.rejects(
      runRollout({ dbPath: s.dbPath, resume: done.rollout_id, actor: 'ci' }, deps()),
      /already ended as held; nothing to resume/,
    );
  });
});
