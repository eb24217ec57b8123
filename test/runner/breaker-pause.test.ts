import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { CircuitBreaker } from '../../src/retry/circuit-breaker.js';
import { DEFAULT_RETRY_POLICY } from '../../src/retry/policy.js';
import { BreakerLog } from '../../src/runner/breaker-log.js';
import { BreakerPause, type PauseGate } from '../../src/runner/breaker-pause.js';
import { runShadow } from '../../src/runner/shadow-run.js';
import { FakeClock, systemClock } from '../../src/shared/clock.js';
import { InterruptedError } from '../../src/shared/errors.js';
import {
  finalRowCounts,
  makePrompts,
  openDb,
  profile,
  simConfig,
  startSim,
  tempDir,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';
import { startScriptedServer } from '../providers/scripted-server.js';

const breakerPolicy = {
  ...DEFAULT_RETRY_POLICY.breaker,
  consecutiveFailures: 2,
  failureRatio: 0,
  cooldownMs: 1_000,
};

/** Settles the gate promise if it is ready after the event loop has turned once. */
async function peek(p: Promise<PauseGate>): Promise<PauseGate | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

function trip(b: CircuitBreaker): void {
  for (let i = 0; i < breakerPolicy.consecutiveFailures; i++) b.onFailure(b.tryPass()!);
}

describe('BreakerPause', () => {
  it('holds dispatch while a breaker is open, sends one probe when it half-opens, goes on once it closes', async () => {
    const clock = new FakeClock();
    const baseline = new CircuitBreaker(breakerPolicy, clock);
    const candidate = new CircuitBreaker(breakerPolicy, clock);
    const pauses: number[] = [];
    const pause = new BreakerPause([baseline, candidate], clock, (ms) => pauses.push(ms));
    const stop = new AbortController();
    assert.equal(await pause.clear(stop.signal), 'go');

    trip(candidate);
    const gate = pause.clear(stop.signal);
    await clock.advance(999);
    assert.equal(await peek(gate), 'pending', 'open: both arms wait');
    await clock.advance(1);
    assert.equal(await gate, 'probe');
    let settleProbe = () => {};
    pause.probing(new Promise<void>((r) => (settleProbe = r)));

    const next = pause.clear(stop.signal);
    assert.equal(await peek(next), 'pending', 'half-open with a probe out: wait for it');
    const trial = candidate.tryPass()!;
    assert.equal(await peek(next), 'pending', 'the trial is in flight');
    candidate.onSuccess(trial);
    assert.equal(await next, 'go', 'closed: dispatch goes on');
    settleProbe();
    assert.deepEqual(pauses, [1_000, 0]);
    assert.equal(pause.pausedMs, 1_000);
    pause.dispose();
  });

  it('a failed trial means another cooldown; a probe that settles without taking the trial lets another go', async () => {
    const clock = new FakeClock();
    const candidate = new CircuitBreaker(breakerPolicy, clock);
    const pause = new BreakerPause([candidate], clock);
    const stop = new AbortController();
    trip(candidate);
    const first = pause.clear(stop.signal);
    await clock.advance(1_000);
    assert.equal(await first, 'probe');
    let settle = () => {};
    pause.probing(new Promise<void>((r) => (settle = r)));
    const second = pause.clear(stop.signal);
    settle();
    assert.equal(await second, 'probe', 'the probe never reached this breaker: another goes');
    pause.probing(Promise.resolve());
    candidate.onFailure(candidate.tryPass()!);
    const third = pause.clear(stop.signal);
    await clock.advance(999);
    assert.equal(await peek(third), 'pending');
    await clock.advance(1);
    assert.equal(await third, 'probe');
    pause.dispose();
  });

  it('the stop signal ends a pause at once', async () => {
    const clock = new FakeClock();
    const candidate = new CircuitBreaker(breakerPolicy, clock);
    const pause = new BreakerPause([candidate], clock);
    const stop = new AbortController();
    trip(candidate);
    const gate = pause.clear(stop.signal);
    await clock.advance(300);
    stop.abort(new Error('SIGINT'));
    assert.equal(await gate, 'stopped');
    assert.equal(pause.pausedMs, 300);
    assert.equal(clock.pendingSleeps, 0, 'no timer left behind');
  });
});

describe('BreakerLog', () => {
  it('records whole milliseconds when the monotonic clock reads fractions', async () => {
    // At this reading, (t + 150) - t is 150.00000000000728 in floating point.
    const clock = new FakeClock(65507.24987983307);
    const candidate = new CircuitBreaker({ ...breakerPolicy, cooldownMs: 150 }, clock);
    const baseline = new CircuitBreaker(breakerPolicy, clock);
    const halfOpen: { openMs: number; at: string }[] = [];
    const pauses: number[] = [];
    const log = new BreakerLog(
      'r1',
      { baseline, candidate },
      {
        insertBreakerEvent: () => {},
        setBreakerHalfOpen: (_run, _arm, _seq, at, openMs) => {
          halfOpen.push({ openMs, at });
        },
      },
      clock,
      { baseline: 0, candidate: 0 },
    );
    const pause = new BreakerPause([baseline, candidate], clock, (ms) => pauses.push(ms));
    trip(candidate);
    const gate = pause.clear(new AbortController().signal);
    await clock.advance(150);
    assert.equal(await gate, 'probe');
    log.dispose();
    assert.deepEqual(
      halfOpen.map((h) => h.openMs),
      [150],
    );
    assert.deepEqual(pauses, [150]);
    assert.ok(Number.isInteger(pause.pausedMs));
  });
});

/** A candidate that answers 503 to its first `failFirst` requests (Infinity: to all), then answers ok. */
async function startFailingCandidate(t: TestContext, failFirst: number) {
  let seen = 0;
  const server = await startScriptedServer((_req, res) => {
    if (seen++ < failFirst) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${seen}`,
        object: 'chat.completion',
        model: 'gpt-4.1',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Open settings.' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 20, completion_tokens: 3, total_tokens: 23 },
      }),
    );
  });
  t.after(() => server.close());
  return server;
}

interface BreakerEventView {
  arm: string;
  seq: number;
  opened_at: string;
  half_open_at: string | null;
  open_ms: number | null;
}

describe('runShadow with an open breaker', () => {
  it('pauses dispatch until the breaker half-opens, then sends every prompt to both arms', async (t) => {
    const dir = tempDir(t);
    const baseline = await startSim(t, profile('steady'), 1);
    const candidate = await startFailingCandidate(t, 4);
    const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(30));
    const dbPath = join(dir, 'run.db');
    const config = simConfig(baseline.url, candidate.baseUrl, {
      concurrency: 2,
      stream: false,
      retry: { breaker: { consecutiveFailures: 3, failureRatio: 0, cooldownMs: 150 } },
    });
    const summary = await runShadow({ config, scenarioPath, dbPath }, { clock: systemClock, env: {} });
    assert.equal(summary.status, 'completed');
    const db = openDb(t, dbPath);
    const counts = finalRowCounts(db, summary.run_id);
    assert.equal(counts.size, 60, 'both final rows for every prompt');
    assert.ok([...counts.values()].every((n) => n === 1));

    const events = db
      .prepare('SELECT * FROM breaker_events WHERE run_id = ?')
      .all(summary.run_id) as BreakerEventView[];
    assert.equal(events.length, 1, JSON.stringify(events));
    const [opened] = events;
    assert.equal(opened!.arm, 'candidate');
    assert.equal(opened!.seq, 1);
    assert.equal(opened!.open_ms, 150);
    assert.equal(Date.parse(opened!.half_open_at!) - Date.parse(opened!.opened_at), 150);
    const pausedMs = db
      .prepare('SELECT paused_ms FROM runs WHERE id = ?')
      .pluck()
      .get(summary.run_id) as number;
    assert.ok(pausedMs >= 100 && pausedMs < 1_000, `paused ${pausedMs} ms`);
    assert.equal(summary.paused_ms, pausedMs, 'the --json summary carries the pause');

    const refused = db
      .prepare(`SELECT prompt_id, started_at FROM requests WHERE run_id = ? AND error_class = 'circuit_open'`)
      .all(summary.run_id) as { prompt_id: string; started_at: string }[];
    assert.ok(refused.length <= 2, 'only the prompts in flight when it opened');
    for (const r of refused) {
      assert.ok(r.started_at <= opened!.opened_at, `${r.prompt_id} was dispatched after the pause began`);
    }
    const ok = db
      .prepare(`SELECT COUNT(*) FROM requests WHERE run_id = ? AND arm = 'candidate' AND outcome = 'ok'`)
      .pluck()
      .get(summary.run_id) as number;
    assert.equal(ok, 30 - refused.length);
  });

  it('Ctrl-C during a pause stops the run at once; the pause and the opening are recorded', async (t) => {
    const dir = tempDir(t);
    const baseline = await startSim(t, profile('steady'), 1);
    const candidate = await startFailingCandidate(t, Number.POSITIVE_INFINITY);
    const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(30));
    const dbPath = join(dir, 'run.db');
    const config = simConfig(baseline.url, candidate.baseUrl, {
      concurrency: 2,
      stream: false,
      retry: { breaker: { consecutiveFailures: 3, failureRatio: 0, cooldownMs: 60_000 } },
    });
    const ac = new AbortController();
    let abortedAt = 0;
    const poll = setInterval(() => {
      if (candidate.requests.length >= 3 && abortedAt === 0) {
        abortedAt = performance.now() + 100;
        setTimeout(() => ac.abort(new Error('SIGINT')), 100);
      }
    }, 5);
    t.after(() => clearInterval(poll));
    const err = await runShadow(
      { config, scenarioPath, dbPath },
      { clock: systemClock, env: {}, signal: ac.signal },
    ).catch((e: unknown) => e);
    const stoppedAfterMs = performance.now() - abortedAt;
    assert.ok(err instanceof InterruptedError, String(err));
    assert.ok(stoppedAfterMs < 1_000, `stopped ${stoppedAfterMs} ms after Ctrl-C`);
    const runId = /--resume (\S+)/.exec(err.message)![1]!;
    const db = openDb(t, dbPath);
    const run = db.prepare('SELECT status, paused_ms FROM runs WHERE id = ?').get(runId) as {
      status: string;
      paused_ms: number;
    };
    assert.equal(run.status, 'interrupted');
    assert.ok(run.paused_ms >= 50 && run.paused_ms < 1_000, `paused ${run.paused_ms} ms`);
    const events = db
      .prepare('SELECT * FROM breaker_events WHERE run_id = ?')
      .all(runId) as BreakerEventView[];
    assert.equal(events.length, 1);
    assert.equal(events[0]!.half_open_at, null, 'the session ended before the cooldown');
    assert.equal(events[0]!.open_ms, null);
    const prompts = db.prepare('SELECT COUNT(*) FROM prompts WHERE run_id = ?').pluck().get(runId) as number;
    assert.ok(prompts <= 3, `${prompts} prompts dispatched: nothing went while the breaker was open`);
  });
});
