/**
 * The proxy's PostgreSQL rollout source, the one path by which a replica
 * moves the percentage: only the gate lock's holder may, and only from the
 * version it judged. A replica without the lock, or a leader judging a
 * version that is no longer current, is refused and writes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { openPgRolloutSource } from '../../src/proxy/pg-rollout-source.js';
import type { LiveRolloutSource } from '../../src/proxy/rollout-source.js';
import { openPgStore } from '../../src/store/pg/open-pg-store.js';
import { NotLeaderError } from '../../src/store/pg/pg-leader-lock.js';
import { StaleStateError } from '../../src/store/pg/pg-rollout-state.js';
import { createScratchDatabase, type ScratchDatabase } from '../store/pg/scratch-db.js';
import { waitUntil } from './proxy-fixtures.js';

const rollBack = {
  status: 'rolled_back' as const,
  percentage: 0,
  at: '2026-12-02T10:00:00.000Z',
  actor: 'shadowgate proxy (live gates)',
  automatic: true,
  reason: 'test',
  finished: true,
};

describe('proxy rollout source on PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let client: pg.Client;

  before(async () => {
    scratch = await createScratchDatabase();
    client = await openPgStore(scratch.url);
    await client.query(
      `INSERT INTO rollouts (id, status, percentage, salt, hash_version, plan_json, seed, started_at, updated_at)
       VALUES ('ro-src', 'running', 50, 's', 1, '{}', 1, 't0', 't0')`,
    );
  });
  after(async () => {
    await client.end();
    await scratch.drop();
  });

  it('refuses a move by a replica without the gate lock, and a leader move from a stale version', async (t) => {
    const open = async (): Promise<LiveRolloutSource> => {
      const source = await openPgRolloutSource({
        url: scratch.url,
        rolloutId: 'ro-src',
        pollMs: 100,
        leaderRetryMs: 20,
        recordRequests: false,
        log: () => {},
        onStoreError: () => {},
      });
      t.after(() => source.close());
      return source;
    };
    const leader = await open();
    await waitUntil(async () => leader.isLeader(), 'the first replica leads');
    const other = await open();
    assert.equal(other.isLeader(), false);
    const version = leader.state().version!;
    assert.equal(version, other.state().version);

    await assert.rejects(other.move(rollBack, version), NotLeaderError);
    await assert.rejects(leader.move(rollBack, version - 1), StaleStateError);
    const untouched = await client.query('SELECT percentage, version FROM rollouts WHERE id = $1', [
      'ro-src',
    ]);
    assert.deepEqual(untouched.rows[0], { percentage: 50, version }, 'a refused move writes nothing');

    const after = await leader.move(rollBack, version);
    assert.equal(after.version, version + 1);
    assert.equal(leader.state().percentage, 0, 'the leader routes by its own move at once');
    await waitUntil(async () => other.state().percentage === 0, 'the other replica follows the move');
    assert.equal(leader.health().gate_leader, true);
    assert.equal(other.health().gate_leader, false);
  });
});
