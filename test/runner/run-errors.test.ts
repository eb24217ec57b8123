import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runShadow } from '../../src/runner/shadow-run.js';
import { type Clock, systemClock } from '../../src/shared/clock.js';
import {
  makePrompts,
  openDb,
  profile,
  simConfig,
  startSim,
  tempDir,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';

describe('runShadow errors are errors', () => {
  it('a pacer error fails the run instead of ending dispatch quietly as completed', async (t) => {
    const dir = tempDir(t);
    const baseline = await startSim(t, profile('steady'));
    const candidate = await startSim(t, profile('steady'));
    const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(4));
    const dbPath = join(dir, 'run.db');
    // The rps cap makes the pacer sleep before the second prompt; that sleep breaks.
    const broken: Clock = {
      ...systemClock,
      sleep: () => Promise.reject(new Error('the clock broke')),
    };
    await assert.rejects(
      runShadow(
        { config: simConfig(baseline.url, candidate.url), scenarioPath, dbPath, rps: 5, concurrency: 1 },
        { clock: broken, env: {} },
      ),
      /the clock broke/,
    );
    const db = openDb(t, dbPath);
    assert.equal((db.prepare('SELECT status FROM runs').get() as { status: string }).status, 'failed');
  });

  it('a failing store close does not mask the error that ended the run', async (t) => {
    const dir = tempDir(t);
    const baseline = await startSim(t, profile('steady'));
    const candidate = await startSim(t, profile('steady'));
    const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(6));
    const dbPath = join(dir, 'run.db');
    const warnings: string[] = [];
    let fired = false;
    await assert.rejects(
      runShadow(
        { config: simConfig(baseline.url, candidate.url), scenarioPath, dbPath, concurrency: 1 },
        {
          clock: systemClock,
          env: {},
          onWarning: (line) => warnings.push(line),
          onProgress: () => {
            if (fired) return;
            fired = true;
            // Another process deletes the run under us: every later write of its rows fails.
            const other = new Database(dbPath);
            other.pragma('foreign_keys = OFF');
            other.prepare('DELETE FROM runs').run();
            other.close();
            throw new Error('the progress display broke');
          },
        },
      ),
      /the progress display broke/,
    );
    assert.ok(
      warnings.some((w) => /closing the database failed too: .*FOREIGN KEY/i.test(w)),
      warnings.join('\n'),
    );
  });
});
