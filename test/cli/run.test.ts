import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BufferSink, type CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { idempotencyKey } from '../../src/retry/idempotency.js';
import { runChild, waitFor } from '../helpers/child-process.js';
import {
  finalRowCounts,
  makePrompts,
  openDb,
  profile,
  simConfigInput,
  startSim,
  tempDir,
  writeConfig,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';

function io(
  cwd: string,
  env: Record<string, string | undefined> = {},
): CliIo & { stdout: BufferSink; stderr: BufferSink } {
  return { stdout: new BufferSink(), stderr: new BufferSink(), env, cwd };
}

describe('shadowgate run', () => {
  it('--json prints one summary object; the human form names the next command', async (t) => {
    const dir = tempDir(t);
    const baseline = await startSim(t, profile('steady'));
    const candidate = await startSim(t, profile('steady'));
    writeConfig(join(dir, 'exp.json'), simConfigInput(baseline.url, candidate.url));
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(10));
    const a = io(dir);
    const code = await runCli(
      [
        'run',
        '--config',
        'exp.json',
        '--scenario',
        'prompts.jsonl',
        '--db',
        'x.db',
        '--replica',
        '1',
        '--json',
      ],
      a,
    );
    assert.equal(code, 0, a.stderr.text);
    const summary = JSON.parse(a.stdout.text);
    assert.deepEqual(Object.keys(summary).sort(), [
      'arms',
      'budget_usd',
      'db',
      'duration_s',
      'instrument',
      'paused_ms',
      'prompts',
      'run_id',
      'spent_usd',
      'status',
      'total_prompts',
    ]);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.prompts, 10);
    assert.deepEqual(summary.arms.baseline, { requests: 10, ok: 10, error: 0 });
    assert.deepEqual(summary.arms.candidate, { requests: 10, ok: 10, error: 0 });
    assert.equal(summary.arms.baseline_replica.requests, 10);
    assert.equal(summary.db, join(dir, 'x.db'));
    assert.ok(summary.spent_usd > 0);
    assert.deepEqual(Object.keys(summary.instrument).sort(), [
      'attempts',
      'event_loop_delay_max_ms',
      'event_loop_delay_p50_ms',
      'event_loop_delay_p99_ms',
      'saturated',
      'sessions',
      'threshold_ms',
      'timing_error_bound_max_ms',
      'timing_error_bound_p50_ms',
      'timing_error_bound_p99_ms',
    ]);
    assert.equal(summary.instrument.attempts, 30);
    assert.equal(summary.instrument.saturated, summary.instrument.timing_error_bound_p99_ms > 5);

    const b = io(dir);
    assert.equal(
      await runCli(
        ['run', '--config', 'exp.json', '--scenario', 'prompts.jsonl', '--db', 'x.db', '--label', 'two'],
        b,
      ),
      0,
    );
    assert.match(b.stdout.text, /completed: 10 prompts/);
    assert.match(b.stdout.text, /next: shadowgate report shadow --run r-\S+ --db /);
    assert.match(b.stdout.text, /timings accurate to ±\d+\.\d\d ms, p99/);
    // Two runs in one db, distinct ids.
    const db = openDb(t, join(dir, 'x.db'));
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n, 2);
  });

  it('exits 2 with every config problem and with scenario lines, writing nothing', async (t) => {
    const dir = tempDir(t);
    writeConfig(join(dir, 'bad.json'), {
      providers: {
        baseline: { kind: 'openai', baseUrl: 'nope' },
        candidate: { kind: 'openai', baseUrl: 'nope' },
      },
    });
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(2));
    const a = io(dir);
    assert.equal(
      await runCli(['run', '--config', 'bad.json', '--scenario', 'prompts.jsonl', '--db', 'x.db'], a),
      2,
    );
    assert.match(a.stderr.text, /providers\.baseline\.baseUrl/);
    assert.match(a.stderr.text, /providers\.candidate\.baseUrl/);

    writeConfig(join(dir, 'ok.json'), simConfigInput('http://127.0.0.1:9/v1', 'http://127.0.0.1:9/v1'));
    writeJsonl(join(dir, 'broken.jsonl'), [makePrompts(1)[0], '{"model": "gpt-4.1"}']);
    const b = io(dir);
    assert.equal(
      await runCli(['run', '--config', 'ok.json', '--scenario', 'broken.jsonl', '--db', 'x.db'], b),
      2,
    );
    assert.match(b.stderr.text, /broken\.jsonl:2: /);

    const c = io(dir);
    assert.equal(
      await runCli(
        ['run', '--config', 'ok.json', '--scenario', 'prompts.jsonl', '--db', 'x.db', '--sample', '2'],
        c,
      ),
      2,
    );
    assert.match(c.stderr.text, /--sample/);
    assert.equal(existsSync(join(dir, 'x.db')), false);
  });

  it('spawned: a missing API key exits 2 naming the variable, before anything is written', async (t) => {
    const dir = tempDir(t);
    writeConfig(
      join(dir, 'exp.json'),
      simConfigInput('http://127.0.0.1:9/v1', 'http://127.0.0.1:9/v1', { candidateKeyEnv: 'SG_RELAY_KEY' }),
    );
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(2));
    const r = runChild(['run', '--config', 'exp.json', '--scenario', 'prompts.jsonl', '--db', 'x.db'], dir);
    const { code } = await r.exited;
    assert.equal(code, 2);
    assert.match(r.out().stderr, /SG_RELAY_KEY/);
    assert.doesNotMatch(r.out().stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(join(dir, 'x.db')), false);
  });

  it('spawned: kill -9 mid-run, then --resume completes with one final row per (prompt, arm) and the same keys', async (t) => {
    const dir = tempDir(t);
    const slow = profile('openai-like', { faultRates: {}, latencyScale: 0.01 });
    const baseline = await startSim(t, slow);
    const candidate = await startSim(t, slow);
    writeConfig(join(dir, 'exp.json'), simConfigInput(baseline.url, candidate.url, { stream: false }));
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(400));
    const dbPath = join(dir, 'kill.db');
    const r = runChild(
      [
        'run',
        '--config',
        'exp.json',
        '--scenario',
        'prompts.jsonl',
        '--db',
        'kill.db',
        '--concurrency',
        '4',
        '--replica',
        '0.2',
      ],
      dir,
    );
    t.after(() => r.child.kill('SIGKILL'));
    const runId = await waitFor(
      () => {
        const db = new Database(dbPath, { readonly: true, fileMustExist: true });
        try {
          const run = db.prepare('SELECT id FROM runs').get() as { id: string } | undefined;
          const n = (db.prepare('SELECT COUNT(*) AS n FROM requests').get() as { n: number }).n;
          return run && n >= 10 ? run.id : null;
        } finally {
          db.close();
        }
      },
      20_000,
      r.child,
    );
    r.child.kill('SIGKILL');
    const { signal } = await r.exited;
    assert.equal(signal, 'SIGKILL');

    const before = openDb(t, dbPath);
    const partial = (
      before.prepare('SELECT COUNT(*) AS n FROM requests WHERE run_id = ?').get(runId) as { n: number }
    ).n;
    assert.ok(partial < 800, `the child was killed mid-run (${partial} rows)`);
    const status = (before.prepare('SELECT status FROM runs WHERE id = ?').get(runId) as { status: string })
      .status;
    assert.equal(status, 'running');

    const a = io(dir);
    const code = await runCli(['run', '--resume', runId, '--db', 'kill.db', '--json'], a);
    assert.equal(code, 0, a.stderr.text);
    const summary = JSON.parse(a.stdout.text);
    assert.equal(summary.run_id, runId);
    assert.equal(summary.status, 'completed');
    const db = openDb(t, dbPath);
    const counts = finalRowCounts(db, runId);
    const replicas = summary.arms.baseline_replica?.requests ?? 0;
    assert.equal(counts.size, 800 + replicas);
    assert.ok([...counts.values()].every((c) => c === 1));
    const rows = db
      .prepare('SELECT prompt_id, arm, attempts, idempotency_key FROM requests WHERE run_id = ?')
      .all(runId) as {
      prompt_id: string;
      arm: string;
      attempts: number;
      idempotency_key: string;
    }[];
    const attemptCounts = new Map<string, number>();
    for (const row of db.prepare('SELECT prompt_id, arm FROM attempts WHERE run_id = ?').all(runId) as {
      prompt_id: string;
      arm: string;
    }[]) {
      const key = `${row.prompt_id}/${row.arm}`;
      attemptCounts.set(key, (attemptCounts.get(key) ?? 0) + 1);
    }
    for (const row of rows) {
      assert.equal(row.idempotency_key, idempotencyKey(runId, row.prompt_id, row.arm));
      assert.equal(attemptCounts.get(`${row.prompt_id}/${row.arm}`), row.attempts);
    }
    assert.equal(attemptCounts.size, rows.length, 'no attempts without a final row');

    // What the servers received: every attempt carries its (run, prompt, arm) key, so a key seen more
    // often than its stored attempts was sent again after the kill. Only requests in flight at the
    // kill may be: at most --concurrency prompts, three arms each.
    const received = new Map([...baseline.idempotencyKeys(), ...candidate.idempotencyKeys()]);
    let resent = 0;
    for (const row of rows) {
      const got = received.get(row.idempotency_key) ?? 0;
      assert.ok(got >= row.attempts, `${row.idempotency_key}: server saw ${got} < ${row.attempts} stored`);
      if (got > row.attempts) resent++;
    }
    assert.ok(resent <= 4 * 3, `${resent} requests were sent again; only those in flight at the kill may be`);
  });
});
