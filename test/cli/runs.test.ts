import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BufferSink, type CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { openStore } from '../../src/store/open-store.js';
import { RunStore } from '../../src/store/run-store.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-runs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function io(): CliIo & { stdout: BufferSink; stderr: BufferSink } {
  return { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd: dir };
}

function makeDb(name: string): string {
  const path = join(dir, name);
  const db = openStore(path);
  const store = new RunStore(db);
  store.createRun({
    id: 'r-1',
    kind: 'shadow',
    label: 'nightly',
    startedAt: '2026-01-01T00:00:00.000Z',
    configJson: '{}',
    seed: 1,
    totalPrompts: 2,
  });
  for (const p of ['a', 'b']) {
    store.insertPrompt({ run_id: 'r-1', prompt_id: p, seq: 0, model: 'm', prompt_hash: 'h' });
    store.insertRequest({
      run_id: 'r-1',
      prompt_id: p,
      arm: 'baseline',
      outcome: 'ok',
      attempts: 1,
      started_at: 'x',
    });
    store.insertRequest({
      run_id: 'r-1',
      prompt_id: p,
      arm: 'candidate',
      outcome: p === 'a' ? 'ok' : 'error',
      attempts: 2,
      started_at: 'x',
    });
  }
  store.addSpend('r-1', 0.0123);
  store.setRunStatus('r-1', 'completed', '2026-01-01T00:05:00.000Z');
  store.close();
  db.close();
  return path;
}

describe('shadowgate runs', () => {
  it('lists runs with status and per-arm counts (default db in cwd)', async () => {
    makeDb('shadowgate.db');
    const out = io();
    assert.equal(await runCli(['runs'], out), 0, out.stderr.text);
    const lines = out.stdout.text.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(
      lines[1]!,
      /^r-1\s+shadow\s+nightly\s+completed\s+2026-01-01T00:00:00.000Z\s+2026-01-01T00:05:00.000Z\s+2\/2\s+baseline 2\/0, candidate 1\/1\s+\$0\.0123/,
    );
  });

  it('--json prints an array with the counts', async () => {
    const path = makeDb('other.db');
    const out = io();
    assert.equal(await runCli(['runs', '--db', path, '--json'], out), 0);
    const [run] = JSON.parse(out.stdout.text);
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.arms.candidate, { requests: 2, ok: 1, error: 1 });
    assert.equal(run.prompts, 2);
  });

  it('a missing db exits 2 with one line and is not created (spawned)', () => {
    const missing = join(dir, 'missing.db');
    const child = spawnSync(
      process.execPath,
      [join(process.cwd(), 'dist/src/cli/main.js'), 'runs', '--db', missing],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(child.status, 2);
    assert.equal(child.stderr.trim().split('\n').length, 1);
    assert.match(child.stderr, /no database at .*missing\.db/);
    assert.equal(existsSync(missing), false);
  });
});
