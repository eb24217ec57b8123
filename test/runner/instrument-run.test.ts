/**
 * The run measures its own timing error, end to end: real requests to a
 * loopback simulator, the real event-loop instrument, a real SQLite file.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { InstrumentRecord, SampleSource } from '../../src/runner/instrument.js';
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

async function setup(t: TestContext, n: number) {
  const dir = tempDir(t);
  const baseline = await startSim(t, profile('steady', { faultRates: {} }), 1);
  const candidate = await startSim(t, profile('steady', { faultRates: {} }), 2);
  const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(n));
  return { config: simConfig(baseline.url, candidate.url), scenarioPath, dbPath: join(dir, 'run.db') };
}

/** Busy-waits `blockMs` on this thread (the harness's event loop) every `everyMs`, until stopped. */
function blockLoopRepeatedly(blockMs: number, everyMs: number): () => void {
  const timer = setInterval(() => {
    const until = performance.now() + blockMs;
    while (performance.now() < until) {
      // On purpose: the harness's thread is busy, as under SQLite writes or hashing at high load.
    }
  }, everyMs);
  return () => clearInterval(timer);
}

function storedBounds(db: ReturnType<typeof openDb>, runId: string) {
  const run = db.prepare('SELECT instrument_json FROM runs WHERE id = ?').get(runId) as {
    instrument_json: string | null;
  };
  const bounds = db
    .prepare('SELECT timing_error_bound_ms AS b FROM attempts WHERE run_id = ?')
    .pluck()
    .all(runId) as (number | null)[];
  return { record: JSON.parse(run.instrument_json ?? 'null') as InstrumentRecord | null, bounds };
}

describe('the run measures its own timing error', () => {
  it('marks a run saturated when its event loop is blocked while requests are in flight, and warns while it runs', async (t) => {
    const s = await setup(t, 60);
    const warnings: string[] = [];
    const unblock = blockLoopRepeatedly(30, 40);
    let summary: Awaited<ReturnType<typeof runShadow>>;
    try {
      summary = await runShadow(
        { config: s.config, scenarioPath: s.scenarioPath, dbPath: s.dbPath, concurrency: 4, stream: false },
        {
          clock: systemClock,
          env: {},
          onWarning: (line) => warnings.push(line),
          instrument: { sustainMs: 200 },
        },
      );
    } finally {
      unblock();
    }
    assert.equal(summary.status, 'completed');
    const record = summary.instrument;
    assert.ok(record !== null);
    assert.equal(record.saturated, true, JSON.stringify(record));
    assert.ok(record.timing_error_bound_p99_ms >= 20, JSON.stringify(record));
    assert.ok(record.event_loop_delay_max_ms >= 20, JSON.stringify(record));
    assert.equal(record.attempts, 120);
    assert.ok(
      warnings.some((w) => /event loop has been delayed above 5 ms/.test(w) && /--concurrency 2\b/.test(w)),
      warnings.join('\n'),
    );

    const db = openDb(t, s.dbPath);
    const stored = storedBounds(db, summary.run_id);
    assert.deepEqual(stored.record, record);
    assert.equal(stored.bounds.length, 120);
    assert.ok(stored.bounds.every((b) => b !== null && b >= 0));
    assert.ok(stored.bounds.filter((b) => b! >= 20).length >= 2);
  });

  it('does not mark a light run', async (t) => {
    // The loop's real delay on a shared CI machine is whatever the other processes make it, so the
    // quiet loop is played in: every 10 ms a 0.2 ms delay, through the instrument's sample source.
    const s = await setup(t, 30);
    const warnings: string[] = [];
    const quietLoop: SampleSource = (record) => {
      const timer = setInterval(() => record(performance.now(), 0.2), 10);
      record(performance.now(), 0.2);
      return () => clearInterval(timer);
    };
    const summary = await runShadow(
      { config: s.config, scenarioPath: s.scenarioPath, dbPath: s.dbPath, concurrency: 1, stream: false },
      {
        clock: systemClock,
        env: {},
        onWarning: (line) => warnings.push(line),
        instrument: { sampler: quietLoop },
      },
    );
    const record = summary.instrument;
    assert.ok(record !== null);
    assert.equal(record.saturated, false, JSON.stringify(record));
    assert.equal(record.attempts, 60);
    assert.ok(record.timing_error_bound_p99_ms <= 0.2 + 0.01, JSON.stringify(record));
    assert.ok(Math.abs(record.event_loop_delay_p99_ms - 0.2) < 0.01, JSON.stringify(record));
    assert.deepEqual(warnings, []);
    const db = openDb(t, s.dbPath);
    assert.deepEqual(storedBounds(db, summary.run_id).record, record);
  });
});
