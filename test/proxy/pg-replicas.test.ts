/**
 * Two spawned proxy replicas in rollout mode on one PostgreSQL database
 * (issue 13): a move to 50% and a rollback reach both within 1 s (by
 * LISTEN/NOTIFY: their poll is set far longer), exactly one holds the gate
 * lock, and `kill -9` of that one hands the lock to the other. The requests
 * both route land in `rollout_requests`, none lost to a seq both chose.
 *
 * The moves are made by the spawned `shadowgate rollout set 50` and
 * `shadowgate rollout rollback --db postgres://...`, as an operator makes them;
 * the time to reach a replica runs from the move's own timestamp (taken by
 * the CLI just before it commits) to the replica's /health showing it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type pg from 'pg';
import { startProxy } from '../../src/index.js';
import { LIVE_GATES_ACTOR, SERVED_ARM_HEADER } from '../../src/proxy/rollout-mode.js';
import { validatePlan } from '../../src/rollout/plan.js';
import { HASH_VERSION, routeFor } from '../../src/rollout/route-for.js';
import { seededRng, systemClock } from '../../src/shared/clock.js';
import { openPgStore } from '../../src/store/pg/open-pg-store.js';
import { changeRolloutState } from '../../src/store/pg/pg-rollout-state.js';
import { PgRolloutStore } from '../../src/store/pg/pg-rollout-store.js';
import { runChild, waitFor } from '../helpers/child-process.js';
import { simConfig, simConfigInput, tempDir, writeConfig } from '../helpers/shadow-fixtures.js';
import { startScriptedServer } from '../providers/scripted-server.js';
import { createScratchDatabase, type ScratchDatabase } from '../store/pg/scratch-db.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';
import {
  CHAT,
  completionBody,
  proxyOptions,
  rolloutOptions,
  startTestProxy,
  waitUntil,
} from './proxy-fixtures.js';

const SALT = 'pg-replica-salt';
const ROLLOUT = 'ro-pg';

interface Health {
  status: string;
  rollout: { version: number; percentage: number; status: string; gate_leader: boolean; store: string };
}

async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/health`);
  return (await res.json()) as Health;
}

async function leaderGauge(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = sampleValue(parsePrometheusText(text), 'shadowgate_gate_leader');
  assert.ok(value !== undefined, 'shadowgate_gate_leader is exposed');
  return value;
}

async function servedArm(url: string, key: string): Promise<string | null> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shadowgate-key': key },
    body: JSON.stringify(CHAT),
  });
  await res.arrayBuffer();
  assert.equal(res.status, 200);
  return res.headers.get(SERVED_ARM_HEADER);
}

/** Polls every replica's /health every 5 ms until each reports `version`; the slowest one's delay, ms. */
const at = () => new Date().toISOString();
const moveTo = (percentage: number, status: 'running' | 'rolled_back') => ({
  status,
  percentage,
  at: at(),
  actor: 'test',
  automatic: false,
  reason: `to ${percentage}%`,
  finished: status !== 'running',
});

