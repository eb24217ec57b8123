/**
 * One script of rollout-table calls, run on SQLite's RolloutStore (through
 * sqliteRolloutWriter) and on PgRolloutStore: every answer must be the same.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { type RolloutWriter, sqliteRolloutWriter } from '../../../src/store/async-rollout-store.js';
import { type Database, openStore } from '../../../src/store/open-store.js';
import { openPgStore } from '../../../src/store/pg/open-pg-store.js';
import { PgRolloutStore } from '../../../src/store/pg/pg-rollout-store.js';
import type { RolloutRequestRow } from '../../../src/store/rollout-rows.js';
import { RolloutStore } from '../../../src/store/rollout-store.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.js';

const event = (reason: string) => ({
  at: '2026-01-06T10:00:00.000Z',
  actor: 'ci-bot',
  automatic: 0,
  from_percentage: null,
  to_percentage: 10,
  from_status: null,
  to_status: 'running',
  reason,
  evidence_json: null,
});

const newRollout = (id: string, startedAt: string) => ({
  id,
  label: 'contract',
  status: 'running' as const,
  percentage: 10,
  salt: 'fixed',
  hash_version: 1,
  plan_json: '{"stages":[10,50,100]}',
  config_json: '{}',
  prices_json: null,
  scenario_path: '/x/prompts.jsonl',
  scenario_sha256: 'abc',
  scenario_prompts: 40,
  seed: 3,
  options_json: null,
  shadow_run_id: 'r-1',
  shadow_decision: 'promote',
  forced: 0,
  started_at: startedAt,
});

const request = (
  rolloutId: string,
  stage: number,
  seq: number,
  over: Partial<RolloutRequestRow> = {},
): RolloutRequestRow => ({
  rollout_id: rolloutId,
  stage,
  seq,
  prompt_id: `p${seq % 7}`,
  sticky_key_hash: `h${seq}`,
  bucket: (seq * 7919) % 100_000,
  routed_arm: seq % 3 === 0 ? 'candidate' : 'baseline',
  served_arm: seq % 3 === 0 && seq % 2 === 0 ? 'baseline' : seq % 3 === 0 ? 'candidate' : 'baseline',
  fallback: seq % 3 === 0 && seq % 2 === 0 ? 1 : 0,
  candidate_error_class: seq % 3 === 0 && seq % 2 === 0 ? 'http_5xx' : null,
  outcome: 'ok',
  error_class: null,
  started_at: '2026-01-06T10:00:01.000Z',
  latency_ms: 100 + seq / 3,
  ttft_ms: seq % 5 === 0 ? null : 20.25,
  input_tokens: 30,
  output_tokens: 12,
  cost_usd: 0.0001 * seq,
  attempts: 1,
  candidate_latency_ms: null,
  candidate_cost_usd: null,
  ...over,
});

/** The script: everything it learns along the way, to compare between stores. */
async function script(w: RolloutWriter): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  await w.createRollout(newRollout('ro-a', '2026-01-06T09:00:00.000Z'), event('started'));
  await w.createRollout(newRollout('ro-b', '2026-01-06T11:00:00.000Z'), event('started'));
  out.latest = (await w.latestRollout())?.id;
  out.list = (await w.listRollouts()).map((r) => r.id);
  await w.startStage({
    rollout_id: 'ro-a',
    stage: 1,
    stage_index: 0,
    attempt: 0,
    percentage: 10,
    start_seq: 0,
    started_at: 't1',
  });
  await w.startStage({
    rollout_id: 'ro-a',
    stage: 1,
    stage_index: 0,
    attempt: 0,
    percentage: 99,
    start_seq: 5,
    started_at: 't9',
  });
  for (let seq = 0; seq < 25; seq++) w.insertRequest(request('ro-a', 1, seq));
  w.insertRequest(request('ro-a', 1, 3, { latency_ms: 9999 }));
  out.done = [...(await w.doneSeqs('ro-a', 1))].sort((a, b) => a - b);
  out.next = await w.nextSeq('ro-a');
  out.nextEmpty = await w.nextSeq('ro-b');
  await w.finishStage(
    'ro-a',
    1,
    {
      endSeq: 25,
      finishedAt: 't2',
      requests: 25,
      candidateRequests: 9,
      fallbacks: 5,
      decision: 'promote',
      reasons: ['all gates pass'],
      gates: [{ name: 'errors', status: 'pass' }],
      srm: { p: 0.5 },
    },
    {
      status: 'running',
      percentage: 50,
      at: 't2',
      actor: 'shadowgate',
      automatic: true,
      reason: 'stage 1 passed',
      evidence: { stage: 1 },
    },
  );
  out.afterStage = await w.getRollout('ro-a');
  out.rolledBack = await w.changeState('ro-a', {
    status: 'rolled_back',
    percentage: 0,
    at: 't3',
    actor: 'alice',
    automatic: false,
    reason: 'pager',
    finished: true,
  });
  out.events = await w.events('ro-a');
  out.stages = await w.stages('ro-a');
  out.judged = await w.judgedRequests('ro-a', 1);
  out.judgedNone = await w.judgedRequests('ro-a', 0);
  out.requests = await w.requests('ro-a');
  out.missing = await w.getRollout('ro-none');
  await w.close();
  return out;
}

describe('the rollout writer contract: SQLite and PostgreSQL answer the same', () => {
  let scratch: ScratchDatabase;
  let client: pg.Client;
  let db: Database;
  before(async () => {
    scratch = await createScratchDatabase();
    client = await openPgStore(scratch.url);
    db = openStore(':memory:');
  });
  after(async () => {
    db.close();
    await client.end();
    await scratch.drop();
  });

  it('every read after every write', async () => {
    const fromSqlite = await script(sqliteRolloutWriter(new RolloutStore(db, { batchSize: 10 })));
    const fromPg = await script(new PgRolloutStore(client, { batchSize: 10 }));
    assert.deepEqual(fromPg, fromSqlite);
    // And what they agree on is right.
    assert.equal(fromSqlite.latest, 'ro-b');
    assert.deepEqual(
      fromSqlite.done,
      Array.from({ length: 25 }, (_, i) => i),
    );
    assert.equal(fromSqlite.next, 25);
    assert.equal(fromSqlite.nextEmpty, 0);
    const requests = fromSqlite.requests as RolloutRequestRow[];
    assert.equal(requests.length, 25);
    assert.equal(requests[3]!.latency_ms, 101, 'the first write of seq 3 kept');
    const events = fromSqlite.events as {
      id: number;
      reason: string;
      from_percentage: number;
      to_percentage: number;
    }[];
    assert.deepEqual(
      events.map((e) => [e.reason, e.from_percentage, e.to_percentage]),
      [
        ['started', null, 10],
        ['stage 1 passed', 10, 50],
        ['pager', 50, 0],
      ],
    );
    const rolledBack = fromSqlite.rolledBack as { version: number; finished_at: string; status: string };
    assert.deepEqual(
      [rolledBack.version, rolledBack.finished_at, rolledBack.status],
      [3, 't3', 'rolled_back'],
    );
    const stages = fromSqlite.stages as { percentage: number; decision: string; start_seq: number }[];
    assert.deepEqual(
      stages.map((s) => [s.percentage, s.start_seq, s.decision]),
      [[10, 0, 'promote']],
    );
  });
});
