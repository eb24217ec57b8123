import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BufferSink, type CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { FakeClock } from '../../src/shared/clock.js';
import { RUN_ID, writeFixtureFile } from '../report/fixture-db.js';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');

describe('shadowgate report shadow', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadowgate-report-'));
    writeFixtureFile(join(dir, 'shadowgate.db'));
    writeFileSync(
      join(dir, 'promote.yaml'),
      'gates:\n  - { name: saves, metric: cost.savings_pct, op: ">=", threshold: 10, minSamples: 1 }\n',
    );
    writeFileSync(
      join(dir, 'rollback.yaml'),
      'gates:\n  - { metric: candidate.error_rate, op: "<=", threshold: 0.01, minSamples: 1, onFail: rollback }\n',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[]) {
    const stdout = new BufferSink();
    const stderr = new BufferSink();
    const io: CliIo = { stdout, stderr, env: {}, cwd: dir, clock: new FakeClock(0, Date.UTC(2026, 0, 6)) };
    const code = await runCli(['report', 'shadow', ...args], io);
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  test('writes the three formats under reports/ and prints their paths', async () => {
    const r = await run([]);
    assert.equal(r.code, 0, r.stderr);
    const paths = r.stdout.trim().split('\n');
    assert.deepEqual(paths, [
      join('reports', `${RUN_ID}-shadow.md`),
      join('reports', `${RUN_ID}-shadow.html`),
      join('reports', `${RUN_ID}-shadow.json`),
    ]);
    for (const p of paths) assert.ok(existsSync(join(dir, p)), p);
    const json = JSON.parse(readFileSync(join(dir, paths[2]!), 'utf8'));
    assert.equal(json.run_id, RUN_ID);
    assert.equal(json.generated_at, '2026-01-06T00:00:00.000Z');
    assert.equal(json.comparison.cost.monthly.requests_per_month, 1_000_000);
  });

  test('--format, --out and --monthly-tokens', async () => {
    const r = await run([
      '--run',
      'latest',
      '--format',
      'json',
      '--out',
      'elsewhere/deep',
      '--monthly-tokens',
      '3000000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${join('elsewhere/deep', `${RUN_ID}-shadow.json`)}\n`);
    const json = JSON.parse(readFileSync(join(dir, 'elsewhere/deep', `${RUN_ID}-shadow.json`), 'utf8'));
    assert.equal(json.comparison.cost.monthly.basis, 'tokens');
    assert.equal(json.comparison.cost.monthly.requests_per_month, 100000);
  });

  test('user mistakes exit 2 with one line', async () => {
    const unknown = await run(['--run', 'r-missing']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /r-missing/);
    assert.equal((await run(['--format', 'pdf'])).code, 2);
    assert.equal((await run(['--monthly-requests', '10', '--monthly-tokens', '10'])).code, 2);
    assert.equal((await run(['--monthly-requests', '-5'])).code, 2);
    const noDb = await run(['--db', 'nope.db']);
    assert.equal(noDb.code, 2);
    assert.match(noDb.stderr, /nope\.db/);
  });

  test('--check makes the exit code follow the verdict', async () => {
    assert.equal((await run(['--format', 'json', '--check', '--gates', 'promote.yaml'])).code, 0);
    assert.equal((await run(['--format', 'json', '--check'])).code, 3);
    assert.equal((await run(['--format', 'json', '--check', '--gates', 'rollback.yaml'])).code, 4);
    // Without --check the verdict is information, not an exit code.
    assert.equal((await run(['--format', 'json', '--gates', 'rollback.yaml'])).code, 0);
  });

  test('the built command exits 3 on hold with --check', () => {
    const r = spawnSync(
      process.execPath,
      [MAIN, 'report', 'shadow', '--format', 'md', '--out', 'spawned', '--check'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout.trim(), join('spawned', `${RUN_ID}-shadow.md`));
    assert.match(readFileSync(join(dir, 'spawned', `${RUN_ID}-shadow.md`), 'utf8'), /Verdict: HOLD/);
  });
});
