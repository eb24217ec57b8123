/**
 * One contract, two stores: the same calls on SQLite's RunStore (through
 * sqliteRunWriter) and on PgRunStore leave the same rows and read back the
 * same values.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { type RunWriter, sqliteRunWriter } from '../../../src/store/async-run-store.js';
import { type Database, openStore } from '../../../src/store/open-store.js';
import { openPgStore } from '../../../src/store/pg/open-pg-store.js';
import { PgRunStore } from '../../../src/store/pg/pg-run-store.js';
import type { AttemptRow, NewRun, RequestRow } from '../../../src/store/rows.js';
import { completedKey, RunStore } from '../../../src/store/run-store.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.js';

interface Harness {
  writer(options?: { batchSize?: number }): RunWriter;
  /** Every row of `table` for the run, ordered by its primary key. */
  rows(table: string, runId: string, orderBy: string): Promise<Record<string, unknown>[]>;
}

const newRun = (id: string): NewRun => ({
  id,
  kind: 'shadow',
  label: 'contract',
  startedAt: '2026-01-06T10:00:00.000Z',
  configJson: '{"providers":{}}',
  pricesJson: null,
  scenarioPath: '/x/prompts.jsonl',
  scenarioSha256: 'abc',
  seed: 7,
  optionsJson: '{"replica":0.1}',
  budgetUsd: 2.5,
  totalPrompts: 3,
});

const request = (
  runId: string,
  promptId: string,
  arm: RequestRow['arm'],
  over: Partial<RequestRow> = {},
): RequestRow => ({
  run_id: runId,
  prompt_id: promptId,
  arm,
  provider: arm,
  model: 'gpt-4.1',
  outcome: 'ok',
  attempts: 1,
  started_at: '2026-01-06T10:00:01.000Z',
  latency_ms: 123.456789,
  cost_usd: 0.000123,
  input_tokens: 42,
  json_valid: 1,
  similarity: 0.875,
  output_text: "it's fine",
  ...over,
});

const attempt = (runId: string, promptId: string, arm: AttemptRow['arm'], n: number): AttemptRow => ({
  run_id: runId,
  prompt_id: promptId,
  arm,
  attempt: n,
  started_at: '2026-01-06T10:00:01.000Z',
  duration_ms: 10.5,
  http_status: n === 1 ? 503 : 200,
  error_class: n === 1 ? 'http_5xx' : null,
});

