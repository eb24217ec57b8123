import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/open-store.js';
import { ATTEMPT_COLUMNS, PROMPT_COLUMNS, REQUEST_COLUMNS, type RequestRow } from '../../src/store/rows.js';
import { listRuns } from '../../src/store/run-queries.js';
import { completedKey, RunStore } from '../../src/store/run-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `t${++n}.db`);
const T0 = '2026-01-01T00:00:00.000Z';

function newRun(store: RunStore, id = 'r1') {
  store.createRun({
    id,
    kind: 'shadow',
    label: 'test',
    startedAt: T0,
    configJson: '{}',
    seed: 7,
    totalPrompts: 3,
  });
}

const request = (prompt_id: string, arm: RequestRow['arm'], outcome: 'ok' | 'error' = 'ok'): RequestRow => ({
  run_id: 'r1',
  prompt_id,
  arm,
  outcome,
  attempts: 1,
  started_at: T0,
  json_valid: true,
  output_text: `answer ${prompt_id}`,
});

describe('openStore', () => {
  it('migrates a version-1 file to the current schema, keeping its runs', () => {
    const path = freshPath();
    const raw = new Database(path);
    raw.exec(MIGRATIONS[0]!);
    raw.pragma('user_version = 1');
    raw
      .prepare(
        `INSERT INTO runs (id, kind, status, started_at, config_json, seed) VALUES ('r1', 'shadow', 'completed', 'x', '{}', 1)`,
      )
      .run();
    raw.close();
    const db = openStore(path);
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(db.prepare('SELECT COUNT(*) FROM runs').pluck().get(), 1);
    assert.equal(db.prepare('SELECT COUNT(*) FROM rollouts').pluck().get(), 0);
    assert.equal(db.prepare('SELECT paused_ms FROM runs').pluck().get(), 0);
    assert.equal(db.prepare('SELECT COUNT(*) FROM breaker_events').pluck().get(), 0);
    db.close();
  });

  it('creates the schema in WAL mode with the current user_version', () => {
    const path = freshPath();
    const db = openStore(path);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(db.pragma('synchronous', { simple: true }), 1); // NORMAL
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    assert.deepEqual(tables, [
      'attempts',
      'breaker_events',
      'prompts',
      'requests',
      'rollout_events',
      'rollout_requests',
      'rollout_stages',
      'rollouts',
      'run_shards',
      'runs',
      'sqlite_sequence',
    ]);
    db.close();
    // Reopening migrates nothing twice and keeps data.
    const again = openStore(path);
    assert.equal(again.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    again.close();
  });

  it('row column lists match the schema exactly', () => {
    const db = openStore(':memory:');
    const columns = (table: string) =>
      db
        .prepare(`PRAGMA table_info(${table})`)
        .all()
        .map((c) => (c as { name: string }).name);
    assert.deepEqual(columns('prompts'), [...PROMPT_COLUMNS]);
    assert.deepEqual(columns('requests'), [...REQUEST_COLUMNS]);
    assert.deepEqual(columns('attempts'), [...ATTEMPT_COLUMNS]);
    db.close();
  });

  it('refuses a database newer than it knows, and read-only opening of a missing file', () => {
    const path = freshPath();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(() => openStore(path), /newer than this shadowgate knows/);
    const missing = join(dir, 'missing.db');
    assert.throws(() => openStore(missing, { readonly: true }), /no database at/);
    assert.equal(existsSync(missing), false);
  });
});

describe('RunStore', () => {
  it('records breaker openings and pauses at once; a resume numbers openings on', () => {
    const db = openStore(freshPath());
    const store = new RunStore(db, { flushIntervalMs: 0 });
    newRun(store);
    assert.equal(store.lastBreakerSeq('r1', 'candidate'), 0);
    store.insertBreakerEvent({ run_id: 'r1', arm: 'candidate', seq: 1, opened_at: T0 });
    store.setBreakerHalfOpen('r1', 'candidate', 1, '2026-01-05T10:00:10.000Z', 10_000);
    store.insertBreakerEvent({ run_id: 'r1', arm: 'candidate', seq: 2, opened_at: T0 });
    store.addPausedMs('r1', 250.5);
    store.addPausedMs('r1', 100);
    assert.equal(store.lastBreakerSeq('r1', 'candidate'), 2);
    assert.equal(store.lastBreakerSeq('r1', 'baseline'), 0);
    assert.deepEqual(db.prepare('SELECT seq, half_open_at, open_ms FROM breaker_events ORDER BY seq').all(), [
      { seq: 1, half_open_at: '2026-01-05T10:00:10.000Z', open_ms: 10_000 },
      { seq: 2, half_open_at: null, open_ms: null },
    ]);
    assert.equal(store.getRun('r1')!.paused_ms, 350.5);
    store.close();
    db.close();
  });

  it('buffers rows and writes them in one batch at the batch size', () => {
    const db = openStore(freshPath());
    const store = new RunStore(db, { batchSize: 4, flushIntervalMs: 0 });
    newRun(store);
    const count = (t: string) => db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get();
    store.insertPrompt({ run_id: 'r1', prompt_id: 'p1', seq: 0, model: 'm', prompt_hash: 'h' });
    store.insertAttempt({
      run_id: 'r1',
      prompt_id: 'p1',
      arm: 'baseline',
      attempt: 1,
      started_at: T0,
      hint: 'retry-after',
    });
    store.insertRequest(request('p1', 'baseline'));
    assert.equal(store.pendingRows, 3);
    assert.equal(count('requests'), 0);
    store.insertRequest(request('p1', 'candidate', 'error'));
    assert.equal(store.pendingRows, 0);
    assert.equal(count('prompts'), 1);
    assert.equal(count('attempts'), 1);
    assert.equal(count('requests'), 2);
    const row = db
      .prepare("SELECT json_valid, output_text, http_status FROM requests WHERE arm = 'baseline'")
      .get();
    assert.deepEqual({ ...(row as object) }, { json_valid: 1, output_text: 'answer p1', http_status: null });
    store.close();
    db.close();
  });

  it('flushes on a timer so rows do not wait for a full batch', async () => {
    const db = openStore(freshPath());
    const store = new RunStore(db, { batchSize: 1000, flushIntervalMs: 5 });
    newRun(store);
    store.insertRequest(request('p1', 'baseline'));
    // A real timer: this is the behaviour under test (the delay is 5 ms).
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(store.pendingRows, 0);
    assert.equal(db.prepare('SELECT COUNT(*) FROM requests').pluck().get(), 1);
    store.close();
    db.close();
  });

  it('commits a final row by the end of its event-loop turn (group commit), long before the timer', async () => {
    const path = freshPath();
    const db = openStore(path);
    const store = new RunStore(db, { batchSize: 1000, flushIntervalMs: 60_000 });
    newRun(store);
    store.insertRequest(request('p1', 'baseline'));
    store.insertRequest(request('p1', 'candidate'));
    store.insertAttempt({ run_id: 'r1', prompt_id: 'p1', arm: 'baseline', attempt: 1, started_at: T0 });
    await new Promise((r) => setImmediate(r));
    // Another connection, as a resume after kill -9 would open it.
    const reader = openStore(path, { readonly: true });
    assert.equal(reader.prepare('SELECT COUNT(*) FROM requests').pluck().get(), 2);
    assert.equal(reader.prepare('SELECT COUNT(*) FROM attempts').pluck().get(), 1);
    reader.close();
    store.close();
    db.close();
  });

  it('final rows are idempotent: writing them again changes nothing', () => {
    const db = openStore(freshPath());
    const store = new RunStore(db);
    newRun(store);
    store.insertRequest(request('p1', 'baseline'));
    store.flush();
    store.insertRequest({ ...request('p1', 'baseline', 'error'), output_text: 'second' });
    store.insertPrompt({ run_id: 'r1', prompt_id: 'p1', seq: 0, model: 'm', prompt_hash: 'h' });
    store.insertPrompt({ run_id: 'r1', prompt_id: 'p1', seq: 0, model: 'm', prompt_hash: 'h2' });
    store.flush();
    const rows = db.prepare('SELECT outcome, output_text FROM requests').all();
    assert.deepEqual(
      rows.map((r) => ({ ...(r as object) })),
      [{ outcome: 'ok', output_text: 'answer p1' }],
    );
    assert.equal(db.prepare('SELECT prompt_hash FROM prompts').pluck().get(), 'h');
    store.close();
    db.close();
  });

  it('completedKeys and deleteOrphanAttempts support resume; a reopened file keeps everything', () => {
    const path = freshPath();
    const db = openStore(path);
    const store = new RunStore(db);
    newRun(store);
    for (const arm of ['baseline', 'candidate'] as const) {
      store.insertAttempt({ run_id: 'r1', prompt_id: 'p1', arm, attempt: 1, started_at: T0 });
      store.insertRequest(request('p1', arm));
    }
    // p2: the candidate's attempts are in, its final row is not (the process died here).
    store.insertAttempt({ run_id: 'r1', prompt_id: 'p2', arm: 'baseline', attempt: 1, started_at: T0 });
    store.insertRequest(request('p2', 'baseline'));
    store.insertAttempt({
      run_id: 'r1',
      prompt_id: 'p2',
      arm: 'candidate',
      attempt: 1,
      started_at: T0,
      error_class: 'http_429',
    });
    store.insertAttempt({ run_id: 'r1', prompt_id: 'p2', arm: 'candidate', attempt: 2, started_at: T0 });
    store.addSpend('r1', 0.25);
    store.addSpend('r1', 0.5);
    store.close();
    db.close();

    const reopened = openStore(path);
    const resumed = new RunStore(reopened);
    assert.equal(resumed.getRun('r1')!.spent_usd, 0.75);
    assert.deepEqual(
      resumed.completedKeys('r1'),
      new Set([
        completedKey('p1', 'baseline'),
        completedKey('p1', 'candidate'),
        completedKey('p2', 'baseline'),
      ]),
    );
    assert.equal(resumed.deleteOrphanAttempts('r1'), 2);
    const left = reopened.prepare('SELECT prompt_id, arm FROM attempts ORDER BY prompt_id, arm').raw().all();
    assert.deepEqual(left, [
      ['p1', 'baseline'],
      ['p1', 'candidate'],
      ['p2', 'baseline'],
    ]);
    assert.equal(resumed.deleteOrphanAttempts('r1'), 0);
    resumed.close();
    reopened.close();
  });

  it('run status, spend and budget updates', () => {
    const db = openStore(freshPath());
    const store = new RunStore(db);
    newRun(store);
    assert.equal(store.getRun('r1')!.status, 'running');
    store.addSpend('r1', 1.5);
    store.setRunStatus('r1', 'budget_exhausted', '2026-01-01T01:00:00.000Z');
    let run = store.getRun('r1')!;
    assert.equal(run.status, 'budget_exhausted');
    assert.equal(run.finished_at, '2026-01-01T01:00:00.000Z');
    assert.equal(run.spent_usd, 1.5);
    store.setBudget('r1', 10);
    store.setSpend('r1', 2);
    run = store.getRun('r1')!;
    assert.equal(run.budget_usd, 10);
    assert.equal(run.spent_usd, 2);
    assert.equal(store.getRun('nope'), undefined);
    store.close();
    assert.throws(() => store.insertRequest(request('p9', 'baseline')), /closed/);
    db.close();
  });
});

describe('RunStore spend reservations', () => {
  it('a reservation is on disk before the attempt is sent; its release commits with the attempt row', () => {
    const path = freshPath();
    const db = openStore(path);
    const store = new RunStore(db, { flushIntervalMs: 0 });
    newRun(store);
    const reader = new Database(path, { readonly: true });
    const onDisk = () =>
      reader.prepare('SELECT spent_usd, reserved_usd FROM runs WHERE id = ?').get('r1') as {
        spent_usd: number;
        reserved_usd: number;
      };
    const attempts = () => reader.prepare('SELECT COUNT(*) FROM attempts').pluck().get() as number;
    store.reserveSpend('r1', 0.5);
    store.reserveSpend('r1', 0.25);
    // Another process sees the reservations at once, with nothing buffered.
    assert.deepEqual(onDisk(), { spent_usd: 0, reserved_usd: 0.75 });
    store.addSpend('r1', 0.1, 0.5);
    store.insertAttempt({ run_id: 'r1', prompt_id: 'p1', arm: 'baseline', attempt: 1, started_at: T0 });
    // Buffered: neither the row nor its settlement has landed.
    assert.deepEqual(onDisk(), { spent_usd: 0, reserved_usd: 0.75 });
    assert.equal(attempts(), 0);
    store.flush();
    assert.deepEqual(onDisk(), { spent_usd: 0.1, reserved_usd: 0.25 });
    assert.equal(attempts(), 1);
    reader.close();
    // A crash now leaves 0.25 reserved; the resume books it as spent, once.
    store.close();
    db.close();
    const db2 = openStore(path);
    const resumed = new RunStore(db2);
    assert.equal(resumed.settleLostReservations('r1'), 0.25);
    assert.equal(resumed.settleLostReservations('r1'), 0);
    const run = resumed.getRun('r1')!;
    assert.equal(run.reserved_usd, 0);
    assert.ok(Math.abs(run.spent_usd - 0.35) < 1e-12);
    resumed.close();
    db2.close();
  });
});

describe('listRuns', () => {
  it('counts prompts and ok/error per arm for every run', () => {
    const db = openStore(freshPath());
    const store = new RunStore(db);
    newRun(store, 'r1');
    store.createRun({
      id: 'r2',
      kind: 'rollout',
      startedAt: '2026-01-02T00:00:00.000Z',
      configJson: '{}',
      seed: 1,
    });
    for (const p of ['p1', 'p2', 'p3'])
      store.insertPrompt({ run_id: 'r1', prompt_id: p, seq: 0, model: 'm', prompt_hash: 'h' });
    store.insertRequest(request('p1', 'baseline'));
    store.insertRequest(request('p2', 'baseline', 'error'));
    store.insertRequest(request('p1', 'candidate', 'error'));
    store.insertRequest(request('p1', 'baseline_replica'));
    store.addSpend('r1', 0.125);
    store.flush();
    const runs = listRuns(db);
    assert.deepEqual(
      runs.map((r) => r.id),
      ['r1', 'r2'],
    );
    assert.equal(runs[0]!.prompts, 3);
    assert.equal(runs[0]!.totalPrompts, 3);
    assert.deepEqual(runs[0]!.arms, {
      baseline: { requests: 2, ok: 1, error: 1 },
      candidate: { requests: 1, ok: 0, error: 1 },
      baseline_replica: { requests: 1, ok: 1, error: 0 },
    });
    assert.equal(runs[0]!.spentUsd, 0.125);
    assert.deepEqual(runs[1]!.arms, {});
    assert.equal(runs[1]!.kind, 'rollout');
    store.close();
    db.close();
  });
});
