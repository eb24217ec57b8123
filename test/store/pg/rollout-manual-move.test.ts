/**
 * A manual move (`rollout set`, `rollout rollback`) on either store is
 * checked against the rollout as it was read: when the rollout moved in
 * between, the move is refused and nothing is written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { manualMoveOn } from '../../../src/rollout/rollout-state.js';
import { type RolloutWriter, sqliteRolloutWriter } from '../../../src/store/async-rollout-store.js';
import { type Database, openStore } from '../../../src/store/open-store.js';
import { openPgStore } from '../../../src/store/pg/open-pg-store.js';
import { StaleStateError } from '../../../src/store/pg/pg-rollout-state.js';
import { PgRolloutStore } from '../../../src/store/pg/pg-rollout-store.js';
import { RolloutStore } from '../../../src/store/rollout-store.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.js';

const AT = '2026-01-06T10:00:00.000Z';

async function seed(store: RolloutWriter, id: string): Promise<void> {
  await store.createRollout(
    {
      id,
      label: null,
      status: 'running',
      percentage: 10,
      salt: 'fixed',
      hash_version: 1,
      plan_json: '{"stages":[10,50,100]}',
      config_json: '{}',
      prices_json: null,
      scenario_path: null,
      scenario_sha256: null,
      scenario_prompts: 10,
      seed: 1,
      options_json: null,
      shadow_run_id: null,
      shadow_decision: null,
      forced: 0,
      started_at: AT,
    },
    {
      at: AT,
      actor: 'ci',
      automatic: 0,
      from_percentage: null,
      to_percentage: 10,
      from_status: null,
      to_status: 'running',
      reason: 'started',
      evidence_json: null,
    },
  );
}

/** Alice reads, the gates move it to 50, then Alice's move to 25 (a lowering she never saw) arrives. */
async function script(store: RolloutWriter) {
  await seed(store, 'ro-move');
  const read = (await store.getRollout('ro-move'))!;
  const moved = await manualMoveOn(store, read, {
    percentage: 50,
    reason: 'gates',
    actor: 'shadowgate',
    at: AT,
  });
  let refused: unknown = null;
  await manualMoveOn(store, read, { percentage: 25, reason: 'alice', actor: 'alice', at: AT }).catch(
    (err) => {
      refused = err;
    },
  );
  const again = await manualMoveOn(store, (await store.getRollout('ro-move'))!, {
    percentage: 0,
    reason: 'pager',
    actor: 'bob',
    at: AT,
  });
  return {
    moved: [moved.percentage, moved.version],
    refused,
    again: [again.percentage, again.status, again.version],
    trail: (await store.events('ro-move')).map((e) => [e.actor, e.to_percentage]),
  };
}

describe('manual moves against a stale read', () => {
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

  for (const [name, open] of [
    ['SQLite', () => sqliteRolloutWriter(new RolloutStore(db))],
    ['PostgreSQL', () => new PgRolloutStore(client)],
  ] as const)
    it(`${name}: a move decided on an old version is refused and writes nothing`, async () => {
      const r = await script(open());
      assert.deepEqual(r.moved, [50, 2]);
      assert.ok(r.refused instanceof StaleStateError, String(r.refused));
      assert.equal((r.refused as StaleStateError).code, 'rollout_state_stale');
      assert.equal((r.refused as StaleStateError).actualVersion, 2);
      assert.deepEqual(r.again, [0, 'rolled_back', 3]);
      assert.deepEqual(r.trail, [
        ['ci', 10],
        ['shadowgate', 50],
        ['bob', 0],
      ]);
    });
});
