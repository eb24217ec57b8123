import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { BufferSink } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { systemClock } from '../../src/shared/clock.js';
import { runChild, waitFor } from '../helpers/child-process.js';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import {
  makePrompts,
  profile,
  simConfigInput,
  startSim,
  tempDir,
  writeConfig,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';
import { RUN_ID, writeFixtureFile } from '../report/fixture-db.js';

const HOSTILE = '<img src=x onerror="document.title=1">';

async function cli(cwd: string, ...argv: string[]) {
  const stdout = new BufferSink();
  const stderr = new BufferSink();
  const code = await runCli(argv, { stdout, stderr, env: {}, cwd, clock: systemClock });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A finished rehearsal in a temp dir: a steady candidate, stages 50 -> 100. */
async function rehearsed(t: TestContext, candidateFaults: Record<string, number> = {}) {
  const dir = tempDir(t, 'shadowgate-rollout-cli-');
  const fast = { ttft: { fixedMs: 10 }, tpot: { fixedMs: 0 } };
  const b = await startSim(t, profile('steady', fast), 2);
  const c = await startSim(t, profile('steady', { ...fast, faultRates: candidateFaults }), 2);
  writeConfig(
    join(dir, 'exp.json'),
    simConfigInput(b.url, c.url, { concurrency: 16, retry: { maxAttempts: 1 } }),
  );
  writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(200));
  writeFileSync(
    join(dir, 'plan.yaml'),
    'stages: [50, 100]\nminRequestsPerStage: 200\nmaxStageRepeats: 0\nsalt: fixed\n',
  );
  const run = await cli(
    dir,
    'rollout',
    '--config',
    'exp.json',
    '--scenario',
    'prompts.jsonl',
    '--plan',
    'plan.yaml',
    '--db',
    'r.db',
    '--label',
    HOSTILE,
    '--actor',
    'ci-bot',
    '--json',
  );
  return { dir, run };
}

describe('shadowgate rollout', () => {
  it('prints the JSON contract, exits 0 whatever the outcome, and the state commands move it with an audit trail', async (t) => {
    const { dir, run } = await rehearsed(t, { '500': 0.5 });
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.status, 'rolled_back');
    assert.equal(summary.final_percentage, 0);
    assert.equal(summary.stages[0].percentage, 50);
    assert.equal(summary.stages[0].decision, 'rollback');
    assert.ok(summary.stages[0].requests >= 200 && summary.stages[0].candidate_requests === 200);
    assert.ok(Array.isArray(summary.stages[0].reasons));

    const gate = await cli(
      dir,
      'gate',
      '--rollout',
      summary.rollout_id,
      '--stage',
      '1',
      '--db',
      'r.db',
      '--json',
    );
    assert.equal(gate.code, 4, gate.stderr);
    assert.equal(JSON.parse(gate.stdout).decision, 'rollback');
    const noStage = await cli(dir, 'gate', '--rollout', 'latest', '--stage', '9', '--db', 'r.db');
    assert.equal(noStage.code, 2);
    assert.match(noStage.stderr, /no stage 9/);

    const set = await cli(
      dir,
      'rollout',
      'set',
      '25',
      '--reason',
      'retry after the relay fixed its 500s',
      '--db',
      'r.db',
      '--actor',
      'alice',
    );
    assert.equal(set.code, 0, set.stderr);
    const lower = await cli(dir, 'rollout', 'set', '10', '--reason', 'x', '--db', 'r.db');
    assert.equal(lower.code, 2);
    assert.match(lower.stderr, /moves users back/);
    const noReason = await cli(dir, 'rollout', 'rollback', '--db', 'r.db');
    assert.equal(noReason.code, 2);
    assert.equal(
      (await cli(dir, 'rollout', 'rollback', '--reason', 'pager', '--db', 'r.db', '--actor', 'bob')).code,
      0,
    );

    const status = await cli(dir, 'rollout', 'status', '--db', 'r.db', '--json');
    assert.equal(status.code, 0);
    const s = JSON.parse(status.stdout);
    assert.equal(s.rollout_id, summary.rollout_id);
    assert.equal(s.percentage, 0);
    assert.equal(s.status, 'rolled_back');
    assert.equal(s.salt, 'fixed');
    assert.equal(s.hash_version, 1);
    assert.deepEqual(
      s.history.map((h: { actor: string; to_percentage: number }) => [h.actor, h.to_percentage]),
      [
        ['ci-bot', 50],
        ['shadowgate', 0],
        ['alice', 25],
        ['bob', 0],
      ],
    );

    const state = await cli(dir, 'rollout', 'state', '--out', 'state.json', '--db', 'r.db');
    assert.equal(state.code, 0, state.stderr);
    const doc = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    assert.deepEqual(Object.keys(doc).sort(), [
      'hash_version',
      'percentage',
      'rollout_id',
      'salt',
      'status',
      'updated_at',
      'version',
    ]);
    assert.equal(doc.version, 4);
    assert.equal(doc.percentage, 0);
  });

  it('exits 2 on bad input: a plan with unknown keys, a missing plan, a resume of nothing', async (t) => {
    const dir = tempDir(t, 'shadowgate-rollout-bad-');
    writeFileSync(join(dir, 'plan.yaml'), 'stages: [5, 3]\nminRequestPerStage: 10\n');
    const bad = await cli(
      dir,
      'rollout',
      '--config',
      'x.json',
      '--scenario',
      'p.jsonl',
      '--plan',
      'plan.yaml',
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /stages: must increase/);
    assert.match(bad.stderr, /minRequestPerStage: unknown key/);
    assert.doesNotMatch(bad.stderr, /at .*\.js/);
    const none = await cli(dir, 'rollout', '--config', 'x.json');
    assert.equal(none.code, 2);
    const status = await cli(dir, 'rollout', 'status', '--db', 'missing.db');
    assert.equal(status.code, 2);
  });

  it('--shadow-run: a week-1 verdict that is not promote refuses to start (exit 2); --force starts and is recorded, by the OS user without --actor; gate --rollout exits 3 and 0', async (t) => {
    const dir = tempDir(t, 'shadowgate-rollout-week1-');
    const fast = { ttft: { fixedMs: 5 }, tpot: { fixedMs: 0 } };
    const b = await startSim(t, profile('steady', fast), 2);
    const c = await startSim(t, profile('steady', fast), 2);
    writeConfig(join(dir, 'exp.json'), simConfigInput(b.url, c.url, { concurrency: 8 }));
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(40));
    writeFileSync(join(dir, 'plan.yaml'), 'stages: [100]\nminRequestsPerStage: 20\nmaxStageRepeats: 0\n');
    // The hand-made six-prompt week-1 run: the default gates hold it.
    writeFixtureFile(join(dir, 'r.db'));
    const args = ['rollout', '--config', 'exp.json', '--scenario', 'prompts.jsonl', '--plan', 'plan.yaml'];
    const refused = await cli(dir, ...args, '--db', 'r.db', '--shadow-run', RUN_ID);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`week-1 run ${RUN_ID}'s verdict is hold, not promote`));
    assert.doesNotMatch(refused.stderr, /\n\s+at /);
    const db = () => new Database(join(dir, 'r.db'), { readonly: true });
    const before = db();
    assert.equal(before.prepare('SELECT COUNT(*) FROM rollouts').pluck().get(), 0);
    before.close();

    const forced = await cli(dir, ...args, '--db', 'r.db', '--shadow-run', 'latest', '--force', '--json');
    assert.equal(forced.code, 0, forced.stderr);
    const id = JSON.parse(forced.stdout).rollout_id as string;
    const after = db();
    t.after(() => after.close());
    assert.deepEqual(
      after.prepare('SELECT shadow_run_id, shadow_decision, forced FROM rollouts WHERE id = ?').get(id),
      { shadow_run_id: RUN_ID, shadow_decision: 'hold', forced: 1 },
    );
    const first = after
      .prepare('SELECT actor, reason FROM rollout_events WHERE rollout_id = ? ORDER BY id LIMIT 1')
      .get(id) as { actor: string; reason: string };
    assert.equal(first.actor, userInfo().username);
    assert.equal(first.reason, `started with --force over week-1 run ${RUN_ID}'s hold verdict`);

    // gate --rollout exits as a shadow gate does: 20 requests are too few for the gates, so 3 (hold) ...
    assert.equal(JSON.parse(forced.stdout).status, 'held');
    const held = await cli(dir, 'gate', '--rollout', id, '--db', 'r.db');
    assert.equal(held.code, 3, held.stderr);
    assert.match(held.stdout, /decision: hold\n$/);
    // ... and 0 for a stage whose gates (errors only, so machine load cannot matter) all pass.
    writeFileSync(
      join(dir, 'errors-only.yaml'),
      'stages: [50, 100]\nminRequestsPerStage: 150\nmaxStageRepeats: 0\ngates:\n  maxErrorRateIncrease: 0.2\n',
    );
    const ok = await cli(dir, ...args.slice(0, -1), 'errors-only.yaml', '--db', 'r.db', '--json');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).status, 'completed', ok.stdout);
    const promoted = await cli(dir, 'gate', '--rollout', 'latest', '--stage', '1', '--db', 'r.db', '--json');
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(JSON.parse(promoted.stdout).decision, 'promote');
  });

  it('writes the rollout report in md, html and json; the HTML draws its chart in Chromium and shows hostile text as text', async (t) => {
    const { dir, run } = await rehearsed(t);
    assert.equal(run.code, 0, run.stderr);
    const id = JSON.parse(run.stdout).rollout_id as string;
    const report = await cli(dir, 'report', 'rollout', '--db', 'r.db', '--out', 'reports');
    assert.equal(report.code, 0, report.stderr);
    for (const ext of ['md', 'html', 'json'])
      assert.ok(existsSync(join(dir, 'reports', `${id}-rollout.${ext}`)), ext);
    const json = JSON.parse(readFileSync(join(dir, 'reports', `${id}-rollout.json`), 'utf8'));
    assert.equal(json.rollout_id, id);
    assert.equal(json.stages.length, JSON.parse(run.stdout).stages.length);
    assert.ok(json.cost.all_baseline_usd > json.cost.realised_usd, 'the cheaper candidate saved money');
    const md = readFileSync(join(dir, 'reports', `${id}-rollout.md`), 'utf8');
    assert.ok(!md.includes('<img'), 'markdown escapes the label');

    if (chromiumMissing()) return;
    const browser = await launchChromium();
    t.after(() => browser.close());
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(pathToFileURL(join(dir, 'reports', `${id}-rollout.html`)).href);
    const chart = await page.$eval('svg[data-chart="rollout-timeline"]', (el) => {
      const box = el.getBoundingClientRect();
      return {
        w: box.width,
        h: box.height,
        marks: el.querySelectorAll('circle.decision-mark').length,
        path: el.querySelector('path.series')?.getAttribute('d')?.length ?? 0,
      };
    });
    assert.ok(chart.w > 300 && chart.h > 100, JSON.stringify(chart));
    assert.equal(chart.marks, JSON.parse(run.stdout).stages.length);
    assert.ok(chart.path > 10);
    assert.equal(await page.$$eval('img', (els) => els.length), 0);
    assert.match(await page.$eval('h1', (el) => el.textContent ?? ''), /<img src=x/);
    assert.notEqual(await page.title(), '1');
    assert.deepEqual(problems, []);
  });
});

