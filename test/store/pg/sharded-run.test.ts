/**
 * `shadowgate run --shard I/N --run-id ID` into PostgreSQL, spawned: two
 * shards in parallel give the rows, counts, verdict and gate numbers of one
 * SQLite run of the same scenario and simulator seeds; a shard killed with
 * kill -9 and resumed completes the run with nothing lost and nothing doubled.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type pg from 'pg';
import { idempotencyKey } from '../../../src/retry/idempotency.js';
import { shardOf } from '../../../src/runner/shard.js';
import { connectPg } from '../../../src/store/pg/open-pg-store.js';
import { runChild } from '../../helpers/child-process.js';
import {
  makePrompts,
  openDb,
  profile,
  simConfigInput,
  startSim,
  tempDir,
  writeConfig,
  writeJsonl,
} from '../../helpers/shadow-fixtures.js';
import { pgReplayRows, sqliteReplayRows } from './replay-rows.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.js';

/** Status faults only: outcomes follow the seeds, whatever the timing and the order of arrival. */
const faulty = () => profile('steady', { faultRates: { '500': 0.15, '503': 0.1 } });

/** Fresh simulators per replay (a simulator numbers the samples of a prompt it has seen), and their config. */
async function simsConfig(t: TestContext, dir: string, name: string) {
  const baseline = await startSim(t, faulty(), 3);
  const candidate = await startSim(t, faulty(), 4);
  writeConfig(join(dir, name), simConfigInput(baseline.url, candidate.url, { concurrency: 4 }));
  return { baseline, candidate };
}

interface Summary {
  run_id: string;
  status: string;
  shard?: string;
  run_status?: string;
  total_prompts: number | null;
  spent_usd: number;
}

async function finish(r: ReturnType<typeof runChild>): Promise<Summary> {
  const exit = await r.exited;
  const { stdout, stderr } = r.out();
  assert.equal(exit.code, 0, stderr);
  return JSON.parse(stdout) as Summary;
}

/** `report shadow --format json` of one run, parsed. */
async function reportOf(
  dir: string,
  db: string,
  runId: string,
  out: string,
): Promise<Record<string, unknown>> {
  const r = runChild(['report', 'shadow', '--db', db, '--run', runId, '--format', 'json', '--out', out], dir);
  const exit = await r.exited;
  assert.equal(exit.code, 0, r.out().stderr);
  const path = r
    .out()
    .stdout.trim()
    .split('\n')
    .find((l) => l.endsWith('.json'))!;
  return JSON.parse(readFileSync(join(dir, path), 'utf8')) as Record<string, unknown>;
}

/** Timing differs between two replays by nature (latency, TTFT, TPOT): the rest must not. */
const TIMED = /latency|ttft|tpot|service|headers|_ms$|duration/;

/** The report's verdict, untimed gate numbers and per-arm counts and costs. */
function comparableReport(report: Record<string, unknown>): unknown {
  const verdict = report.verdict as { decision: string; gates: { name: string; metric: string }[] };
  const untimed = (o: unknown): unknown =>
    o === null || typeof o !== 'object'
      ? o
      : Array.isArray(o)
        ? o.map(untimed)
        : Object.fromEntries(
            Object.entries(o as Record<string, unknown>)
              .filter(([k]) => !TIMED.test(k))
              .map(([k, v]) => [k, untimed(v)]),
          );
  return {
    decision: verdict.decision,
    gates: verdict.gates.filter((g) => !TIMED.test(g.metric)),
    arms: untimed(report.arms),
    spent: (report.run as { spent_usd: number }).spent_usd,
  };
}

