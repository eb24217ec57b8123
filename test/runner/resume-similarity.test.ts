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
import { startScriptedServer } from '../providers/scripted-server.js';

interface PairRow {
  prompt_id: string;
  similarity: number | null;
  text: string | null;
  tools: string | null;
  base_text: string | null;
  base_tools: string | null;
}

/**
 * A candidate that answers the first `answerFirst` requests at once and holds
 * the rest unanswered until `release()`; calls `onHeld` with the count held.
 */
async function startHoldingCandidate(t: TestContext, answerFirst: number, onHeld: (n: number) => void) {
  let seen = 0;
  let held = 0;
  let released = false;
  const server = await startScriptedServer((_req, res, body) => {
    const request = JSON.parse(body) as { messages: { content: string }[] };
    if (seen++ >= answerFirst && !released) {
      onHeld(++held);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${seen}`,
        object: 'chat.completion',
        model: 'gpt-4.1',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: `Candidate: ${request.messages.at(-1)?.content}` },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 },
      }),
    );
  });
  t.after(() => server.close());
  return {
    url: server.baseUrl,
    release: () => {
      released = true;
    },
  };
}

/**
 * A run whose candidate answers 4 prompts and then holds its answers; once 4
 * are held and their baselines have had 100 ms to answer (the simulator
 * answers at once), Ctrl-C with no grace: those 4 prompts have their
 * baseline row but not their candidate row, which the resume sends.
 */
async function interruptAndResume(t: TestContext, redact: boolean) {
  const dir = tempDir(t);
  const ac = new AbortController();
  const baseline = await startSim(t, profile('steady'), 1);
  const candidate = await startHoldingCandidate(t, 4, (held) => {
    if (held === 4) setTimeout(() => ac.abort(new Error('SIGINT')), 100);
  });
  const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(16));
  const dbPath = join(dir, 'run.db');
  const config = simConfig(baseline.url, candidate.url, { concurrency: 4, stream: false });
  const deps = (over: Partial<ShadowRunDeps> = {}): ShadowRunDeps => ({
    clock: systemClock,
    env: {},
    ...over,
  });
  const err = await runShadow(
    { config, scenarioPath, dbPath, graceMs: 0, redact },
    deps({ signal: ac.signal }),
  ).catch((e: unknown) => e);
  assert.ok(err instanceof InterruptedError, String(err));
  const runId = /--resume (\S+)/.exec(err.message)![1]!;
  candidate.release();
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
    assert.equal(split.length, 4, 'the interruption split the 4 held pairs');
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
    assert.equal(split.length, 4);
    for (const p of pairs) {
      assert.equal(p.similarity === null, split.includes(p.prompt_id), p.prompt_id);
    }
    assert.deepEqual(warnings, [
      `resume: ${split.length} pair(s) answered across sessions keep similarity NULL: --redact did not store the text it needs`,
    ]);
  });
});
