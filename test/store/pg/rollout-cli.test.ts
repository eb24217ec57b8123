/**
 * The rollout on PostgreSQL through the spawned CLI: a rehearsal into
 * PostgreSQL decides as the same rehearsal into a SQLite file does, the
 * state commands reach a follower by NOTIFY, `gate --rollout` exits the same,
 * and a rehearsal killed with kill -9 resumes with nothing lost or doubled.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { connectPg } from '../../../src/store/pg/open-pg-store.js';
import type { RolloutState } from '../../../src/store/pg/pg-rollout-state.js';
import { RolloutStateFollower } from '../../../src/store/pg/pg-state-follower.js';
import { runChild } from '../../helpers/child-process.js';
import {
  makePrompts,
  profile,
  simConfigInput,
  startSim,
  writeConfig,
  writeJsonl,
} from '../../helpers/shadow-fixtures.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.js';

async function shadowgate(cwd: string, args: string[], env: Record<string, string> = {}) {
  const child = runChild(args, cwd, env);
  const { code } = await child.exited;
  return { code, ...child.out() };
}

interface Summary {
  rollout_id: string;
  status: string;
  final_percentage: number;
  cycles: number;
  db: string;
  stages: {
    stage: number;
    percentage: number;
    decision: string;
    requests: number;
    candidate_requests: number;
    fallbacks: number;
  }[];
}

describe('the rollout on PostgreSQL (spawned CLI)', () => {
  let scratch: ScratchDatabase;
  let dir: string;
  let client: pg.Client;
  const closers: (() => unknown)[] = [];
  const t = { after: (fn: () => unknown) => closers.push(fn) } as never;
  const fast = { ttft: { fixedMs: 5 }, tpot: { fixedMs: 0 } };

  before(async () => {
    scratch = await createScratchDatabase();
    dir = mkdtempSync(join(tmpdir(), 'shadowgate-pg-rollout-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(120));
    writeFileSync(
      join(dir, 'plan.yaml'),
      // No latency gate: measured times differ between two rehearsals, errors and fallbacks do not.
      'stages: [20, 50, 100]\nminRequestsPerStage: 100\nmaxStageRepeats: 1\nsalt: fixed\n' +
        'gates:\n  maxErrorRateIncrease: 0.2\n  maxFallbackRate: 0.2\n',
    );
  });

  after(async () => {
    await client?.end();
    for (const close of closers.reverse()) await close();
    await scratch.drop();
  });

  async function pgClient(): Promise<pg.Client> {
    client ??= await connectPg(scratch.url);
    return client;
  }

  /**
   * One rehearsal into `db` against fresh simulators with fixed seeds (a
   * simulator's answers depend on how often it has seen a prompt, so each
   * rehearsal gets its own): a steady baseline and a candidate failing 3%.
   */
  async function rehearse(db: string, config: string, env: Record<string, string> = {}) {
    const baseline = await startSim(t, profile('steady', fast), 3);
    const candidate = await startSim(t, profile('steady', { ...fast, faultRates: { '500': 0.03 } }), 4);
    writeConfig(
      join(dir, config),
      simConfigInput(baseline.url, candidate.url, { concurrency: 6, retry: { maxAttempts: 1 } }),
    );
    const args = ['rollout', '--config', config, '--scenario', 'prompts.jsonl', '--plan', 'plan.yaml'];
    const r = await shadowgate(dir, [...args, ...(db === '' ? [] : ['--db', db]), '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Summary;
  }

  /** The rollout report's JSON with the rollout id masked and the timing fields removed. */
  async function report(db: string, id: string, out: string) {
    const r = await shadowgate(dir, [
      'report',
      'rollout',
      '--rollout',
      id,
      '--db',
      db,
      '--format',
      'json',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(readFileSync(join(dir, out, `${id}-rollout.json`), 'utf8'));
    return { json: maskTimes(json, id) };
  }

  let sqliteRun: Summary;
  let pgRun: Summary;

  it('the same plan, scenario and simulator seeds give the same stages, decisions and counts in SQLite and PostgreSQL', async () => {
    sqliteRun = await rehearse('a.db', 'exp-a.json');
    pgRun = await rehearse('', 'exp-pg.json', { SHADOWGATE_DB: scratch.url });
    // The errors are the simulators' (seeded per prompt), so the path is fixed: three promotions.
    assert.equal(pgRun.status, 'completed', JSON.stringify(pgRun));
    assert.deepEqual(
      pgRun.stages.map((x) => [x.percentage, x.decision]),
      [
        [20, 'promote'],
        [50, 'promote'],
        [100, 'promote'],
      ],
    );
    assert.equal(pgRun.db, scratch.url);
    const shape = (s: Summary) => ({
      status: s.status,
      final_percentage: s.final_percentage,
      cycles: s.cycles,
      stages: s.stages.map((x) => [
        x.stage,
        x.percentage,
        x.decision,
        x.requests,
        x.candidate_requests,
        x.fallbacks,
      ]),
    });
    assert.deepEqual(shape(pgRun), shape(sqliteRun));
    const fromSqlite = await report('a.db', sqliteRun.rollout_id, 'r-sqlite');
    const fromPg = await report(scratch.url, pgRun.rollout_id, 'r-pg');
    assert.deepEqual(fromPg.json, fromSqlite.json);

    const c = await pgClient();
    const counts = await c.query(
      `SELECT stage, COUNT(*)::int AS n, COUNT(DISTINCT seq)::int AS d FROM rollout_requests
       WHERE rollout_id = $1 GROUP BY stage ORDER BY stage`,
      [pgRun.rollout_id],
    );
    assert.deepEqual(
      counts.rows.map((r) => [r.stage, r.n, r.d]),
      pgRun.stages.map((s) => [s.stage, s.requests, s.requests]),
    );
  });

  it('gate --rollout --stage N exits on PostgreSQL as on SQLite, stage by stage', async () => {
    for (const s of sqliteRun.stages) {
      const args = (db: string, id: string) => [
        'gate',
        '--rollout',
        id,
        '--stage',
        String(s.stage),
        '--db',
        db,
        '--json',
      ];
      const sqlite = await shadowgate(dir, args('a.db', sqliteRun.rollout_id));
      const postgres = await shadowgate(dir, args(scratch.url, pgRun.rollout_id));
      const expected = { promote: 0, hold: 3, rollback: 4 }[s.decision];
      assert.equal(sqlite.code, expected, sqlite.stderr);
      assert.equal(postgres.code, sqlite.code, postgres.stderr);
      assert.equal(JSON.parse(postgres.stdout).decision, s.decision);
    }
  });

  it('rollout set 50 and rollout rollback reach a follower by NOTIFY within 1 s and write audit rows', async () => {
    const id = pgRun.rollout_id;
    const seen: { state: RolloutState; via: string; at: number }[] = [];
    // Polling an hour apart: within the test only a notification can deliver a change.
    const follower = await RolloutStateFollower.start({
      url: scratch.url,
      rolloutId: id,
      pollMs: 3_600_000,
      onChange: (state, via) => seen.push({ state, via, at: Date.now() }),
    });
    try {
      const before = seen.at(-1)!.state.version;
      const db = ['--db', scratch.url];
      const set = await shadowgate(dir, [
        'rollout',
        'set',
        '50',
        '--allow-decrease',
        '--reason',
        'half again',
        '--actor',
        'alice',
        ...db,
        '--json',
      ]);
      assert.equal(set.code, 0, set.stderr);
      assert.equal(JSON.parse(set.stdout).version, before + 1);
      const heardSet = await heard(seen, (s) => s.percentage === 50 && s.version === before + 1);
      const rollback = await shadowgate(dir, [
        'rollout',
        'rollback',
        '--reason',
        'pager',
        '--actor',
        'bob',
        ...db,
      ]);
      assert.equal(rollback.code, 0, rollback.stderr);
      const heardRollback = await heard(seen, (s) => s.status === 'rolled_back' && s.version === before + 2);
      for (const h of [heardSet, heardRollback]) {
        assert.equal(h.via, 'notify');
        // From the move's own timestamp (taken by the CLI before it commits) to the follower hearing it.
        assert.ok(
          h.at - Date.parse(h.state.updated_at) < 1000,
          `${h.at - Date.parse(h.state.updated_at)} ms`,
        );
      }
      process.stdout.write(
        `# the spawned set reached the follower ${heardSet.at - Date.parse(heardSet.state.updated_at)} ms after its timestamp, the rollback ${heardRollback.at - Date.parse(heardRollback.state.updated_at)} ms\n`,
      );
    } finally {
      await follower.close();
    }
    const c = await pgClient();
    const events = await c.query(
      `SELECT actor, automatic, to_percentage, to_status, reason FROM rollout_events
       WHERE rollout_id = $1 ORDER BY id DESC LIMIT 2`,
      [id],
    );
    assert.deepEqual(events.rows.reverse(), [
      { actor: 'alice', automatic: 0, to_percentage: 50, to_status: 'running', reason: 'half again' },
      { actor: 'bob', automatic: 0, to_percentage: 0, to_status: 'rolled_back', reason: 'pager' },
    ]);
    const status = await shadowgate(dir, ['rollout', 'status', '--json'], { SHADOWGATE_DB: scratch.url });
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout);
    assert.equal(s.rollout_id, id);
    assert.equal(s.percentage, 0);
    assert.deepEqual(
      s.history.slice(-2).map((h: { actor: string; to_percentage: number }) => [h.actor, h.to_percentage]),
      [
        ['alice', 50],
        ['bob', 0],
      ],
    );
    const lower = await shadowgate(dir, ['rollout', 'set', '10', '--reason', 'x', '--db', scratch.url]);
    assert.equal(lower.code, 0, lower.stderr);
    const refused = await shadowgate(dir, ['rollout', 'set', '5', '--reason', 'x', '--db', scratch.url]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /moves users back/);
  });

  it('--shadow-run reads the week-1 run from PostgreSQL and records it with the rollout', async () => {
    const pg = ['--db', scratch.url];
    writeFileSync(join(dir, 'plan-w1.yaml'), 'stages: [100]\nminRequestsPerStage: 20\nsalt: w1\n');
    const rehearsal = [
      'rollout',
      '--config',
      'exp-pg.json',
      '--scenario',
      'prompts.jsonl',
      '--plan',
      'plan-w1.yaml',
    ];
    const none = await shadowgate(dir, [...rehearsal, '--shadow-run', 'latest', ...pg]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no shadow runs in this database/);
    const baseline = await startSim(t, profile('steady', fast), 3);
    const candidate = await startSim(t, profile('steady', fast), 4);
    writeConfig(join(dir, 'exp-w1.json'), simConfigInput(baseline.url, candidate.url, { concurrency: 6 }));
    const week1 = await shadowgate(dir, [
      'run',
      '--config',
      'exp-w1.json',
      '--scenario',
      'prompts.jsonl',
      ...pg,
      '--json',
    ]);
    assert.equal(week1.code, 0, week1.stderr);
    const runId = (JSON.parse(week1.stdout) as { run_id: string }).run_id;
    const args = [
      ...rehearsal.slice(0, 2),
      'exp-w1.json',
      ...rehearsal.slice(3),
      '--shadow-run',
      'latest',
      '--force',
    ];
    const r = await shadowgate(dir, [...args, ...pg, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const id = (JSON.parse(r.stdout) as Summary).rollout_id;
    const c = await pgClient();
    const row = (await c.query('SELECT shadow_run_id, shadow_decision FROM rollouts WHERE id = $1', [id]))
      .rows[0];
    assert.equal(row.shadow_run_id, runId);
    assert.ok(['promote', 'hold', 'rollback'].includes(row.shadow_decision));
    const first = await c.query(
      'SELECT reason FROM rollout_events WHERE rollout_id = $1 ORDER BY id LIMIT 1',
      [id],
    );
    assert.match(first.rows[0].reason, new RegExp(`week-1 run ${runId}`));
  });

  /**
   * Starts a rehearsal into PostgreSQL against slow simulators, stops it with
   * `signal` once it has stored requests (or, for SIGTERM, started its first
   * stage), resumes it, and checks every stage holds exactly its requests.
   */
  async function interruptAndResume(signal: 'SIGKILL' | 'SIGTERM', name: string) {
    const slow = profile('steady', { ttft: { fixedMs: 150 }, tpot: { fixedMs: 0 } });
    const b = await startSim(t, slow);
    const c = await startSim(t, slow);
    writeConfig(join(dir, `${name}.json`), simConfigInput(b.url, c.url, { concurrency: 8, stream: false }));
    writeFileSync(
      join(dir, `${name}.yaml`),
      // No latency gate: a loaded machine must not turn the outcome into a rollback; the counts are the point.
      `stages: [50, 100]\nminRequestsPerStage: 120\nmaxStageRepeats: 0\nsalt: ${name}\ngates:\n  maxErrorRateIncrease: 0.2\n`,
    );
    const pgc = await pgClient();
    const known = new Set((await pgc.query<{ id: string }>('SELECT id FROM rollouts')).rows.map((r) => r.id));
    const args = [
      'rollout',
      '--config',
      `${name}.json`,
      '--scenario',
      'prompts.jsonl',
      '--plan',
      `${name}.yaml`,
    ];
    const child = runChild([...args, '--db', scratch.url], dir);
    closers.push(() => child.child.kill('SIGKILL'));
    // Either signal once a batch of requests is stored: mid-way through the first stage, however fast the machine.
    let id: string | undefined;
    const until = Date.now() + 30_000;
    for (;;) {
      const r = await pgc.query<{ id: string; n: number; s: number }>(
        `SELECT r.id, (SELECT COUNT(*)::int FROM rollout_requests q WHERE q.rollout_id = r.id) AS n,
           (SELECT COUNT(*)::int FROM rollout_stages s WHERE s.rollout_id = r.id) AS s
         FROM rollouts r`,
      );
      const mine = r.rows.find((x) => !known.has(x.id));
      if (mine && mine.n >= 30) {
        id = mine.id;
        break;
      }
      assert.equal(
        child.child.exitCode,
        null,
        `the rehearsal ended before the signal: ${child.out().stderr}`,
      );
      assert.ok(Date.now() < until, 'timed out waiting for the rehearsal');
      await new Promise((r) => setTimeout(r, 25));
    }
    child.child.kill(signal);
    const exited = await child.exited;
    const count = async () =>
      (await pgc.query('SELECT COUNT(*)::int AS n FROM rollout_requests WHERE rollout_id = $1', [id])).rows[0]
        .n as number;
    const stoppedAt = await count();
    if (signal === 'SIGKILL') assert.equal(exited.signal, 'SIGKILL');
    else {
      // A graceful stop: in-flight requests finish and are stored, the state says interrupted, exit 128 + 15.
      assert.equal(exited.code, 143, child.out().stderr);
      assert.match(
        child.out().stderr,
        new RegExp(`resume with: shadowgate rollout --resume ${id} --db postgres://`),
      );
      const state = await pgc.query('SELECT status FROM rollouts WHERE id = $1', [id]);
      assert.equal(state.rows[0].status, 'interrupted');
      assert.ok(stoppedAt > 0, 'the requests finished before the stop are stored');
    }
    const resumed = await shadowgate(dir, ['rollout', '--resume', id!, '--db', scratch.url, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(['completed', 'held'].includes(JSON.parse(resumed.stdout).status), resumed.stdout);
    assert.ok((await count()) > stoppedAt, 'the resume served the rest');
    const stages = (
      await pgc.query(
        `SELECT s.stage, s.start_seq, s.end_seq, s.requests, COUNT(r.seq)::int AS n, COUNT(DISTINCT r.seq)::int AS d,
           SUM(CASE WHEN r.routed_arm = 'candidate' THEN 1 ELSE 0 END)::int AS c
         FROM rollout_stages s JOIN rollout_requests r ON r.rollout_id = s.rollout_id AND r.stage = s.stage
         WHERE s.rollout_id = $1 GROUP BY s.stage, s.start_seq, s.end_seq, s.requests ORDER BY s.stage`,
        [id],
      )
    ).rows as {
      stage: number;
      start_seq: number;
      end_seq: number;
      requests: number;
      n: number;
      d: number;
      c: number;
    }[];
    assert.ok(stages.length >= 1);
    for (const s of stages) {
      assert.equal(s.n, s.end_seq - s.start_seq, `stage ${s.stage}`);
      assert.equal(s.d, s.n);
      assert.equal(s.requests, s.n);
      assert.equal(s.c, 120);
    }
    if (stages[1]) assert.equal(stages[1].start_seq, stages[0]!.end_seq);
    const trail = await pgc.query<{ reason: string }>(
      'SELECT reason FROM rollout_events WHERE rollout_id = $1 ORDER BY id',
      [id],
    );
    const reasons = trail.rows.map((r) => r.reason);
    assert.ok(reasons.includes('resumed'));
    if (signal === 'SIGTERM') assert.ok(reasons.includes('interrupted'));
  }

  it('kill -9 mid-stage, then --resume on PostgreSQL: every stage has exactly its requests, none lost or doubled', () =>
    interruptAndResume('SIGKILL', 'kill'));

  it('SIGTERM mid-stage stops gracefully (exit 143, interrupted), then --resume: none lost or doubled', () =>
    interruptAndResume('SIGTERM', 'term'));
});

/** Waits (bounded, 1 s) for the follower to report a state matching `want`. */
async function heard(
  seen: { state: RolloutState; via: string; at: number }[],
  want: (s: RolloutState) => boolean,
): Promise<{ state: RolloutState; via: string; at: number }> {
  const until = Date.now() + 1000;
  for (;;) {
    const h = seen.find((x) => want(x.state));
    if (h) return h;
    if (Date.now() > until)
      throw new Error(`the follower did not hear it within 1 s: ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The report's fields that are clock times or measured durations, and so
 * differ between two rehearsals of the same plan: everything else must match.
 */
const TIMING_KEYS = new Set([
  'generated_at',
  'started_at',
  'finished_at',
  'updated_at',
  'at',
  'latency_ms',
  'ttft_ms',
]);

/** The report with the rollout id replaced and the timing fields removed. */
function maskTimes(value: unknown, id: string): unknown {
  if (typeof value === 'string') return value.replaceAll(id, '<id>');
  if (Array.isArray(value)) return value.map((v) => maskTimes(v, id));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !TIMING_KEYS.has(k))
        .map(([k, v]) => [k, maskTimes(v, id)]),
    );
  return value;
}
