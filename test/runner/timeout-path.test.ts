/**
 * The production timeout path, end to end: runShadow -> executeArm ->
 * executeWithRetry, whose attempt timer aborts the request's signal at the
 * total deadline (signalEnforcesTotal), against real sockets that hang,
 * stall after the headers, and drip a byte at a time forever (each chunk
 * arriving inside the body timeout, so only the total deadline can end it).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runShadow } from '../../src/runner/shadow-run.js';
import { systemClock } from '../../src/shared/clock.js';
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

const DEADLINE_MS = 400;

describe('the timeout path the runner uses, against real sockets', () => {
  it('hang, stall and drip each end at the attempt deadline as timeout_total, and are retried', async (t) => {
    const dir = tempDir(t, 'shadowgate-timeouts-');
    const baseline = await startSim(t, profile('steady', { ttft: { fixedMs: 1 }, tpot: { fixedMs: 0 } }));
    const timers = new Set<NodeJS.Timeout>();
    const candidate = await startScriptedServer((_req, res, body) => {
      const mode = /"content":"(hang|stall|drip)/.exec(body)?.[1];
      if (mode === 'hang') return; // never a byte
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      if (mode === 'stall') return; // headers, then nothing
      const drip = setInterval(() => res.write(': still here\n'), 30);
      timers.add(drip);
      res.on('close', () => clearInterval(drip));
    });
    t.after(async () => {
      for (const timer of timers) clearInterval(timer);
      await candidate.close();
    });
    const prompts = makePrompts(3).map((p, i) => ({
      ...p,
      messages: [{ role: 'user', content: ['hang', 'stall', 'drip'][i] }],
    }));
    const config = simConfig(baseline.url, candidate.baseUrl, {
      stream: true,
      concurrency: 3,
      retry: {
        maxAttempts: 2,
        attemptTimeoutMs: DEADLINE_MS,
        headersTimeoutMs: 10_000,
        bodyTimeoutMs: 10_000,
      },
    });
    for (const m of Object.values(config.providers.candidate.models)) delete m.timeoutMs;
    const dbPath = join(dir, 't.db');
    const started = performance.now();
    const summary = await runShadow(
      { config, scenarioPath: writeJsonl(join(dir, 'p.jsonl'), prompts), dbPath },
      { clock: systemClock, env: {} },
    );
    const elapsed = performance.now() - started;
    assert.equal(summary.arms.candidate.error, 3);
    const db = openDb(t, dbPath);
    const attempts = db
      .prepare(
        `SELECT prompt_id, attempt, error_class, duration_ms FROM attempts WHERE arm = 'candidate' ORDER BY prompt_id, attempt`,
      )
      .all() as { prompt_id: string; attempt: number; error_class: string; duration_ms: number }[];
    assert.equal(attempts.length, 6, 'two attempts each');
    for (const a of attempts) {
      assert.equal(a.error_class, 'timeout_total', JSON.stringify(a));
      // The deadline, not the 10 s phase timeouts, ended it: within timer slack of 400 ms.
      assert.ok(a.duration_ms >= DEADLINE_MS - 5 && a.duration_ms < DEADLINE_MS + 600, JSON.stringify(a));
    }
    assert.ok(elapsed < 6000, `the run took ${elapsed} ms`);
    // The server saw each attempt, and the sockets were closed, not left hanging.
    assert.equal(candidate.requests.length, 6);
  });
});
