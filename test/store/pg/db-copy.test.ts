import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BufferSink } from '../../../src/cli/io.js';
import { runCli } from '../../../src/cli/run-cli.js';
import { runShadow } from '../../../src/runner/shadow-run.js';
import { FakeClock, systemClock } from '../../../src/shared/clock.js';
import { openStore } from '../../../src/store/open-store.js';
import { connectPg } from '../../../src/store/pg/open-pg-store.js';
import { TABLES } from '../../../src/store/pg/pg-migrations.js';
import {
  makePrompts,
  profile,
  simConfig,
  simConfigInput,
  startSim,
  writeConfig,
  writeJsonl,
} from '../../helpers/shadow-fixtures.js';
import { writeFixture } from '../../report/fixture-db.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.js';

async function cli(cwd: string, ...argv: string[]) {
  const stdout = new BufferSink();
  const stderr = new BufferSink();
  const clock = new FakeClock(0, Date.UTC(2026, 0, 6));
  const code = await runCli(argv, { stdout, stderr, env: {}, cwd, clock });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Rows per table of one run or rollout in a SQLite file. */
function sqliteCounts(path: string, id: string): Record<string, number> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const out: Record<string, number> = {};
    for (const t of TABLES.values()) {
      const key =
        t.name === 'runs' || t.name === 'rollouts'
          ? 'id'
          : t.name.startsWith('rollout')
            ? 'rollout_id'
            : 'run_id';
      out[t.name] = db.prepare(`SELECT COUNT(*) FROM ${t.name} WHERE ${key} = ?`).pluck().get(id) as number;
    }
    return out;
  } finally {
    db.close();
  }
}