describe('shadowgate rollout, spawned', () => {
  it('kill -9 mid-stage, then --resume: every stage has exactly its requests, none lost or doubled', async (t) => {
    const dir = tempDir(t, 'shadowgate-rollout-kill-');
    const slow = profile('steady', { ttft: { fixedMs: 300 }, tpot: { fixedMs: 0 } });
    const b = await startSim(t, slow);
    const c = await startSim(t, slow);
    writeConfig(join(dir, 'exp.json'), simConfigInput(b.url, c.url, { concurrency: 8, stream: false }));
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(100));
    writeFileSync(
      join(dir, 'plan.yaml'),
      'stages: [50, 100]\nminRequestsPerStage: 120\nmaxStageRepeats: 0\nsalt: k\n',
    );
    const dbPath = join(dir, 'r.db');
    const child = runChild(
      [
        'rollout',
        '--config',
        'exp.json',
        '--scenario',
        'prompts.jsonl',
        '--plan',
        'plan.yaml',
        '--db',
        'r.db',
      ],
      dir,
    );
    t.after(() => child.child.kill('SIGKILL'));
    const id = await waitFor(
      () => {
        const db = new Database(dbPath, { readonly: true, fileMustExist: true });
        try {
          const n = db.prepare('SELECT COUNT(*) FROM rollout_requests').pluck().get() as number;
          return n >= 30 ? (db.prepare('SELECT id FROM rollouts').pluck().get() as string) : null;
        } finally {
          db.close();
        }
      },
      20_000,
      child.child,
    );
    child.child.kill('SIGKILL');
    assert.equal((await child.exited).signal, 'SIGKILL');
    const resumed = await cli(dir, 'rollout', '--resume', id, '--db', 'r.db', '--json');
    assert.equal(resumed.code, 0, resumed.stderr);
    // The outcome is the gates' business; what matters here is that the stopped stage finished exactly.
    assert.ok(['completed', 'held'].includes(JSON.parse(resumed.stdout).status), resumed.stdout);
    const db = new Database(dbPath, { readonly: true });
    t.after(() => db.close());
    const stages = db
      .prepare(
        `SELECT s.stage, s.start_seq, s.end_seq, s.requests, COUNT(r.seq) AS n, COUNT(DISTINCT r.seq) AS d,
           SUM(r.routed_arm = 'candidate') AS c
         FROM rollout_stages s JOIN rollout_requests r ON r.rollout_id = s.rollout_id AND r.stage = s.stage
         GROUP BY s.stage ORDER BY s.stage`,
      )
      .all() as {
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
  });
});
