/**
 * Stability of the verdict on the simulator (issue 9): the same degraded
 * candidate on the same scenario reaches the same decision every time, and an
 * A/A never rolls back. Real runs over loopback against the built-in profiles,
 * at latencyScale 0.01, with the default breaker: the replay pauses while it
 * is open, so its evidence is not lost to refusals.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { Decision } from '../../src/judge/gates.js';
import { buildShadowReport } from '../../src/report/shadow-model.js';
import { DEFAULT_RETRY_POLICY } from '../../src/retry/policy.js';
import { runShadow } from '../../src/runner/shadow-run.js';
import { systemClock } from '../../src/shared/clock.js';
import type { BuiltinProfileName } from '../../src/sim/profiles.js';
import { openStore } from '../../src/store/open-store.js';
import {
  makePrompts,
  profile,
  simConfig,
  startSim,
  tempDir,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';

const PROMPTS = 160;
const RUNS = 5;
/** The simulator's time runs 100x faster than real time (latencyScale 0.01). */
const LATENCY_SCALE = 0.01;
/**
 * The default breaker (10 failures in a row, or half the attempts in the
 * window with at least 20), its durations on the simulator's time scale: a
 * 10 s cooldown is 100 ms here, as every delay the simulator injects is.
 */
const BREAKER = {
  ...DEFAULT_RETRY_POLICY.breaker,
  cooldownMs: DEFAULT_RETRY_POLICY.breaker.cooldownMs * LATENCY_SCALE,
  windowMs: DEFAULT_RETRY_POLICY.breaker.windowMs * LATENCY_SCALE,
};
/** Short enough that a `hang` costs little; every honest answer at latencyScale 0.01 takes well under it. */
const TIMEOUT_MS = 500;

interface Outcome {
  decision: Decision;
  refused: number;
  pausedMs: number;
  openings: number;
}

async function runTimes(
  t: TestContext,
  candidateProfile: BuiltinProfileName,
  runs: number,
): Promise<Outcome[]> {
  const dir = tempDir(t);
  const baseline = await startSim(t, profile('openai-like', { latencyScale: LATENCY_SCALE }), 7);
  const candidate = await startSim(t, profile(candidateProfile, { latencyScale: LATENCY_SCALE }), 7);
  const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(PROMPTS));
  const dbPath = join(dir, 'run.db');
  const config = simConfig(baseline.url, candidate.url, {
    concurrency: 16,
    stream: true,
    retry: {
      maxAttempts: 4,
      attemptTimeoutMs: TIMEOUT_MS,
      headersTimeoutMs: TIMEOUT_MS,
      bodyTimeoutMs: TIMEOUT_MS,
      breaker: BREAKER,
    },
  });
  for (const p of [config.providers.baseline, config.providers.candidate]) {
    for (const m of Object.values(p.models)) m.timeoutMs = TIMEOUT_MS;
  }
  const outcomes: Outcome[] = [];
  for (let i = 0; i < runs; i++) {
    const summary = await runShadow(
      { config, scenarioPath, dbPath, seed: 1 },
      { clock: systemClock, env: {} },
    );
    const db = openStore(dbPath);
    try {
      const report = buildShadowReport(db, {
        runId: summary.run_id,
        generatedAt: '2026-12-01T00:00:00.000Z',
      });
      outcomes.push({
        decision: report.verdict.decision,
        refused: report.arms.candidate!.refused,
        pausedMs: report.breaker.pausedMs,
        openings: report.breaker.openings.candidate.count,
      });
    } finally {
      db.close();
    }
  }
  return outcomes;
}

describe('the verdict on the simulator', () => {
  it('rolls back flaky against openai-like five times in five on the same scenario', async (t) => {
    const outcomes = await runTimes(t, 'flaky', RUNS);
    t.diagnostic(JSON.stringify(outcomes));
    assert.deepEqual(
      outcomes.map((o) => o.decision),
      Array(RUNS).fill('rollback'),
      JSON.stringify(outcomes),
    );
  });

  it('never rolls back an A/A (openai-like, the same seed on both arms)', async (t) => {
    const outcomes = await runTimes(t, 'openai-like', 3);
    t.diagnostic(JSON.stringify(outcomes));
    for (const o of outcomes) assert.notEqual(o.decision, 'rollback', JSON.stringify(outcomes));
  });
});