describe('proxy replicas on PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let client: pg.Client;

  before(async () => {
    scratch = await createScratchDatabase();
    client = await openPgStore(scratch.url);
    await createRollout(client, ROLLOUT, 10);
  });
  after(async () => {
    await client.end();
    await scratch.drop();
  });

  async function replicas(t: TestContext, dir: string) {
    const answer = (content: string) =>
      startScriptedServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(completionBody(content));
      });
    const baseline = await answer('from baseline');
    const candidate = await answer('from candidate');
    t.after(() => baseline.close());
    t.after(() => candidate.close());
    writeConfig(join(dir, 'exp.json'), simConfigInput(baseline.baseUrl, candidate.baseUrl));
    const spawnOne = async () => {
      const p = runChild(
        [
          'proxy',
          '--config',
          'exp.json',
          '--mode',
          'rollout',
          '--rollout',
          ROLLOUT,
          '--port',
          '0',
          '--record-rollout',
          // Far beyond the 1 s asked for: a change that arrives in time came by NOTIFY.
          '--state-poll-ms',
          '10000',
          '--leader-retry-ms',
          '100',
          '--sticky-key',
          'header',
        ],
        dir,
        { SHADOWGATE_DB: scratch.url },
      );
      t.after(() => p.child.kill('SIGKILL'));
      const url = await waitFor(
        () => {
          const first = p.out().stdout.split('\n')[0]!;
          return first.startsWith('listening ') ? first.slice('listening '.length) : null;
        },
        15_000,
        p.child,
      );
      return { ...p, url };
    };
    return Promise.all([spawnOne(), spawnOne()]);
  }

  /**
   * Runs `shadowgate rollout ARGS --rollout ROLLOUT` against the database and
   * returns the ms from the move's timestamp (rollouts.updated_at) until every
   * replica's /health shows `version`. Replicas are watched while the CLI runs.
   */
  async function moveByCli(dir: string, urls: string[], args: string[], version: number): Promise<number> {
    const seenAt = Promise.all(
      urls.map(async (url) => {
        const until = Date.now() + 15_000;
        while ((await health(url)).rollout.version < version) {
          if (Date.now() > until) assert.fail(`${url} never reached version ${version}`);
          await new Promise((r) => setTimeout(r, 5));
        }
        return Date.now();
      }),
    );
    const cli = runChild(['rollout', ...args, '--rollout', ROLLOUT, '--actor', 'alice'], dir, {
      SHADOWGATE_DB: scratch.url,
    });
    const { code } = await cli.exited;
    assert.equal(code, 0, cli.out().stderr);
    const reached = Math.max(...(await seenAt));
    const row = await client.query<{ updated_at: string; version: number }>(
      'SELECT updated_at, version FROM rollouts WHERE id = $1',
      [ROLLOUT],
    );
    assert.equal(Number(row.rows[0]!.version), version);
    return reached - Date.parse(row.rows[0]!.updated_at);
  }

  it('a move to 50% and a rollback reach both replicas within 1 s; kill -9 of the gate leader hands the lock over', async (t) => {
    const dir = tempDir(t);
    const [a, b] = await replicas(t, dir);
    const urls = [a!.url, b!.url];
    for (const url of urls) {
      const h = await health(url);
      assert.equal(h.rollout.store, 'postgres');
      assert.equal(h.rollout.percentage, 10);
    }
    // A key the candidate gets at 50% but not at 10%: the routing moves with the state.
    let key = '';
    for (let i = 0; ; i++) {
      key = `user-${i}`;
      if (routeFor(key, 50, SALT) === 'candidate' && routeFor(key, 10, SALT) === 'baseline') break;
    }
    for (const url of urls) assert.equal(await servedArm(url, key), 'baseline');

    const version = (await health(urls[0]!)).rollout.version;
    const setMs = await moveByCli(dir, urls, ['set', '50', '--reason', 'half'], version + 1);
    assert.ok(setMs < 1000, `50% reached both replicas ${setMs.toFixed(0)} ms after the move`);
    for (const url of urls) {
      assert.equal((await health(url)).rollout.percentage, 50);
      assert.equal(await servedArm(url, key), 'candidate');
    }

    const rollbackMs = await moveByCli(dir, urls, ['rollback', '--reason', 'pager'], version + 2);
    assert.ok(
      rollbackMs < 1000,
      `the rollback reached both replicas ${rollbackMs.toFixed(0)} ms after the move`,
    );
    for (const url of urls) {
      const h = await health(url);
      assert.equal(h.rollout.percentage, 0);
      assert.equal(h.rollout.status, 'rolled_back');
      assert.equal(await servedArm(url, key), 'baseline');
    }

    // Both replicas' routed requests are in the table: 2 + 2 + 2 per replica, no seq shared.
    const counted = await waitForRows(client, 6);
    assert.equal(counted, 6);

    // Exactly one replica leads; kill -9 it, and the other takes the lock.
    const states = await waitForOneLeader(urls);
    const leader = states[0] ? a! : b!;
    const follower = states[0] ? b! : a!;
    assert.equal(await leaderGauge(leader.url), 1);
    assert.equal(await leaderGauge(follower.url), 0);
    const since = performance.now();
    leader.child.kill('SIGKILL');
    await leader.exited;
    for (;;) {
      if ((await health(follower.url)).rollout.gate_leader) break;
      if (performance.now() - since > 10_000) assert.fail('the surviving replica never took the gate lock');
      await new Promise((r) => setTimeout(r, 20));
    }
    const takeoverMs = performance.now() - since;
    assert.equal(await leaderGauge(follower.url), 1);
    t.diagnostic(
      `a spawned rollout set reached both in ${setMs.toFixed(0)} ms, the rollback in ${rollbackMs.toFixed(0)} ms, takeover in ${takeoverMs.toFixed(0)} ms`,
    );
    assert.match(follower.out().stderr, /gate leader for rollout ro-pg/);
  });

  it("the gate leader judges every replica's requests; its automatic rollback reaches the other replica", async (t) => {
    const id = 'ro-pg-gates';
    await createRollout(client, id, 50);
    const baseline = await startScriptedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(completionBody('from baseline'));
    });
    const candidate = await startScriptedServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'broken' } }));
    });
    t.after(() => baseline.close());
    t.after(() => candidate.close());
    const config = simConfig(baseline.baseUrl, candidate.baseUrl, { retry: { maxAttempts: 1 } });
    const start = async (logs: string[]) => {
      const proxy = await startProxy(
        proxyOptions({
          mode: 'rollout',
          dbPath: scratch.url,
          rollout: rolloutOptions({
            rolloutId: id,
            gateEvery: 20,
            leaderRetryMs: 50,
            recordRequests: true,
            plan: validatePlan({ stages: [50, 100] }, 'test plan'),
          }),
        }),
        config,
        { clock: systemClock, rng: seededRng(3), env: {}, log: (line) => logs.push(line) },
      );
      t.after(() => proxy.close());
      return proxy;
    };
    const leaderLog: string[] = [];
    const followerLog: string[] = [];
    const leader = await start(leaderLog);
    await waitForOneLeader([leader.url]);
    const follower = await start(followerLog);
    assert.equal((await health(follower.url)).rollout.gate_leader, false);

    // All traffic goes to the replica that does not lead: the leader judges it from the shared table.
    let i = 0;
    while ((await health(follower.url)).rollout.percentage !== 0) {
      assert.ok(i < 600, 'never rolled back');
      const arm = await servedArm(follower.url, `user-${i++}`);
      assert.equal(arm, 'baseline', 'a failing candidate falls back');
    }
    assert.ok(
      leaderLog.some((l) => /rolled back by the live gates/.test(l)),
      leaderLog.join('\n'),
    );
    assert.ok(!followerLog.some((l) => /rolled back by the live gates/.test(l)), 'only the leader moves');
    assert.equal((await health(leader.url)).rollout.percentage, 0);
    const row = await new PgRolloutStore(client).getRollout(id);
    assert.equal(row?.status, 'rolled_back');
    const last = (await new PgRolloutStore(client).events(id)).at(-1)!;
    assert.equal(last.actor, LIVE_GATES_ACTOR);
    assert.equal(Number(last.automatic), 1);
    assert.match(last.reason, /^live gates at 50%/);
    assert.ok(JSON.parse(last.evidence_json!).gates.length > 0);
  });

  it('a lost database connection fails no request: counted, written again, and the state still followed', async (t) => {
    const id = 'ro-pg-outage';
    await createRollout(client, id, 50);
    const answer = (content: string) =>
      startScriptedServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(completionBody(content));
      });
    const baseline = await answer('from baseline');
    const candidate = await answer('from candidate');
    t.after(() => baseline.close());
    t.after(() => candidate.close());
    const proxy = await startTestProxy(t, simConfig(baseline.baseUrl, candidate.baseUrl), {
      mode: 'rollout',
      dbPath: scratch.url,
      rollout: rolloutOptions({ rolloutId: id, recordRequests: true, leaderRetryMs: 50 }),
    });
    const rows = async () =>
      Number(
        (
          await client.query<{ n: number }>(
            'SELECT COUNT(*) AS n FROM rollout_requests WHERE rollout_id = $1',
            [id],
          )
        ).rows[0]!.n,
      );
    for (let i = 0; i < 10; i++) await servedArm(proxy.url, `a-${i}`);
    await waitUntil(async () => (await rows()) === 10, 'the first 10 routed requests written');

    // Every session of the proxy on this database is cut, as a database restart would.
    await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    for (let i = 0; i < 10; i++) await servedArm(proxy.url, `b-${i}`);
    await waitUntil(async () => (await rows()) === 20, 'the 10 requests served during the outage written');
    const metrics = parsePrometheusText(proxy.metrics.render());
    assert.ok(
      (sampleValue(metrics, 'shadowgate_proxy_store_errors_total', { op: 'write_requests' }) ?? 0) >= 1,
      'the failed write is counted',
    );

    const since = performance.now();
    const moved = await changeRolloutState(client, id, moveTo(0, 'rolled_back'));
    await waitUntil(
      async () => (await health(proxy.url)).rollout.version === moved.version,
      'the rollback followed',
    );
    const ms = performance.now() - since;
    assert.ok(ms < 1000, `the rollback reached the proxy ${ms.toFixed(0)} ms after its sessions were cut`);
    await waitUntil(async () => (await health(proxy.url)).rollout.gate_leader, 'the gate lock taken again');
  });
});