describe('a sharded replay into PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let client: pg.Client;
  before(async () => {
    scratch = await createScratchDatabase();
    client = await connectPg(scratch.url);
  });
  after(async () => {
    await client.end();
    await scratch.drop();
  });

  const count = async (sql: string, values: unknown[]): Promise<number> =>
    Number((await client.query(sql, values)).rows[0]?.n ?? 0);

  it('spawned: two shards in parallel = one SQLite run (rows, counts, verdict, gate numbers)', async (t) => {
    const dir = tempDir(t);
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(60));
    await simsConfig(t, dir, 'one.json');
    const run = ['--scenario', 'prompts.jsonl', '--seed', '5', '--json'];
    const one = await finish(runChild(['run', '--config', 'one.json', '--db', 'one.db', ...run], dir));

    await simsConfig(t, dir, 'two.json');
    const shard = (i: number) =>
      runChild(
        [
          'run',
          '--config',
          'two.json',
          '--db',
          scratch.url,
          '--shard',
          `${i}/2`,
          '--run-id',
          'r-shared',
          ...run,
        ],
        dir,
      );
    const shards = await Promise.all([finish(shard(1)), finish(shard(2))]);
    assert.deepEqual(
      shards.map((s) => [s.shard, s.status]),
      [
        ['1/2', 'completed'],
        ['2/2', 'completed'],
      ],
    );
    assert.ok(
      shards.some((s) => s.run_status === 'completed'),
      'the last shard to end completes the run',
    );
    const inShard1 = makePrompts(60).filter((p) => shardOf(p.id as string, 2) === 1).length;
    assert.ok(inShard1 > 15 && inShard1 < 45, `shard 1 holds ${inShard1} of 60`);
    assert.deepEqual(
      shards.map((s) => s.total_prompts),
      [inShard1, 60 - inShard1],
    );

    const runRow = (await client.query('SELECT status, spent_usd FROM runs WHERE id = $1', ['r-shared']))
      .rows[0];
    assert.equal(runRow.status, 'completed');
    const shardRows = (
      await client.query(
        'SELECT shard, shards, status, spent_usd, reserved_usd FROM run_shards WHERE run_id = $1 ORDER BY shard',
        ['r-shared'],
      )
    ).rows;
    assert.deepEqual(
      shardRows.map((r) => [r.shard, r.shards, r.status, r.reserved_usd]),
      [
        [1, 2, 'completed', 0],
        [2, 2, 'completed', 0],
      ],
    );
    assert.ok(Math.abs(runRow.spent_usd - shardRows[0].spent_usd - shardRows[1].spent_usd) < 1e-12);
    assert.ok(Math.abs(runRow.spent_usd - one.spent_usd) < 1e-9);

    const expected = sqliteReplayRows(openDb(t, join(dir, 'one.db')), one.run_id);
    assert.deepEqual(await pgReplayRows(client, 'r-shared'), expected);

    const copy = runChild(
      ['db', 'copy', '--from', scratch.url, '--to', 'sqlite:two.db', '--run', 'r-shared'],
      dir,
    );
    assert.equal((await copy.exited).code, 0, copy.out().stderr);
    const [a, b] = await Promise.all([
      reportOf(dir, 'one.db', one.run_id, 'rep-one'),
      reportOf(dir, 'two.db', 'r-shared', 'rep-two'),
    ]);
    t.diagnostic(`verdict ${(a.verdict as { decision: string }).decision}`);
    assert.deepEqual(comparableReport(b), comparableReport(a));
  });

  it('spawned: a shard killed with kill -9 and resumed: the run completes, nothing lost, nothing doubled', async (t) => {
    const dir = tempDir(t);
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(120));
    const sims = await simsConfig(t, dir, 'exp.json');
    const run = [
      '--config',
      'exp.json',
      '--scenario',
      'prompts.jsonl',
      '--db',
      scratch.url,
      '--run-id',
      'r-kill',
      '--budget-usd',
      '100',
      '--json',
    ];
    const two = finish(runChild(['run', ...run, '--shard', '2/2'], dir));
    const victim = runChild(['run', ...run, '--shard', '1/2', '--concurrency', '2'], dir);
    t.after(() => victim.child.kill('SIGKILL'));
    const mine = new Set(
      makePrompts(120)
        .filter((p) => shardOf(p.id as string, 2) === 1)
        .map((p) => p.id as string),
    );
    const shard1Rows = async () =>
      (await client.query('SELECT prompt_id FROM requests WHERE run_id = $1', ['r-kill'])).rows.filter((r) =>
        mine.has(r.prompt_id),
      ).length;
    for (const until = Date.now() + 30_000; ; ) {
      if ((await shard1Rows().catch(() => 0)) >= 20) break;
      if (victim.child.exitCode !== null) throw new Error(`shard 1 ended early: ${victim.out().stderr}`);
      if (Date.now() > until) throw new Error('timed out waiting for rows');
      await new Promise((r) => setTimeout(r, 20));
    }
    victim.child.kill('SIGKILL');
    assert.equal((await victim.exited).signal, 'SIGKILL');
    const atKill = await shard1Rows();
    assert.ok(
      atKill > 0 && atKill < mine.size * 2,
      `shard 1 had ${atKill} of ${mine.size * 2} final rows at the kill`,
    );

    const other = await two;
    assert.equal(other.status, 'completed');
    assert.equal(other.run_status, 'running', 'shard 1 has not completed');
    const atKillShards = (
      await client.query(
        'SELECT shard, status, budget_usd FROM run_shards WHERE run_id = $1 ORDER BY shard',
        ['r-kill'],
      )
    ).rows;
    assert.deepEqual(
      atKillShards.map((r) => [r.shard, r.status, r.budget_usd]),
      [
        [1, 'running', 50],
        [2, 'completed', 50],
      ],
      'shard 1 died running; --budget-usd is split by N',
    );

    const resumed = await finish(runChild(['run', ...run, '--shard', '1/2'], dir));
    assert.equal(resumed.status, 'completed');
    assert.equal(resumed.run_status, 'completed');

    const rows = (
      await client.query<{ prompt_id: string; arm: string; attempts: number; n: number }>(
        `SELECT r.prompt_id, r.arm, r.attempts, (SELECT COUNT(*) FROM attempts a
           WHERE a.run_id = r.run_id AND a.prompt_id = r.prompt_id AND a.arm = r.arm) AS n
         FROM requests r WHERE r.run_id = $1`,
        ['r-kill'],
      )
    ).rows;
    // Nothing lost: a final row for every (prompt, arm); nothing doubled: one row each, its attempts exactly.
    assert.equal(rows.length, 240);
    assert.equal(new Set(rows.map((r) => `${r.prompt_id}/${r.arm}`)).size, 240);
    assert.deepEqual(
      rows.filter((r) => r.attempts !== r.n),
      [],
      'every final row has exactly its attempts',
    );
    const orphans = await count(
      `SELECT COUNT(*) AS n FROM attempts a WHERE a.run_id = $1 AND NOT EXISTS
         (SELECT 1 FROM requests r WHERE r.run_id = a.run_id AND r.prompt_id = a.prompt_id AND r.arm = a.arm)`,
      ['r-kill'],
    );
    assert.equal(orphans, 0);
    assert.equal(await count('SELECT COUNT(*) AS n FROM prompts WHERE run_id = $1', ['r-kill']), 120);
    // Every (prompt, arm) reached its simulator under the run's idempotency key, and no other key did.
    const prompts = makePrompts(120).map((p) => p.id as string);
    for (const [arm, sim] of [
      ['baseline', sims.baseline],
      ['candidate', sims.candidate],
    ] as const) {
      const expected = new Set(prompts.map((id) => idempotencyKey('r-kill', id, arm)));
      assert.deepEqual(new Set(sim.idempotencyKeys().keys()), expected);
    }
    const end = (
      await client.query('SELECT status, reserved_usd, spent_usd FROM runs WHERE id = $1', ['r-kill'])
    ).rows[0];
    assert.equal(end.status, 'completed');
    assert.equal(end.reserved_usd, 0);
    const shardsEnd = (
      await client.query(
        'SELECT SUM(reserved_usd) AS r, SUM(spent_usd) AS s FROM run_shards WHERE run_id = $1',
        ['r-kill'],
      )
    ).rows[0];
    assert.ok(Math.abs(shardsEnd.r) < 1e-9, 'nothing left reserved');
    assert.ok(Math.abs(shardsEnd.s - end.spent_usd) < 1e-9, "the run's spend is its shards'");
  });
});
