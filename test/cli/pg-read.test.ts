/**
 * The read-side commands on PostgreSQL, spawned: a real replay against the
 * simulator, copied into PostgreSQL with `db copy`, reads the same through
 * `--db postgres://...` (or SHADOWGATE_DB) as from its SQLite file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runShadow } from '../../src/runner/shadow-run.js';
import { systemClock } from '../../src/shared/clock.js';
import { parseDbLocation } from '../../src/store/db-url.js';
import { copyRuns } from '../../src/store/pg/copy-runs.js';
import { runChild } from '../helpers/child-process.js';
import {
  makePrompts,
  profile,
  simConfig,
  simConfigInput,
  startSim,
  writeConfig,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';
import { createScratchDatabase, type ScratchDatabase } from '../store/pg/scratch-db.js';

async function shadowgate(cwd: string, args: string[], env: Record<string, string> = {}) {
  const child = runChild(args, cwd, env);
  const { code } = await child.exited;
  return { code, ...child.out() };
}

const FORMATS = ['md', 'json', 'html'] as const;

describe('runs, report shadow and gate on PostgreSQL (spawned)', () => {
  let scratch: ScratchDatabase;
  let dir: string;
  let runId: string;
  let rolloutId: string;
  const closers: (() => unknown)[] = [];

  before(async () => {
    scratch = await createScratchDatabase();
    dir = mkdtempSync(join(tmpdir(), 'shadowgate-pg-read-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const t = { after: (fn: () => unknown) => closers.push(fn) } as never;
    const fast = { ttft: { fixedMs: 5 }, tpot: { fixedMs: 0 } };
    const baseline = await startSim(t, profile('steady', fast), 3);
    // Errors and retries on the candidate, so the paired rows hold both outcomes (their order matters).
    const faultRates = { '429': 0.1, '503': 0.1, reset: 0.05, 'missing-usage': 0.03 };
    const candidate = await startSim(t, profile('flaky', { ...fast, faultRates }), 3);
    const summary = await runShadow(
      {
        config: simConfig(baseline.url, candidate.url, { concurrency: 4, retry: { maxAttempts: 2 } }),
        scenarioPath: writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(80)),
        dbPath: join(dir, 'a.db'),
        replica: 0.5,
        seed: 7,
        label: 'pg read',
      },
      { clock: systemClock, env: {} },
    );
    runId = summary.run_id;
    // A rollout rehearsal in the same file, gated on that run: the rollout tables.
    writeConfig(
      join(dir, 'exp.json'),
      simConfigInput(baseline.url, candidate.url, { concurrency: 8, retry: { maxAttempts: 1 } }),
    );
    writeFileSync(
      join(dir, 'plan.yaml'),
      'stages: [50, 100]\nminRequestsPerStage: 30\nmaxStageRepeats: 0\nsalt: fixed\n',
    );
    const rollout = await shadowgate(dir, [
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
    ]);
    assert.ok([0, 3, 4].includes(rollout.code!), rollout.stderr);
    rolloutId = (JSON.parse(rollout.stdout) as { rollout_id: string }).rollout_id;
    await copyRuns({ from: parseDbLocation(join(dir, 'a.db'), dir), to: parseDbLocation(scratch.url, dir) });
  });

  after(async () => {
    for (const close of closers.reverse()) await close();
    await scratch.drop();
  });

  /** The three report files of one store; the generation time (the process's clock) masked. */
  async function report(db: string, out: string, env: Record<string, string> = {}, kind = 'shadow') {
    const which = kind === 'shadow' ? ['--run', 'latest'] : ['--rollout', rolloutId];
    const args = ['report', kind, ...which, '--format', 'md,json,html', '--out', out];
    const r = await shadowgate(dir, db === '' ? args : [...args, '--db', db], env);
    assert.equal(r.code, 0, r.stderr);
    const id = kind === 'shadow' ? runId : rolloutId;
    const files = Object.fromEntries(
      FORMATS.map((f) => [f, readFileSync(join(dir, out, `${id}-${kind}.${f}`), 'utf8')]),
    ) as Record<(typeof FORMATS)[number], string>;
    const generatedAt = (JSON.parse(files.json) as { generated_at: string }).generated_at;
    assert.match(generatedAt, /^\d{4}-\d\d-\d\dT/);
    for (const f of FORMATS) files[f] = files[f].replaceAll(generatedAt, '<generated>');
    return files;
  }

  it('report shadow gives the same md, json and html from PostgreSQL as from the SQLite file', async () => {
    const sqlite = await report('a.db', 'from-sqlite');
    const postgres = await report(scratch.url, 'from-pg');
    const json = JSON.parse(sqlite.json) as { arms: { candidate: { errors: number } }; comparison: unknown };
    assert.ok(json.arms.candidate.errors > 0, 'the candidate failed some prompts');
    for (const f of FORMATS) assert.equal(postgres[f], sqlite[f], `${f} differs`);
  });

  it('gate --json prints the same numbers and exits with the same code', async () => {
    const sqlite = await shadowgate(dir, ['gate', '--db', 'a.db', '--json']);
    const postgres = await shadowgate(dir, ['gate', '--db', scratch.url, '--json']);
    assert.ok([0, 3, 4].includes(sqlite.code!), sqlite.stderr);
    assert.equal(postgres.code, sqlite.code, postgres.stderr);
    assert.equal(postgres.stdout, sqlite.stdout);
    const gates = (JSON.parse(sqlite.stdout) as { gates: { observed: unknown }[] }).gates;
    assert.ok(gates.length > 0);
  });

  it('runs --json lists the same run with the same counts', async () => {
    const sqlite = await shadowgate(dir, ['runs', '--db', 'a.db', '--json']);
    const postgres = await shadowgate(dir, ['runs', '--db', scratch.url, '--json']);
    assert.equal(sqlite.code, 0, sqlite.stderr);
    assert.equal(postgres.code, 0, postgres.stderr);
    assert.equal(postgres.stdout, sqlite.stdout);
    const runs = JSON.parse(postgres.stdout) as { id: string; kind: string; prompts: number }[];
    assert.deepEqual(
      runs.filter((r) => r.kind === 'shadow').map((r) => [r.id, r.prompts]),
      [[runId, 80]],
    );
  });

  it('SHADOWGATE_DB selects PostgreSQL; --db wins over it', async () => {
    const viaEnv = await shadowgate(dir, ['runs', '--json'], { SHADOWGATE_DB: scratch.url });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(viaEnv.stdout, (await shadowgate(dir, ['runs', '--db', 'a.db', '--json'])).stdout);
    const sqlite = await report('a.db', 'env-sqlite');
    const postgres = await report('', 'env-pg', { SHADOWGATE_DB: scratch.url });
    assert.equal(postgres.json, sqlite.json);
    // --db names a SQLite file that is not there: the env var's PostgreSQL is not used.
    const flagWins = await shadowgate(dir, ['runs', '--db', 'missing.db'], { SHADOWGATE_DB: scratch.url });
    assert.equal(flagWins.code, 2);
    assert.match(flagWins.stderr, /no database at .*missing\.db/);
  });

  it('an unreachable PostgreSQL is one line and exit 2, for each command', async () => {
    // A port nothing listens on (the discard port on loopback).
    const url = 'postgres://someone:hunter2@127.0.0.1:9/nowhere';
    for (const args of [['runs'], ['gate'], ['report', 'shadow'], ['report', 'rollout']]) {
      const r = await shadowgate(dir, [...args, '--db', url]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /cannot reach PostgreSQL at 127\.0\.0\.1:9/);
      assert.doesNotMatch(r.stderr, /hunter2|\n\s+at /);
    }
  });

  it('report rollout gives the same md, json and html from PostgreSQL as from the SQLite file', async () => {
    const sqlite = await report('a.db', 'rollout-sqlite', {}, 'rollout');
    const postgres = await report(scratch.url, 'rollout-pg', {}, 'rollout');
    assert.match(sqlite.md, new RegExp(rolloutId));
    for (const f of FORMATS) assert.equal(postgres[f], sqlite[f], `${f} differs`);
  });

  it('gate --rollout --stage N on PostgreSQL prints the same judgement and exits with the same code as on SQLite', async () => {
    for (const stage of [[], ['--stage', '1']]) {
      const sqlite = await shadowgate(dir, [
        'gate',
        '--rollout',
        rolloutId,
        ...stage,
        '--db',
        'a.db',
        '--json',
      ]);
      const postgres = await shadowgate(dir, [
        'gate',
        '--rollout',
        rolloutId,
        ...stage,
        '--db',
        scratch.url,
        '--json',
      ]);
      assert.ok([0, 3, 4].includes(sqlite.code!), sqlite.stderr);
      assert.equal(postgres.code, sqlite.code, postgres.stderr);
      assert.equal(postgres.stdout, sqlite.stdout);
      assert.equal((JSON.parse(postgres.stdout) as { rollout_id: string }).rollout_id, rolloutId);
    }
    const missing = await shadowgate(dir, [
      'gate',
      '--rollout',
      rolloutId,
      '--stage',
      '9',
      '--db',
      scratch.url,
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no stage 9/);
  });
});
