import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { writeStateDocument } from '../../src/rollout/rollout-state.js';
import { bucketFor, routeFor } from '../../src/rollout/route-for.js';
import { createRouter } from '../../src/rollout/router.js';
import { openStore } from '../../src/store/open-store.js';
import { RolloutStore } from '../../src/store/rollout-store.js';
import { profile, startSim, tempDir } from '../helpers/shadow-fixtures.js';

/** POSTs a chat completion; throws on a non-2xx status, as a client library would. */
function sender(baseUrl: string) {
  return async (body: unknown): Promise<{ status: number; model: string }> => {
    const res = await request(`${baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300)
      throw Object.assign(new Error(`HTTP ${res.statusCode}`), { code: `http_${res.statusCode}` });
    return { status: res.statusCode, model: (JSON.parse(text) as { model: string }).model };
  };
}

const BODY = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 };

describe('createRouter', () => {
  it('routes by routeFor, follows the state file on the next request, and falls back on candidate failures', async (t) => {
    const dir = tempDir(t, 'shadowgate-router-');
    const fast = { ttft: { fixedMs: 1 }, tpot: { fixedMs: 0 } };
    const baseline = await startSim(t, profile('steady', fast));
    const good = await startSim(t, profile('steady', fast));
    const broken = await startSim(t, profile('steady', { ...fast, faultRates: { '500': 1 } }));
    const file = join(dir, 'state.json');
    const state = (percentage: number, version: number) =>
      writeStateDocument(file, {
        rollout_id: 'ro-1',
        version,
        percentage,
        salt: 's1',
        hash_version: 1,
        status: 'running',
        updated_at: new Date().toISOString(),
      });
    state(30, 1);
    const outcomes: { arm: string; fallback: boolean }[] = [];
    const router = createRouter({
      baseline: sender(baseline.url),
      candidate: sender(good.url),
      state: { file },
      onOutcome: (o) => outcomes.push({ arm: o.servedArm, fallback: o.fallback }),
    });
    const keys = Array.from({ length: 60 }, (_, i) => `user-${i}`);
    for (const key of keys) {
      const r = await router.route(key, BODY);
      assert.equal(r.arm, routeFor(key, 30, 's1'), key);
      assert.equal(r.fallback, false);
    }
    assert.ok(outcomes.some((o) => o.arm === 'candidate') && outcomes.some((o) => o.arm === 'baseline'));

    // A rollback written by `rollout rollback` / `rollout state` takes effect on the next request.
    state(0, 2);
    for (const key of keys) assert.equal((await router.route(key, BODY)).arm, 'baseline');
    assert.equal(router.state().version, 2);

    // A failing candidate: every routed request is answered by the baseline, marked as a fallback.
    const failing = createRouter({
      baseline: sender(baseline.url),
      candidate: sender(broken.url),
      state: { file },
    });
    state(100, 3);
    for (const key of keys.slice(0, 10)) {
      const r = await failing.route(key, BODY);
      assert.deepEqual([r.arm, r.fallback], ['baseline', true]);
    }
    // Without fallback the candidate's error reaches the caller.
    const strict = createRouter({
      baseline: sender(baseline.url),
      candidate: sender(broken.url),
      state: { percentage: 100, salt: 's1', hash_version: 1 },
      shouldFallback: () => false,
    });
    await assert.rejects(strict.route('user-1', BODY), /HTTP 500/);
  });

  it('refuses a state it cannot reproduce: another hash version, a bad percentage', () => {
    assert.throws(
      () =>
        createRouter({
          baseline: async () => 1,
          candidate: async () => 2,
          state: { percentage: 5, salt: 's', hash_version: 2 },
        }),
      /hash_version 2/,
    );
    assert.throws(
      () =>
        createRouter({
          baseline: async () => 1,
          candidate: async () => 2,
          state: { percentage: 150, salt: 's', hash_version: 1 },
        }),
      /percentage/,
    );
    assert.ok(bucketFor('k', 's') >= 0);
  });

  it('records each outcome to rollout_requests as stage 0, with both error classes', (t) => {
    const dir = tempDir(t, 'shadowgate-router-record-');
    const db = openStore(join(dir, 'live.db'));
    t.after(() => db.close());
    const store = new RolloutStore(db);
    const at = new Date().toISOString();
    store.createRollout(
      {
        id: 'ro-live',
        label: null,
        status: 'running',
        percentage: 50,
        salt: 's1',
        hash_version: 1,
        plan_json: '{}',
        config_json: null,
        prices_json: null,
        scenario_path: null,
        scenario_sha256: null,
        scenario_prompts: null,
        seed: 1,
        options_json: null,
        shadow_run_id: null,
        shadow_decision: null,
        forced: 0,
        started_at: at,
      },
      {
        at,
        actor: 'test',
        automatic: 0,
        from_percentage: null,
        to_percentage: 50,
        from_status: null,
        to_status: 'running',
        reason: 'test',
        evidence_json: null,
      },
    );
    const fail = (code: string) => Object.assign(new Error(code), { code });
    let baselineDown = false;
    const router = createRouter<string, string>({
      baseline: async () => {
        if (baselineDown) throw fail('http_503');
        return 'b';
      },
      candidate: async (req) => {
        if (req === 'bad') throw fail('http_500');
        if (req === 'invalid') throw fail('http_400');
        return 'c';
      },
      state: { percentage: 100, salt: 's1', hash_version: 1 },
      shouldFallback: (err) => (err as { code: string }).code !== 'http_400',
      record: { store, rolloutId: 'ro-live' },
    });
    return (async () => {
      await router.route('u1', 'ok');
      await router.route('u2', 'bad');
      await assert.rejects(router.route('u3', 'invalid'), /http_400/);
      baselineDown = true;
      await assert.rejects(router.route('u4', 'bad'), /http_503/);
      store.flush();
      const rows = db
        .prepare(
          `SELECT stage, seq, routed_arm, served_arm, fallback, candidate_error_class, outcome, error_class
           FROM rollout_requests WHERE rollout_id = 'ro-live' ORDER BY seq`,
        )
        .all();
      assert.deepEqual(rows, [
        {
          stage: 0,
          seq: 0,
          routed_arm: 'candidate',
          served_arm: 'candidate',
          fallback: 0,
          candidate_error_class: null,
          outcome: 'ok',
          error_class: null,
        },
        {
          stage: 0,
          seq: 1,
          routed_arm: 'candidate',
          served_arm: 'baseline',
          fallback: 1,
          candidate_error_class: 'http_500',
          outcome: 'ok',
          error_class: null,
        },
        {
          stage: 0,
          seq: 2,
          routed_arm: 'candidate',
          served_arm: 'candidate',
          fallback: 0,
          candidate_error_class: 'http_400',
          outcome: 'error',
          error_class: 'http_400',
        },
        {
          stage: 0,
          seq: 3,
          routed_arm: 'candidate',
          served_arm: 'baseline',
          fallback: 1,
          candidate_error_class: 'http_500',
          outcome: 'error',
          error_class: 'http_503',
        },
      ]);
    })();
  });
});