function contract(kind: string, setup: () => Promise<Harness & { close(): Promise<void> }>) {
  describe(`the run writer contract: ${kind}`, () => {
    let h: Harness & { close(): Promise<void> };
    let n = 0;
    const id = () => `r-${kind}-${++n}`;
    before(async () => {
      h = await setup();
    });
    after(() => h.close());

    it('createRun and getRun: the row reads back with its defaults', async () => {
      const w = h.writer();
      const runId = id();
      await w.createRun(newRun(runId));
      assert.deepEqual(await w.getRun(runId), {
        id: runId,
        kind: 'shadow',
        label: 'contract',
        status: 'running',
        started_at: '2026-01-06T10:00:00.000Z',
        finished_at: null,
        config_json: '{"providers":{}}',
        prices_json: null,
        scenario_path: '/x/prompts.jsonl',
        scenario_sha256: 'abc',
        seed: 7,
        options_json: '{"replica":0.1}',
        budget_usd: 2.5,
        spent_usd: 0,
        total_prompts: 3,
        paused_ms: 0,
        reserved_usd: 0,
        instrument_json: null,
      });
      assert.equal(await w.getRun('r-none'), undefined);
      await w.close();
    });

    it('buffers rows until a flush; a row written again is ignored, the first one kept', async () => {
      const w = h.writer();
      const runId = id();
      await w.createRun(newRun(runId));
      w.insertPrompt({ run_id: runId, prompt_id: 'p1', seq: 0, model: 'gpt-4.1', prompt_hash: 'h1' });
      w.insertRequest(request(runId, 'p1', 'baseline'));
      w.insertAttempt(attempt(runId, 'p1', 'baseline', 1));
      assert.equal(w.pendingRows, 3);
      assert.deepEqual(await h.rows('requests', runId, 'prompt_id, arm'), []);
      await w.flush();
      assert.equal(w.pendingRows, 0);
      w.insertRequest(request(runId, 'p1', 'baseline', { latency_ms: 999 }));
      w.insertRequest(request(runId, 'p1', 'candidate'));
      w.insertRequest(request(runId, 'p1', 'candidate', { latency_ms: 1 }));
      await w.flush();
      const rows = await h.rows('requests', runId, 'prompt_id, arm');
      assert.deepEqual(
        rows.map((r) => [r.arm, r.latency_ms, r.cost_usd, r.similarity, r.output_text, r.json_valid]),
        [
          ['baseline', 123.456789, 0.000123, 0.875, "it's fine", 1],
          ['candidate', 123.456789, 0.000123, 0.875, "it's fine", 1],
        ],
      );
      await w.close();
    });

    it('a full batch is written without a flush call', async () => {
      const w = h.writer({ batchSize: 3 });
      const runId = id();
      await w.createRun(newRun(runId));
      for (const p of ['p1', 'p2', 'p3']) w.insertRequest(request(runId, p, 'baseline'));
      await w.getRun(runId); // a barrier: a store's reads follow its writes
      assert.equal((await h.rows('requests', runId, 'prompt_id')).length, 3);
      await w.close();
    });

    it('spend: additions ride with the batch, setSpend and setRunStatus flush first', async () => {
      const w = h.writer();
      const runId = id();
      await w.createRun(newRun(runId));
      w.addSpend(runId, 0.25);
      w.addSpend(runId, 0.5);
      w.addSpend(runId, 0);
      assert.equal((await w.getRun(runId))!.spent_usd, 0);
      await w.flush();
      assert.equal((await w.getRun(runId))!.spent_usd, 0.75);
      w.addSpend(runId, 1);
      await w.setSpend(runId, 0.1);
      assert.equal((await w.getRun(runId))!.spent_usd, 0.1);
      await w.setBudget(runId, null);
      await w.setTotalPrompts(runId, 9);
      await w.addPausedMs(runId, 150);
      await w.addPausedMs(runId, 25.5);
      await w.addPausedMs(runId, -3);
      w.insertRequest(request(runId, 'p9', 'baseline'));
      await w.setRunStatus(runId, 'completed', '2026-01-06T11:00:00.000Z');
      const run = (await w.getRun(runId))!;
      assert.deepEqual(
        [run.status, run.finished_at, run.budget_usd, run.total_prompts, run.paused_ms],
        ['completed', '2026-01-06T11:00:00.000Z', null, 9, 175.5],
      );
      assert.equal((await h.rows('requests', runId, 'prompt_id')).length, 1, 'flushed before the status');
      await w.close();
    });

    it('reservations: held at once, released with the batch that settles them, booked as spent on resume', async () => {
      const w = h.writer();
      const runId = id();
      await w.createRun(newRun(runId));
      await w.reserveSpend(runId, 0.3);
      await w.reserveSpend(runId, 0.2);
      await w.reserveSpend(runId, 0);
      assert.equal((await w.getRun(runId))!.reserved_usd, 0.5);
      w.addSpend(runId, 0.1, 0.3);
      assert.equal((await w.getRun(runId))!.reserved_usd, 0.5, 'released with the batch, not before');
      await w.flush();
      const settled = (await w.getRun(runId))!;
      assert.deepEqual([settled.spent_usd, settled.reserved_usd], [0.1, 0.2]);
      assert.equal(await w.settleLostReservations(runId), 0.2);
      const after = (await w.getRun(runId))!;
      assert.deepEqual([after.spent_usd.toFixed(12), after.reserved_usd], ['0.300000000000', 0]);
      assert.equal(await w.settleLostReservations(runId), 0);
      // Releasing what drift made a hair more than held leaves no phantom reservation.
      await w.reserveSpend(runId, 0.1 + 0.2);
      w.addSpend(runId, 0, 0.3);
      await w.flush();
      assert.equal((await w.getRun(runId))!.reserved_usd, 0);
      await w.close();
    });

    it('resume: completed keys, and attempts with no final row deleted', async () => {
      const w = h.writer();
      const runId = id();
      await w.createRun(newRun(runId));
      w.insertRequest(request(runId, 'p1', 'baseline'));
      w.insertAttempt(attempt(runId, 'p1', 'baseline', 1));
      w.insertAttempt(attempt(runId, 'p1', 'candidate', 1));
      w.insertAttempt(attempt(runId, 'p1', 'candidate', 2));
      assert.deepEqual(await w.completedKeys(runId), new Set([completedKey('p1', 'baseline')]));
      assert.equal(await w.deleteOrphanAttempts(runId), 2);
      assert.deepEqual(
        (await h.rows('attempts', runId, 'prompt_id, arm, attempt')).map((r) => [
          r.arm,
          r.attempt,
          r.http_status,
        ]),
        [['baseline', 1, 503]],
      );
      await w.close();
    });

    it('breaker events: an opening, its half-open moment, the last seq; the same seq again replaces it', async () => {
      const w = h.writer();
      const runId = id();
      await w.createRun(newRun(runId));
      assert.equal(await w.lastBreakerSeq(runId, 'candidate'), 0);
      await w.insertBreakerEvent({ run_id: runId, arm: 'candidate', seq: 1, opened_at: 't1' });
      await w.setBreakerHalfOpen(runId, 'candidate', 1, 't2', 150);
      await w.insertBreakerEvent({ run_id: runId, arm: 'candidate', seq: 2, opened_at: 't3' });
      await w.insertBreakerEvent({ run_id: runId, arm: 'candidate', seq: 2, opened_at: 't4' });
      assert.equal(await w.lastBreakerSeq(runId, 'candidate'), 2);
      assert.equal(await w.lastBreakerSeq(runId, 'baseline'), 0);
      assert.deepEqual(await h.rows('breaker_events', runId, 'arm, seq'), [
        { run_id: runId, arm: 'candidate', seq: 1, opened_at: 't1', half_open_at: 't2', open_ms: 150 },
        { run_id: runId, arm: 'candidate', seq: 2, opened_at: 't4', half_open_at: null, open_ms: null },
      ]);
      await w.close();
    });

    it('a closed writer refuses more rows', async () => {
      const w = h.writer();
      await w.close();
      assert.throws(
        () => w.insertRequest(request('r-x', 'p1', 'baseline')),
        (err: Error & { code?: string }) => err.code === 'store_closed',
      );
    });
  });
}

contract('sqlite', async () => {
  const db: Database = openStore(':memory:');
  return {
    writer: (o = {}) => sqliteRunWriter(new RunStore(db, { flushIntervalMs: 0, ...o })),
    rows: async (table, runId, orderBy) =>
      db.prepare(`SELECT * FROM ${table} WHERE run_id = ? ORDER BY ${orderBy}`).all(runId) as Record<
        string,
        unknown
      >[],
    close: async () => {
      db.close();
    },
  };
});

contract('postgres', async () => {
  const scratch: ScratchDatabase = await createScratchDatabase();
  const writerClient: pg.Client = await openPgStore(scratch.url);
  const reader: pg.Client = await openPgStore(scratch.url, { readonly: true });
  return {
    writer: (o = {}) => new PgRunStore(writerClient, { flushIntervalMs: 0, ...o }),
    rows: async (table, runId, orderBy) =>
      (await reader.query(`SELECT * FROM ${table} WHERE run_id = $1 ORDER BY ${orderBy}`, [runId])).rows,
    close: async () => {
      await writerClient.end();
      await reader.end();
      await scratch.drop();
    },
  };
});
