import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  makePrompts,
  profile,
  simConfigInput,
  startSim,
  tempDir,
  writeConfig,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';

const MAIN = resolve('dist/src/cli/main.js');

describe('shadowgate run under SIGTERM', () => {
  it('spawned: kill -TERM mid-run stops gracefully, marks the run interrupted, prints the resume command, exits 143', async (t) => {
    const dir = tempDir(t);
    const slow = profile('openai-like', { faultRates: {}, latencyScale: 0.05 });
    const baseline = await startSim(t, slow);
    const candidate = await startSim(t, slow);
    writeConfig(join(dir, 'exp.json'), simConfigInput(baseline.url, candidate.url, { stream: false }));
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(200));
    const dbPath = join(dir, 'term.db');
    const child = spawn(
      process.execPath,
      [
        MAIN,
        'run',
        '--config',
        'exp.json',
        '--scenario',
        'prompts.jsonl',
        '--db',
        'term.db',
        '--concurrency',
        '2',
      ],
      { cwd: dir, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.after(() => child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal })),
    );
    const until = Date.now() + 20_000;
    for (;;) {
      let n = 0;
      try {
        const db = new Database(dbPath, { readonly: true, fileMustExist: true });
        try {
          n = (db.prepare('SELECT COUNT(*) AS n FROM requests').get() as { n: number }).n;
        } finally {
          db.close();
        }
      } catch {
        // not there yet
      }
      if (n >= 6) break;
      assert.ok(Date.now() < until, 'the run wrote rows in time');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    assert.equal(signal, null, 'the process handled SIGTERM rather than dying of it');
    assert.equal(code, 143, stderr);
    assert.match(stderr, /resume with: shadowgate run --resume \S+ --db \S*term\.db/);
    const db = new Database(dbPath, { readonly: true });
    t.after(() => db.close());
    const run = db.prepare('SELECT status FROM runs').get() as { status: string };
    assert.equal(run.status, 'interrupted');
  });
});
