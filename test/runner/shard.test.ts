import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BufferSink } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { runShadow, type ShadowRunDeps } from '../../src/runner/shadow-run.js';
import { inShard, parseShard, shardOf } from '../../src/runner/shard.js';
import { shardBudgetUsd } from '../../src/runner/shard-record.js';
import { systemClock } from '../../src/shared/clock.js';
import { UsageError } from '../../src/shared/errors.js';
import { runStatusOfShards } from '../../src/store/run-shards.js';
import {
  finalRowCounts,
  makePrompts,
  openDb,
  profile,
  simConfig,
  startSim,
  tempDir,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';

const deps = (): ShadowRunDeps => ({ clock: systemClock, env: {} });

describe('shardOf', () => {
  it('golden vectors: first 4 bytes of sha256(id), big-endian, mod N, plus 1', () => {
    // sha256('p-0001') starts e2 17 ..: 3793233071; sha256('hello') starts 2c f2 4d ba: 754077114.
    const vectors: [string, number, number, number][] = [
      ['p-0001', 2, 3, 2],
      ['p-0002', 2, 2, 10],
      ['hello', 1, 1, 5],
      ['', 1, 3, 1],
      ['日本', 1, 3, 3],
    ];
    for (const [id, of2, of3, of10] of vectors) {
      assert.deepEqual([shardOf(id, 2), shardOf(id, 3), shardOf(id, 10)], [of2, of3, of10], id);
    }
  });

  it('every prompt falls in exactly one shard, and the shards are about even', () => {
    const ids = makePrompts(3000).map((p) => p.id as string);
    const sizes = [1, 2, 3].map((index) => ids.filter((id) => inShard(id, { index, count: 3 })).length);
    assert.equal(
      sizes.reduce((a, b) => a + b),
      3000,
    );
    for (const n of sizes) assert.ok(n > 900 && n < 1100, `shard size ${n}`);
  });
});

describe('parseShard', () => {
  it('reads I/N and refuses what is not one of N shards', () => {
    assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
    assert.deepEqual(parseShard(' 1 / 1 '), { index: 1, count: 1 });
    for (const bad of ['0/2', '3/2', '1/0', '1', 'a/b', '1/2/3', '-1/2'])
      assert.throws(
        () => parseShard(bad),
        (e: unknown) => e instanceof UsageError && /--shard/.test(e.message),
        bad,
      );
  });
});

describe('runStatusOfShards and shardBudgetUsd', () => {
  it('the run is completed only when all N shards are', () => {
    const s = (status: string) => ({ shard: 0, status }) as Parameters<typeof runStatusOfShards>[0][number];
    assert.equal(runStatusOfShards([s('completed'), s('completed')], 2), 'completed');
    assert.equal(runStatusOfShards([s('completed')], 2), 'running', 'a shard has not started');
    assert.equal(runStatusOfShards([s('completed'), s('running')], 2), 'running');
    assert.equal(runStatusOfShards([s('completed'), s('interrupted')], 2), 'interrupted');
    assert.equal(runStatusOfShards([s('budget_exhausted'), s('failed')], 2), 'failed');
  });

  it('splits --budget-usd by N unless --budget-per-shard', () => {
    assert.equal(shardBudgetUsd(10, { index: 1, count: 4 }, false), 2.5);
    assert.equal(shardBudgetUsd(10, { index: 1, count: 4 }, true), 10);
    assert.equal(shardBudgetUsd(null, { index: 1, count: 4 }, false), null);
  });
});

describe('sharded replay on SQLite', () => {
  it('two shards at once into one file: one run, every prompt once, completed when both are', async (t) => {
    const dir = tempDir(t);
    const baseline = await startSim(t, profile('steady'), 1);
    const candidate = await startSim(t, profile('steady'), 2);
    const config = simConfig(baseline.url, candidate.url);
    const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(50));
    const dbPath = join(dir, 'run.db');
    const shard = (index: number) =>
      runShadow(
        { config, scenarioPath, dbPath, shard: { index, count: 2 }, runId: 'r-s', budgetUsd: 4 },
        deps(),
      );
    const [one, two] = await Promise.all([shard(1), shard(2)]);
    assert.deepEqual([one.status, two.status], ['completed', 'completed']);
    assert.ok([one.run_status, two.run_status].includes('completed'));
    assert.equal(one.budget_usd, 2);
    const db = openDb(t, dbPath);
    const counts = finalRowCounts(db, 'r-s');
    assert.equal(counts.size, 100);
    assert.ok([...counts.values()].every((n) => n === 1));
    const run = db.prepare('SELECT status, budget_usd, spent_usd FROM runs WHERE id = ?').get('r-s') as {
      status: string;
      budget_usd: number;
      spent_usd: number;
    };
    assert.equal(run.status, 'completed');
    assert.equal(run.budget_usd, 4);
    const shards = db
      .prepare('SELECT shard, spent_usd FROM run_shards WHERE run_id = ? ORDER BY shard')
      .all('r-s') as {
      spent_usd: number;
    }[];
    assert.ok(Math.abs(run.spent_usd - shards[0]!.spent_usd - shards[1]!.spent_usd) < 1e-12);

    const io = { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd: dir };
    assert.equal(await runCli(['runs', '--db', 'run.db'], io), 0, io.stderr.text);
    assert.match(io.stdout.text, /\n {2}shards: 1\/2 completed \$[\d.]+, 2\/2 completed \$[\d.]+\n/);
    const json = { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd: dir };
    assert.equal(await runCli(['runs', '--db', 'run.db', '--json'], json), 0);
    const listed = JSON.parse(json.stdout.text) as { shards: { shard: number; status: string }[] }[];
    assert.deepEqual(
      listed[0]!.shards.map((x) => [x.shard, x.status]),
      [
        [1, 'completed'],
        [2, 'completed'],
      ],
    );
  });

  it('refuses a shard of another N, another seed, or without --run-id, each in one line', async (t) => {
    const dir = tempDir(t);
    const baseline = await startSim(t, profile('steady'), 1);
    const candidate = await startSim(t, profile('steady'), 2);
    const config = simConfig(baseline.url, candidate.url);
    const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(6));
    const dbPath = join(dir, 'run.db');
    await runShadow({ config, scenarioPath, dbPath, shard: { index: 1, count: 2 }, runId: 'r-x' }, deps());
    await assert.rejects(
      runShadow({ config, scenarioPath, dbPath, shard: { index: 2, count: 3 }, runId: 'r-x' }, deps()),
      /run r-x is replayed in 2 shards, not 3: give --shard I\/2/,
    );
    await assert.rejects(
      runShadow(
        { config, scenarioPath, dbPath, shard: { index: 2, count: 2 }, runId: 'r-x', seed: 9 },
        deps(),
      ),
      (e: unknown) => e instanceof UsageError && /^run r-x was started with other seed/.test(e.message),
    );
    const other = simConfig(baseline.url, candidate.url, { retry: { maxAttempts: 2 } });
    await assert.rejects(
      runShadow({ config: other, scenarioPath, dbPath, shard: { index: 2, count: 2 }, runId: 'r-x' }, deps()),
      /run r-x was started with another config: every shard of a run replays the same config, scenario and seed$/,
    );
    await assert.rejects(
      runShadow({ config, scenarioPath, dbPath, shard: { index: 2, count: 2 } }, deps()),
      /--shard needs --run-id ID/,
    );
    const status = openDb(t, dbPath).prepare('SELECT status FROM runs WHERE id = ?').pluck().get('r-x');
    assert.equal(status, 'running', 'shard 2 has not run yet');
  });
});
