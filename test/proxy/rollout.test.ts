/**
 * Rollout mode: routing matches routeFor key by key, the percentage follows
 * `rollout rollback` / `rollout set` without a restart, and the candidate
 * falls back to the baseline only before the first byte reached the client.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { BufferSink } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { LIVE_GATES_ACTOR, SERVED_ARM_HEADER } from '../../src/proxy/rollout-mode.js';
import { validatePlan } from '../../src/rollout/plan.js';
import { HASH_VERSION, routeFor } from '../../src/rollout/route-for.js';
import { openStore } from '../../src/store/open-store.js';
import { RolloutStore } from '../../src/store/rollout-store.js';
import { simConfig, tempDir } from '../helpers/shadow-fixtures.js';
import { type Handler, startScriptedServer } from '../providers/scripted-server.js';
import { CHAT, completionBody, openaiClient, rolloutOptions, startTestProxy } from './proxy-fixtures.js';

const SALT = 'live-salt';

function createRolloutDb(dir: string, percentage: number): string {
  const dbPath = join(dir, 'rollout.db');
  const db = openStore(dbPath);
  const at = new Date().toISOString();
  new RolloutStore(db).createRollout(
    {
      id: 'ro-live',
      label: null,
      status: 'running',
      percentage,
      salt: SALT,
      hash_version: HASH_VERSION,
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
      to_percentage: percentage,
      from_status: null,
      to_status: 'running',
      reason: 'test',
      evidence_json: null,
    },
  );
  db.close();
  return dbPath;
}

async function answering(t: TestContext, content: string, handler?: Handler) {
  const server = await startScriptedServer(
    handler ??
      ((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(completionBody(content));
      }),
  );
  t.after(() => server.close());
  return server;
}

async function ask(url: string, key: string): Promise<{ arm: string | null; content: string }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shadowgate-key': key },
    body: JSON.stringify(CHAT),
  });
  const json = (await res.json()) as { choices: { message: { content: string } }[] };
  return { arm: res.headers.get(SERVED_ARM_HEADER), content: json.choices[0]!.message.content };
}

async function move(dir: string, dbPath: string, args: string[]): Promise<void> {
  const io = { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd: dir };
  const code = await runCli(['rollout', ...args, '--db', dbPath, '--reason', 'test', '--actor', 'test'], io);
  assert.equal(code, 0, io.stderr.text);
}

/** Asks with `key` every 20 ms until `arm` serves it; returns how long that took, ms. */
async function msUntil(url: string, key: string, arm: string): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if ((await ask(url, key)).arm === arm) return performance.now() - t0;
    if (performance.now() - t0 > 5000) throw new Error(`${key} never reached ${arm}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('proxy rollout mode', () => {
  it('routes every key where routeFor sends it, sticky; rollback and set reach the next requests within 1 s', async (t) => {
    const dir = tempDir(t);
    const dbPath = createRolloutDb(dir, 50);
    const baseline = await answering(t, 'from baseline');
    const candidate = await answering(t, 'from candidate');
    const proxy = await startTestProxy(t, simConfig(baseline.baseUrl, candidate.baseUrl), {
      mode: 'rollout',
      dbPath,
      rollout: rolloutOptions({ stickyKey: ['header', 'user'], recordRequests: true }),
    });
    let onCandidate = 0;
    for (let i = 0; i < 40; i++) {
      const key = `user-${i}`;
      const want = routeFor(key, 50, SALT);
      for (let repeat = 0; repeat < 2; repeat++) {
        const got = await ask(proxy.url, key);
        assert.equal(got.arm, want, key);
        assert.equal(got.content, `from ${want}`);
      }
      if (want === 'candidate') onCandidate++;
    }
    assert.ok(onCandidate > 5 && onCandidate < 35);
    // The `user` field is a sticky key too, through the official client.
    const client = openaiClient(`${proxy.url}/v1`);
    for (const user of ['alice', 'bob', 'carol']) {
      const res = await client.chat.completions.create({ ...CHAT, user }).withResponse();
      assert.equal(res.response.headers.get(SERVED_ARM_HEADER), routeFor(user, 50, SALT), user);
    }
    assert.match(proxy.metrics.render(), /^shadowgate_proxy_rollout_percentage 50$/m);

    const candidateKey = Array.from({ length: 40 }, (_, i) => `user-${i}`).find(
      (k) => routeFor(k, 50, SALT) === 'candidate',
    )!;
    await move(dir, dbPath, ['rollback']);
    const rollbackMs = await msUntil(proxy.url, candidateKey, 'baseline');
    assert.ok(rollbackMs < 1000, `rollback took ${rollbackMs} ms`);
    assert.match(proxy.metrics.render(), /^shadowgate_proxy_rollout_percentage 0$/m);
    await move(dir, dbPath, ['set', '100']);
    const setMs = await msUntil(proxy.url, candidateKey, 'candidate');
    assert.ok(setMs < 1000, `set took ${setMs} ms`);
    await proxy.close();
    const db = openStore(dbPath, { readonly: true });
    t.after(() => db.close());
    const rows = new RolloutStore(db).requests('ro-live');
    assert.ok(rows.length >= 83);
    assert.ok(rows.every((r) => r.stage === 0));
  });

  it('falls back to the baseline when the candidate fails before the first byte, not after', async (t) => {
    const dir = tempDir(t);
    const dbPath = createRolloutDb(dir, 100);
    const baseline = await answering(t, 'from baseline');
    let mode: 'fail' | 'break' = 'fail';
    const candidate = await answering(t, '', (_req, res) => {
      if (mode === 'fail') {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'overloaded' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4.1', choices: [{ index: 0, delta: { content: 'half' }, finish_reason: null }] })}\n\n`,
      );
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const proxy = await startTestProxy(
      t,
      simConfig(baseline.baseUrl, candidate.baseUrl, { retry: { maxAttempts: 2 } }),
      {
        mode: 'rollout',
        dbPath,
        rollout: rolloutOptions(),
      },
    );
    const got = await ask(proxy.url, 'k-1');
    assert.deepEqual(got, { arm: 'baseline', content: 'from baseline' });
    assert.equal(candidate.requests.length, 2, 'the candidate had its retries first');
    assert.match(proxy.metrics.render(), /^shadowgate_proxy_fallbacks_total 1$/m);

    mode = 'break';
    const before = baseline.requests.length;
    const res = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shadowgate-key': 'k-2' },
      body: JSON.stringify({ ...CHAT, stream: true }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get(SERVED_ARM_HEADER), 'candidate');
    await assert.rejects(res.text(), 'the broken stream reaches the client as broken');
    assert.equal(baseline.requests.length, before, 'no fallback once bytes were sent');
    assert.match(proxy.metrics.render(), /^shadowgate_proxy_fallbacks_total 1$/m);
  });

  it('the live gates roll a failing candidate back with no human, recorded as an automatic move', async (t) => {
    const dir = tempDir(t);
    const dbPath = createRolloutDb(dir, 50);
    const baseline = await answering(t, 'from baseline');
    const candidate = await answering(t, '', (_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'broken' } }));
    });
    const proxy = await startTestProxy(
      t,
      simConfig(baseline.baseUrl, candidate.baseUrl, { retry: { maxAttempts: 1 } }),
      {
        mode: 'rollout',
        dbPath,
        rollout: rolloutOptions({ gateEvery: 20, plan: validatePlan({ stages: [50, 100] }, 'test plan') }),
      },
    );
    let i = 0;
    // Every answer is still the baseline's (fallback) while the gates gather evidence.
    while (i < 400) {
      const got = await ask(proxy.url, `user-${i++}`);
      assert.deepEqual(got, { arm: 'baseline', content: 'from baseline' });
      if (proxy.metrics.render().includes('shadowgate_proxy_rollout_percentage 0\n')) break;
    }
    assert.ok(i < 400, 'never rolled back');
    const sentToCandidate = candidate.requests.length;
    for (let j = 0; j < 20; j++) await ask(proxy.url, `user-${i + j}`);
    assert.equal(
      candidate.requests.length,
      sentToCandidate,
      'after the rollback nothing goes to the candidate',
    );
    await proxy.close();
    const db = openStore(dbPath, { readonly: true });
    t.after(() => db.close());
    const store = new RolloutStore(db);
    const row = store.getRollout('ro-live')!;
    assert.equal(row.status, 'rolled_back');
    assert.equal(row.percentage, 0);
    const last = store.events('ro-live').at(-1)!;
    assert.equal(last.automatic, 1);
    assert.equal(last.actor, LIVE_GATES_ACTOR);
    assert.match(last.reason, /^live gates at 50%/);
    assert.ok(JSON.parse(last.evidence_json!).gates.length > 0);
  });
});
