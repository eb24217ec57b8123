import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RUN_ID, writeFixtureFile } from '../report/fixture-db.js';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');

describe('shadowgate gate (spawned)', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadowgate-gate-'));
    writeFixtureFile(join(dir, 'shadowgate.db'));
    // The hand-made run: the candidate saves 50% on every paired prompt, and 1 of 5 requests failed.
    writeFileSync(
      join(dir, 'promote.yaml'),
      'gates:\n  - { name: any-cost, metric: cost.savings_pct, op: ">=", threshold: -1000, minSamples: 1 }\n',
    );
    writeFileSync(
      join(dir, 'rollback.yaml'),
      'gates:\n  - { name: errs, metric: candidate.error_rate, op: "<=", threshold: 0.01, minSamples: 1, onFail: rollback }\n',
    );
    writeFileSync(
      join(dir, 'straddle.yaml'),
      'confidence: 0.9\ngates:\n  - { name: errs, metric: candidate.error_rate, op: "<=", threshold: 0.3, minSamples: 1, onFail: rollback }\n',
    );
    writeFileSync(
      join(dir, 'typo.yaml'),
      'gates:\n  - { metric: candidate.eror_rate, op: "<=", threshold: 0.1 }\n',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const gate = (...args: string[]) =>
    spawnSync(process.execPath, [MAIN, 'gate', ...args], { cwd: dir, encoding: 'utf8' });

  test('exit 0 on promote, 4 on proven failure of a rollback gate, 3 when the interval straddles', () => {
    assert.equal(gate('--gates', 'promote.yaml').status, 0);
    const rollback = gate('--gates', 'rollback.yaml', '--json');
    assert.equal(rollback.status, 4, rollback.stderr);
    const json = JSON.parse(rollback.stdout);
    assert.equal(json.decision, 'rollback');
    assert.equal(json.run_id, RUN_ID);
    const g = json.gates[0];
    assert.deepEqual(
      [g.name, g.metric, g.status, g.threshold, g.n],
      ['errs', 'candidate.error_rate', 'fail', 0.01, 5],
    );
    assert.ok(g.interval[0] > 0.01 && g.interval[0] <= g.observed && g.observed <= g.interval[1]);
    const straddle = gate('--gates', 'straddle.yaml', '--json');
    assert.equal(straddle.status, 3);
    const s = JSON.parse(straddle.stdout);
    assert.equal(s.gates[0].status, 'inconclusive');
    assert.equal(s.confidence, 0.9);
    assert.match(s.reasons[0], /inconclusive/);
  });

  test('the default gates hold the six-prompt run, and the text table names every gate', () => {
    const r = gate('--run', RUN_ID);
    assert.equal(r.status, 3);
    assert.match(r.stdout, /^gate +metric +observed +90% interval +threshold +n +status +on fail/);
    assert.match(r.stdout, /error-delta +errors\.delta/);
    assert.match(r.stdout, /decision: hold\n$/);
  });

  test('exit 2 with the path for a misspelt metric or an unknown run, no stack trace', () => {
    const typo = gate('--gates', 'typo.yaml');
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /gates\[0\]\.metric: unknown metric "candidate\.eror_rate"/);
    assert.doesNotMatch(typo.stderr, /\n\s+at /);
    const unknown = gate('--run', 'nope');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no run nope/);
  });
});