/** Polls rollout_requests until `n` rows are there (the replicas write them in batches every 100 ms). */
async function waitForRows(client: pg.Client, n: number): Promise<number> {
  const since = performance.now();
  for (;;) {
    const r = await client.query<{ n: number; seqs: number }>(
      'SELECT COUNT(*) AS n, COUNT(DISTINCT seq) AS seqs FROM rollout_requests WHERE rollout_id = $1',
      [ROLLOUT],
    );
    const row = r.rows[0]!;
    assert.equal(row.n, row.seqs);
    if (row.n >= n || performance.now() - since > 5000) return row.n;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until exactly one replica reports holding the gate lock; each one's gate_leader. */
async function waitForOneLeader(urls: string[]): Promise<boolean[]> {
  const since = performance.now();
  for (;;) {
    const states = await Promise.all(urls.map(async (u) => (await health(u)).rollout.gate_leader));
    if (states.filter(Boolean).length === 1) return states;
    assert.ok(states.filter(Boolean).length <= 1, 'two replicas hold the gate lock at once');
    if (performance.now() - since > 5000) assert.fail('no replica took the gate lock');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A running rollout `id` at `percentage`, version 1. */
async function createRollout(client: pg.Client, id: string, percentage: number): Promise<void> {
  const t0 = at();
  await new PgRolloutStore(client).createRollout(
    {
      id,
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
      started_at: t0,
    },
    {
      at: t0,
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
}
