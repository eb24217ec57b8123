import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { comparedAnswer, pairSimilarity } from '../../src/runner/pair-similarity.js';
import { runShadow, type ShadowRunDeps } from '../../src/runner/shadow-run.js';
import { systemClock } from '../../src/shared/clock.js';
import { InterruptedError } from '../../src/shared/errors.js';
import {
  makePrompts,
  openDb,
  profile,
  simConfig,
  startSim,
  tempDir,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';

interface PairRow {
  prompt_id: string;
  similarity: number | null;
  text: string | null;
  tools: string | null;
  base_text: string | null;
  base_tools: string | null;
}

/**
 * A run whose baseline answers at once and whose candidate takes 150 ms, cut
 * by Ctrl-C with no grace after 4 prompts: the prompts in flight then have
 * their baseline row but not their candidate row, which the resume sends.
 */
async function interruptAndResume(t: TestContext, redact: boolean) {
  const dir = tempDir(t);
  const baseline = await startSim(t, profile('steady'), 1);
  const candidate = await startSim(t, profile('steady', { ttft: { fixedMs: 150 }, latencyScale: 1 }), 2);
  const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(16));
  const dbPath = join(dir, 'run.db');
  const config = simConfig(baseline.url, candidate.url, { concurrency: 4, stream: false });
  const ac = new AbortController();
  const deps = (over: Partial<ShadowRunDeps> = {}): ShadowRunDeps => ({
    clock: systemClock,
    env: {},
    ...over,
  });
  const err = await runShadow(
    { config, scenarioPath, dbPath, graceMs: 0, redact },
    deps({
      signal: ac.signal,
      onProgress: (p) => {
        if (p.done >= 4) ac.abort(new Error('SIGINT'));
      },
    }),
  ).catch((e: unknown) => e);
  assert.ok(err instanceof InterruptedError, String(err));
  const runId = /--resume (\S+)/.exec(err.message)![1]!;
  const split = (() => {
    const db = openDb(t, dbPath);
    return (
      db
        .prepare(
          `SELECT prompt_id FROM requests b WHERE run_id = ? AND arm = 'baseline' AND NOT EXISTS
           (SELECT 1 FROM requests c WHERE c.run_id = b.run_id AND c.prompt_id = b.prompt_id AND c.arm = 'candidate')`,
        )
        .all(runId) as { prompt_id: string }[]
    ).map((r) => r.prompt_id);
  })();
  const warnings: string[] = [];
  const summary = await runShadow(
    { config, dbPath, resume: runId },
    deps({ onWarning: (w) => (w.includes('similarity') ? warnings.push(w) : 0) }),
  );
  assert.equal(summary.status, 'completed');
  const pairs = openDb(t, dbPath)
    .prepare(
      `SELECT c.prompt_id, c.similarity, c.output_text AS text, c.tool_calls_json AS tools,
              b.output_text AS base_text, b.tool_calls_json AS base_tools
       FROM requests c JOIN requests b ON b.run_id = c.run_id AND b.prompt_id = c.prompt_id AND b.arm = 'baseline'
       WHERE c.run_id = ? AND c.arm = 'candidate' AND c.outcome = 'ok' AND b.outcome = 'ok'`,
    )
    .all(runId) as PairRow[];
  assert.equal(pairs.length, 16);
  return { split, pairs, warnings };
}

describe('similarity of pairs split by an interruption and a resume', () => {
  it('is computed at the end of the resumed session, as the in-memory comparison would have', async (t) => {
    const { split, pairs, warnings } = await interruptAndResume(t, false);
    assert.ok(split.length > 0, 'the interruption split some pairs');
    for (const p of pairs) {
      assert.notEqual(p.similarity, null, `${p.prompt_id} (split: ${split.includes(p.prompt_id)})`);
      const expected = pairSimilarity(
        comparedAnswer(p.base_text!, p.base_tools),
        comparedAnswer(p.text!, p.tools),
      );
      assert.equal(p.similarity, expected, p.prompt_id);
    }
    assert.ok(
      pairs.some((p) => p.similarity! < 1),
      'the two simulators answer differently',
    );
    assert.deepEqual(warnings, []);
  });

  it('stays NULL under --redact for split pairs only, and the resume says why', async (t) => {
    const { split, pairs, warnings } = await interruptAndResume(t, true);
    assert.ok(split.length > 0);
    for (const p of pairs) {
      assert.equal(p.similarity === null, split.includes(p.prompt_id), p.prompt_id);
    }
    assert.deepEqual(warnings, [
      `resume: ${split.length} pair(s) answered across sessions keep similarity NULL: --redact did not store the text it needs`,
    ]);
  });
});
