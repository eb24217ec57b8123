import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BufferSink, type CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import type { SimServer } from '../../src/sim/server.js';
import { runChild, waitFor } from '../helpers/child-process.js';
import {
  makePrompts,
  openDb,
  profile,
  simConfigInput,
  startSim,
  tempDir,
  writeConfig,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';

/** The prices simConfigInput gives gpt-4.1 on each side, USD per million tokens. */
const PRICES = { baseline: { input: 2, output: 8 }, candidate: { input: 0.8, output: 3.2 } };

/** What the simulators served, priced as configured: the money really spent. */
function servedUsd(baseline: SimServer, candidate: SimServer): number {
  const b = baseline.servedTokens();
  const c = candidate.servedTokens();
  return (
    (b.inputTokens * PRICES.baseline.input +
      b.outputTokens * PRICES.baseline.output +
      c.inputTokens * PRICES.candidate.input +
      c.outputTokens * PRICES.candidate.output) /
    1e6
  );
}

describe('the USD budget under faults and kill -9', () => {
  it('spawned: a run with stalls, cutoffs and hangs, killed with kill -9 and resumed, never spends more than --budget-usd', async (t) => {
    const dir = tempDir(t);
    const faulty = profile('openai-like', {
      latencyScale: 0.05,
      faultRates: { stall: 0.06, cutoff: 0.06, hang: 0.03, '503': 0.03, reset: 0.02 },
    });
    const baseline = await startSim(t, faulty, 1);
    const candidate = await startSim(t, faulty, 2);
    const config = simConfigInput(baseline.url, candidate.url, { stream: true, retry: { maxAttempts: 3 } });
    for (const side of ['baseline', 'candidate'] as const) {
      const providers = config.providers as Record<string, { models: Record<string, { timeoutMs: number }> }>;
      providers[side]!.models['gpt-4.1']!.timeoutMs = 400;
    }
    writeConfig(join(dir, 'exp.json'), config);
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(400));
    const budgetUsd = 0.06;
    const dbPath = join(dir, 'budget.db');
    const r = runChild(
      [
        'run',
        '--config',
        'exp.json',
        '--scenario',
        'prompts.jsonl',
        '--db',
        'budget.db',
        '--concurrency',
        '4',
        '--budget-usd',
        String(budgetUsd),
      ],
      dir,
    );
    t.after(() => r.child.kill('SIGKILL'));
    const runId = await waitFor(
      () => {
        const db = new Database(dbPath, { readonly: true, fileMustExist: true });
        try {
          const run = db.prepare('SELECT id FROM runs').get() as { id: string } | undefined;
          const n = db.prepare('SELECT COUNT(*) FROM requests').pluck().get() as number;
          return run && n >= 40 ? run.id : null;
        } finally {
          db.close();
        }
      },
      30_000,
      r.child,
    );
    r.child.kill('SIGKILL');
    assert.equal((await r.exited).signal, 'SIGKILL');

    const killed = openDb(t, dbPath);
    const atKill = killed
      .prepare('SELECT status, spent_usd, reserved_usd FROM runs WHERE id = ?')
      .get(runId) as {
      status: string;
      spent_usd: number;
      reserved_usd: number;
    };
    assert.equal(atKill.status, 'running');
    assert.ok(atKill.spent_usd < budgetUsd, 'killed before the budget ran out');
    // Attempts in flight at the kill had their worst case on disk before they were sent.
    assert.ok(atKill.reserved_usd > 0, `reserved at the kill: ${atKill.reserved_usd}`);
    // The session's buffered rows are lost; what they cost is not.
    assert.ok(atKill.spent_usd + atKill.reserved_usd >= servedUsd(baseline, candidate) - 1e-9);

    const io: CliIo & { stdout: BufferSink; stderr: BufferSink } = {
      stdout: new BufferSink(),
      stderr: new BufferSink(),
      env: {},
      cwd: dir,
    };
    const code = await runCli(['run', '--resume', runId, '--db', 'budget.db', '--json'], io);
    assert.equal(code, 0, io.stderr.text);
    assert.match(io.stderr.text, /resume: booked \$[\d.]+ as spent: reserved for attempts/);
    const summary = JSON.parse(io.stdout.text) as { status: string; spent_usd: number };
    assert.equal(summary.status, 'budget_exhausted');

    const truthUsd = servedUsd(baseline, candidate);
    t.diagnostic(
      `at the kill: spent ${atKill.spent_usd}, reserved ${atKill.reserved_usd}; after the resume: booked ${summary.spent_usd}, served ${truthUsd}, budget ${budgetUsd}`,
    );
    assert.ok(truthUsd <= budgetUsd, `served ${truthUsd} USD against a ${budgetUsd} USD budget`);
    assert.ok(summary.spent_usd <= budgetUsd, `booked ${summary.spent_usd}`);
    // Never undercounted: what the run booked covers what the servers served.
    assert.ok(summary.spent_usd >= truthUsd - 1e-9, `booked ${summary.spent_usd} < served ${truthUsd}`);

    const db = openDb(t, dbPath);
    const after = db.prepare('SELECT reserved_usd FROM runs WHERE id = ?').pluck().get(runId) as number;
    assert.ok(Math.abs(after) < 1e-9, 'a finished session leaves nothing reserved');
    const estimated = db
      .prepare('SELECT COUNT(*) FROM attempts WHERE run_id = ? AND cost_estimated = 1 AND cost_usd > 0')
      .pluck()
      .get(runId) as number;
    assert.ok(estimated > 0, 'timeouts and broken streams were booked at an estimate');
  });
});