async function pgCount(url: string, table: string): Promise<number> {
  const client = await connectPg(url);
  try {
    return (await client.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table}`)).rows[0]!.n;
  } finally {
    await client.end();
  }
}

/** The report files of one run, by format: the bytes a user would diff. */
async function reportFiles(dir: string, db: string, kind: 'shadow' | 'rollout', id: string) {
  const out = `reports-${db}`;
  const r = await cli(
    dir,
    'report',
    kind,
    '--db',
    db,
    kind === 'shadow' ? '--run' : '--rollout',
    id,
    '--format',
    'md,json',
    '--out',
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  return {
    md: readFileSync(join(dir, out, `${id}-${kind}.md`), 'utf8'),
    json: readFileSync(join(dir, out, `${id}-${kind}.json`), 'utf8'),
  };
}

describe('shadowgate db copy', () => {
  let scratch: ScratchDatabase;
  let dir: string;
  let shadowId: string;
  let rolloutId: string;
  const closers: (() => Promise<void> | void)[] = [];

  before(async () => {
    scratch = await createScratchDatabase();
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    dir = mkdtempSync(join(tmpdir(), 'shadowgate-db-copy-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const t = { after: (fn: () => unknown) => closers.push(fn as () => void) } as never;
    const fast = { ttft: { fixedMs: 5 }, tpot: { fixedMs: 0 } };
    const baseline = await startSim(t, profile('steady', fast), 3);
    // Failures of several kinds, none that waits for a timeout.
    const faultRates = { '429': 0.05, '503': 0.05, reset: 0.03, cutoff: 0.03, 'missing-usage': 0.03 };
    const candidate = await startSim(t, profile('flaky', { ...fast, faultRates }), 3);
    // A real replay: a flaky candidate gives errors, retries and attempts rows; a replica arm.
    const summary = await runShadow(
      {
        config: simConfig(baseline.url, candidate.url, { concurrency: 4 }),
        scenarioPath: writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(60)),
        dbPath: join(dir, 'a.db'),
        replica: 0.5,
        seed: 11,
        label: 'copy me',
      },
      { clock: systemClock, env: {} },
    );
    shadowId = summary.run_id;
    // And a rollout rehearsal in the same file: the rollout tables, rollout_events' store-assigned ids.
    writeConfig(
      join(dir, 'exp.json'),
      simConfigInput(baseline.url, candidate.url, { concurrency: 8, retry: { maxAttempts: 1 } }),
    );
    writeFileSync(
      join(dir, 'plan.yaml'),
      'stages: [50, 100]\nminRequestsPerStage: 40\nmaxStageRepeats: 0\nsalt: fixed\n',
    );
    const rollout = await cli(
      dir,
      'rollout',
      '--config',
      'exp.json',
      '--scenario',
      'prompts.jsonl',
      '--plan',
      'plan.yaml',
      '--db',
      'a.db',
      '--force',
      '--json',
    );
    assert.ok(rollout.code === 0 || rollout.code === 3 || rollout.code === 4, rollout.stderr);
    rolloutId = JSON.parse(rollout.stdout).rollout_id;
  });

  after(async () => {
    for (const close of closers.reverse()) await close();
    await scratch.drop();
  });

  it('SQLite -> PostgreSQL -> a new SQLite file gives byte-identical shadow and rollout reports', async () => {
    const toPg = await cli(
      dir,
      'db',
      'copy',
      '--from',
      'sqlite:a.db',
      '--to',
      scratch.url,
      '--batch-rows',
      '7',
    );
    assert.equal(toPg.code, 0, toPg.stderr);
    const source = sqliteCounts(join(dir, 'a.db'), shadowId);
    assert.ok(source.requests! > 120 && source.attempts! > source.requests!, JSON.stringify(source));
    assert.match(
      toPg.stdout,
      new RegExp(
        `^${shadowId}: runs 1, prompts 60, requests ${source.requests}, attempts ${source.attempts}`,
        'm',
      ),
    );
    assert.match(
      toPg.stdout,
      new RegExp(
        `^${rolloutId}: rollouts 1, rollout_stages \\d+, rollout_requests \\d+, rollout_events \\d+`,
        'm',
      ),
    );
    assert.match(toPg.stdout, /copied 2 runs from .*a\.db to postgres:\/\/.*\n$/);
    assert.equal(await pgCount(scratch.url, 'requests'), source.requests);

    const back = await cli(dir, 'db', 'copy', '--from', scratch.url, '--to', 'sqlite:b.db');
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(sqliteCounts(join(dir, 'b.db'), shadowId), source);
    assert.deepEqual(sqliteCounts(join(dir, 'b.db'), rolloutId), sqliteCounts(join(dir, 'a.db'), rolloutId));

    const original = await reportFiles(dir, 'a.db', 'shadow', shadowId);
    const copied = await reportFiles(dir, 'b.db', 'shadow', shadowId);
    assert.equal(copied.json, original.json);
    assert.equal(copied.md, original.md);
    const originalRollout = await reportFiles(dir, 'a.db', 'rollout', rolloutId);
    const copiedRollout = await reportFiles(dir, 'b.db', 'rollout', rolloutId);
    assert.equal(copiedRollout.json, originalRollout.json);
    assert.equal(copiedRollout.md, originalRollout.md);
  });

  it('--run copies only the runs named; an id the source lacks is an error', async () => {
    const one = await cli(dir, 'db', 'copy', '--from', 'a.db', '--to', 'c.db', '--run', rolloutId);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(sqliteCounts(join(dir, 'c.db'), shadowId).runs, 0);
    assert.deepEqual(sqliteCounts(join(dir, 'c.db'), rolloutId), sqliteCounts(join(dir, 'a.db'), rolloutId));
    assert.match(one.stdout, /copied 1 run from/);

    const missing = await cli(
      dir,
      'db',
      'copy',
      '--from',
      'a.db',
      '--to',
      'd.db',
      '--run',
      shadowId,
      '--run',
      'r-nope',
    );
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `shadowgate: db copy: ${join(dir, 'a.db')} has no run r-nope\n`);
  });

  it('refuses to overwrite a run the target has, and copies nothing; --replace replaces it without doubling', async () => {
    const before = await pgCount(scratch.url, 'attempts');
    const again = await cli(dir, 'db', 'copy', '--from', 'a.db', '--to', scratch.url);
    assert.equal(again.code, 2);
    assert.equal(
      again.stderr,
      `shadowgate: db copy: ${scratch.url} already has runs ${shadowId}, ${rolloutId}; pass --replace to overwrite\n`,
    );
    assert.equal(again.stdout, '');
    const replaced = await cli(
      dir,
      'db',
      'copy',
      '--from',
      'a.db',
      '--to',
      scratch.url,
      '--replace',
      '--run',
      shadowId,
    );
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, new RegExp(`^${shadowId} \\(replaced\\): runs 1,`, 'm'));
    assert.equal(await pgCount(scratch.url, 'attempts'), before);
    assert.equal(await pgCount(scratch.url, 'runs'), 1);
    assert.equal(await pgCount(scratch.url, 'rollouts'), 1);
  });

  it('user mistakes are one line and exit 2: the same store twice, an unknown store, PostgreSQL not there', async () => {
    const same = await cli(dir, 'db', 'copy', '--from', 'a.db', '--to', 'sqlite:a.db');
    assert.equal(same.code, 2);
    assert.match(same.stderr, /^shadowgate: db copy: --from and --to are the same store/);
    const scheme = await cli(dir, 'db', 'copy', '--from', 'a.db', '--to', 'mysql://u:pw@h/x');
    assert.equal(
      scheme.stderr,
      'shadowgate: --to mysql://u:***@h/x: unknown store mysql://; give a SQLite file (sqlite:PATH) or postgres://USER@HOST:PORT/DB\n',
    );
    const down = await cli(dir, 'db', 'copy', '--from', 'a.db', '--to', 'postgres://u:pw@127.0.0.1:1/x');
    assert.equal(down.code, 2);
    assert.match(
      down.stderr,
      /^shadowgate: cannot reach PostgreSQL at 127\.0\.0\.1:1 \(connection refused\): start it/,
    );
    assert.equal(down.stderr.split('\n').length, 2, 'one line');
    assert.doesNotMatch(down.stderr, /pw/);
  });

  it('writes each run in one transaction: a run that fails half way leaves none of its rows, the runs before it stay', async () => {
    const path = join(dir, 'two.db');
    const db = openStore(path);
    writeFixture(db, { runId: 'r-good' });
    writeFixture(db, { runId: 'r-bad' });
    // PostgreSQL's TEXT cannot hold a NUL, SQLite's can: the last table of r-bad fails to copy.
    db.prepare(
      "UPDATE requests SET output_text = 'a' || char(0) || 'b' WHERE run_id = 'r-bad' AND arm = 'candidate'",
    ).run();
    db.close();
    const target = await createScratchDatabase();
    try {
      const r = await cli(dir, 'db', 'copy', '--from', 'two.db', '--to', target.url);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, 'r-good: runs 1, prompts 6, requests 15, attempts 3, breaker_events 2\n');
      assert.match(
        r.stderr,
        /^shadowgate: db copy: run r-bad, table requests: invalid byte sequence for encoding "UTF8": 0x00; nothing of this run was written to postgres:\/\/.*\n$/,
      );
      const client = await connectPg(target.url);
      try {
        const runs = await client.query<{ id: string }>('SELECT id FROM runs ORDER BY id');
        assert.deepEqual(runs.rows, [{ id: 'r-good' }]);
        const strays = await client.query<{ n: number }>(
          "SELECT (SELECT COUNT(*) FROM prompts WHERE run_id = 'r-bad') + (SELECT COUNT(*) FROM requests WHERE run_id = 'r-bad') AS n",
        );
        assert.equal(strays.rows[0]!.n, 0);
      } finally {
        await client.end();
      }
    } finally {
      await target.drop();
    }
  });
});
