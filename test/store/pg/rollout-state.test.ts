import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { connectPg, openPgStore } from '../../../src/store/pg/open-pg-store.js';
import { LeaderLock, lockKey, NotLeaderError } from '../../../src/store/pg/pg-leader-lock.js';
import {
  changeRolloutState,
  type RolloutState,
  StaleStateError,
} from '../../../src/store/pg/pg-rollout-state.js';
import { RolloutStateFollower } from '../../../src/store/pg/pg-state-follower.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.js';

/** Polls `check` every 5 ms until it holds; fails after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs)
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - start;
}

const move = (percentage: number, status: 'running' | 'rolled_back' = 'running') => ({
  status,
  percentage,
  at: '2026-01-06T10:00:00.000Z',
  actor: 'alice',
  automatic: false,
  reason: `to ${percentage}`,
  evidence: { why: 'test' },
});

describe('shared rollout state in PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let writer: pg.Client;
  let admin: pg.Client;
  let n = 0;

  /** A new rollouts row at 10%, version 1. */
  async function newRollout(): Promise<string> {
    const id = `ro-${++n}`;
    await writer.query(
      `INSERT INTO rollouts (id, status, percentage, salt, hash_version, plan_json, seed, started_at, updated_at)
       VALUES ($1, 'running', 10, 's', 1, '{}', 1, 't0', 't0')`,
      [id],
    );
    return id;
  }

  before(async () => {
    scratch = await createScratchDatabase();
    writer = await openPgStore(scratch.url);
    admin = await connectPg(scratch.url);
  });
  after(async () => {
    await writer.end();
    await admin.end();
    await scratch.drop();
  });

  it('a move bumps the version and writes its audit row; a move against an old version writes nothing', async () => {
    const id = await newRollout();
    const moved = await changeRolloutState(writer, id, move(50), { expectedVersion: 1 });
    assert.equal(moved.version, 2);
    assert.equal(moved.percentage, 50);
    await assert.rejects(changeRolloutState(writer, id, move(100), { expectedVersion: 1 }), (err) => {
      assert.ok(err instanceof StaleStateError);
      assert.equal(err.actualVersion, 2);
      return true;
    });
    const events = await writer.query(
      `SELECT actor, automatic, from_percentage, to_percentage, from_status, to_status, reason, evidence_json
       FROM rollout_events WHERE rollout_id = $1 ORDER BY id`,
      [id],
    );
    assert.deepEqual(events.rows, [
      {
        actor: 'alice',
        automatic: 0,
        from_percentage: 10,
        to_percentage: 50,
        from_status: 'running',
        to_status: 'running',
        reason: 'to 50',
        evidence_json: '{"why":"test"}',
      },
    ]);
    const row = await writer.query('SELECT percentage, version, updated_at FROM rollouts WHERE id = $1', [
      id,
    ]);
    assert.deepEqual(row.rows, [{ percentage: 50, version: 2, updated_at: '2026-01-06T10:00:00.000Z' }]);
  });

  it('a set and a rollback reach two followers on other connections within 1 s, by NOTIFY', async () => {
    const id = await newRollout();
    const seen: RolloutState[][] = [[], []];
    const vias: string[] = [];
    // Polling an hour apart: only a notification can deliver within the test.
    const followers = await Promise.all(
      [0, 1].map((i) =>
        RolloutStateFollower.start({
          url: scratch.url,
          rolloutId: id,
          pollMs: 3_600_000,
          onChange: (s, via) => {
            seen[i]!.push(s);
            vias.push(via);
          },
        }),
      ),
    );
    try {
      assert.deepEqual(
        seen.map((s) => s.map((x) => x.percentage)),
        [[10], [10]],
      );
      await changeRolloutState(writer, id, move(50));
      const setMs = await until(() => seen.every((s) => s.at(-1)?.percentage === 50), 1000, 'the set');
      await changeRolloutState(writer, id, move(0, 'rolled_back'));
      const rollbackMs = await until(
        () => seen.every((s) => s.at(-1)?.status === 'rolled_back'),
        1000,
        'the rollback',
      );
      assert.deepEqual(
        seen.map((s) => s.map((x) => x.version)),
        [
          [1, 2, 3],
          [1, 2, 3],
        ],
      );
      assert.deepEqual(
        vias.filter((v) => v !== 'start'),
        ['notify', 'notify', 'notify', 'notify'],
      );
      assert.equal(followers[0]!.current?.percentage, 0);
      process.stdout.write(
        `# notify delivered the set in ${setMs.toFixed(0)} ms, the rollback in ${rollbackMs.toFixed(0)} ms\n`,
      );
    } finally {
      await Promise.all(followers.map((f) => f.close()));
    }
  });

  it('polling delivers what no notification does, and a follower whose connection is killed reconnects', async () => {
    const id = await newRollout();
    const seen: [number, string][] = [];
    const deaf = await RolloutStateFollower.start({
      url: scratch.url,
      rolloutId: id,
      pollMs: 50,
      listen: false,
      onChange: (s, via) => seen.push([s.percentage, via]),
    });
    const errors: unknown[] = [];
    const listening = await RolloutStateFollower.start({
      url: scratch.url,
      rolloutId: id,
      pollMs: 50,
      onChange: () => {},
      onError: (e) => errors.push(e),
    });
    try {
      await changeRolloutState(writer, id, move(25));
      await until(() => deaf.current?.percentage === 25, 2000, 'the polled change');
      assert.deepEqual(seen, [
        [10, 'start'],
        [25, 'poll'],
      ]);

      const pid = await listening.backendPid();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await changeRolloutState(writer, id, move(75));
      await until(() => listening.current?.percentage === 75, 2000, 'the change after the reconnect');
      assert.notEqual(await listening.backendPid(), pid, 'a new session');
    } finally {
      await deaf.close();
      await listening.close();
    }
  });

  it('one leader at a time; killing the leader session hands the lock to the other replica, and the old one cannot write', async () => {
    const id = await newRollout();
    const log: string[] = [];
    const replica = (name: string) =>
      new LeaderLock({
        url: scratch.url,
        name: `gates:${id}`,
        retryMs: 25,
        onAcquired: () => log.push(`${name} leads`),
        onLost: () => log.push(`${name} lost`),
      });
    const a = replica('a');
    const b = replica('b');
    try {
      await a.start();
      await b.start();
      assert.equal(a.isLeader, true);
      assert.equal(b.isLeader, false);
      await assert.rejects(
        b.whileLeader(async () => 0),
        NotLeaderError,
      );
      const moved = await a.whileLeader((c) => changeRolloutState(c, id, move(50)));
      assert.equal(moved.version, 2);

      await admin.query('SELECT pg_terminate_backend($1)', [a.backendPid]);
      const takeoverMs = await until(() => b.isLeader, 2000, 'b to take over');
      await until(() => !a.isLeader, 2000, 'a to notice');
      await assert.rejects(
        a.whileLeader((c) => changeRolloutState(c, id, move(100))),
        NotLeaderError,
      );
      await b.whileLeader((c) => changeRolloutState(c, id, move(100)));
      assert.deepEqual(new Set(log), new Set(['a leads', 'a lost', 'b leads']));
      // a reconnects and keeps trying, but b holds the lock: still one leader.
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(a.isLeader, false);
      assert.equal(b.isLeader, true);
      process.stdout.write(
        `# the lock changed hands ${takeoverMs.toFixed(0)} ms after the leader's session was killed\n`,
      );

      await b.close();
      await until(() => a.isLeader, 2000, 'a to take over from a closed b');
      const state = await writer.query('SELECT percentage, version FROM rollouts WHERE id = $1', [id]);
      assert.deepEqual(state.rows, [{ percentage: 100, version: 3 }]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('lock keys are a fixed function of the name (FNV-1a 32), so every replica agrees', () => {
    assert.equal(lockKey(''), 0x811c9dc5 | 0);
    assert.equal(lockKey('a'), 0xe40c292c | 0);
    assert.equal(lockKey('foobar'), 0xbf9cf968 | 0);
    assert.notEqual(lockKey('gates:ro-1'), lockKey('gates:ro-2'));
  });
});
