/**
 * `shadowgate run --db postgres://...`: the same scenario and simulator seeds
 * replayed into SQLite and into PostgreSQL leave the same rows; a resumed
 * run on PostgreSQL loses nothing and doubles nothing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type pg from 'pg';
import { runShadow, type ShadowRunDeps } from '../../../src/runner/shadow-run.js';
import { systemClock } from '../../../src/shared/clock.js';
import { InterruptedError } from '../../../src/shared/errors.js';
import { connectPg } from '../../../src/store/pg/open-pg-store.js';
import {
  makePrompts,
  openDb,
  profile,
  simConfig,
  startSim,
  tempDir,
  writeJsonl,
} from '../../helpers/shadow-fixtures.js';
import { pgReplayRows, sqliteReplayRows } from './replay-rows.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.js';

const deps = (over: Partial<ShadowRunDeps> = {}): ShadowRunDeps => ({ clock: systemClock, env: {}, ...over });

/** Status faults only (no hangs, no rate limiter): outcomes follow the seeds, not the timing. */
const faulty = () => profile('steady', { faultRates: { '500': 0.15, '503': 0.1 } });

/** Fresh simulators per replay: a simulator numbers the samples of a prompt it has seen before. */
async function sims(t: TestContext) {
  const baseline = await startSim(t, faulty(), 3);
  const candidate = await startSim(t, faulty(), 4);
  return simConfig(baseline.url, candidate.url, { concurrency: 6 });
}

describe('run into PostgreSQL', () => {
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

  it('leaves the rows a SQLite replay of the same seeds leaves', async (t) => {
    const dir = tempDir(t);
    const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(30));
    const dbPath = join(dir, 'run.db');
    const lite = await runShadow({ config: await sims(t), scenarioPath, dbPath, seed: 5 }, deps());
    const pgRun = await runShadow(
      {
        config: await sims(t),
        scenarioPath,
        dbPath: 'unused',
        db: { kind: 'postgres', url: scratch.url },
        seed: 5,
      },
      deps(),
    );
    assert.equal(pgRun.status, 'completed');
    assert.equal(pgRun.db, scratch.url);
    assert.deepEqual(pgRun.arms, lite.arms);
    assert.equal(pgRun.prompts, 30);
    assert.ok(Math.abs(pgRun.spent_usd - lite.spent_usd) < 1e-12);
    const expected = sqliteReplayRows(openDb(t, dbPath), lite.run_id);
    const got = await pgReplayRows(client, pgRun.run_id);
    assert.ok(expected.attempts.length > expected.requests.length, 'the faults made retries');
    assert.deepEqual(got, expected);
    const run = (
      await client.query('SELECT status, total_prompts, instrument_json FROM runs WHERE id = $1', [
        pgRun.run_id,
      ])
    ).rows[0];
    assert.equal(run.status, 'completed');
    assert.equal(run.total_prompts, 30);
    assert.ok(JSON.parse(run.instrument_json).attempts > 0);
  });

  it('an interrupted run resumes on PostgreSQL: nothing lost, nothing doubled', async (t) => {
    const dir = tempDir(t);
    const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(40));
    const dbPath = join(dir, 'run.db');
    const lite = await runShadow({ config: await sims(t), scenarioPath, dbPath, seed: 9 }, deps());

    const db = { kind: 'postgres', url: scratch.url } as const;
    const config = await sims(t);
    const stop = new AbortController();
    let runId = '';
    await assert.rejects(
      runShadow(
        { config, scenarioPath, dbPath: 'unused', db, seed: 9, concurrency: 2 },
        deps({
          signal: stop.signal,
          onProgress: (p) => {
            if (p.done >= 10) stop.abort(new Error('SIGINT'));
          },
        }),
      ),
      (err) => {
        assert.ok(err instanceof InterruptedError);
        runId = /--resume (\S+)/.exec(err.message)![1]!;
        return true;
      },
    );
    const mid = await client.query('SELECT status FROM runs WHERE id = $1', [runId]);
    assert.equal(mid.rows[0].status, 'interrupted');
    const partial = await client.query('SELECT COUNT(*) AS n FROM requests WHERE run_id = $1', [runId]);
    assert.ok(partial.rows[0].n >= 20 && partial.rows[0].n < 80, `partial rows: ${partial.rows[0].n}`);

    const resumed = await runShadow({ config, dbPath: 'unused', db, resume: runId }, deps());
    assert.equal(resumed.status, 'completed');
    assert.deepEqual(resumed.arms, lite.arms);
    assert.deepEqual(await pgReplayRows(client, runId), sqliteReplayRows(openDb(t, dbPath), lite.run_id));
  });
});
