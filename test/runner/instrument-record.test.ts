import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstrumentRecord } from '../../src/runner/instrument.js';
import { saveInstrument } from '../../src/runner/run-record.js';
import { sqliteRunWriter } from '../../src/store/async-run-store.js';
import { readInstrumentJson, saveInstrumentJson } from '../../src/store/instrument-store.js';
import { openStore } from '../../src/store/open-store.js';
import { RunStore } from '../../src/store/run-store.js';

const session = (boundP99Ms: number, attempts: number): InstrumentRecord => ({
  event_loop_delay_p50_ms: 0.3,
  event_loop_delay_p99_ms: boundP99Ms,
  event_loop_delay_max_ms: boundP99Ms * 3,
  attempts,
  timing_error_bound_p50_ms: 0.4,
  timing_error_bound_p99_ms: boundP99Ms,
  timing_error_bound_max_ms: boundP99Ms * 3,
  threshold_ms: 5,
  saturated: boundP99Ms > 5,
  sessions: 1,
});

describe('saveInstrument', () => {
  it("stores a new run's record, and merges a resumed session's into it (worst figures, attempts summed)", async (t) => {
    const db = openStore(':memory:');
    t.after(() => db.close());
    const store = new RunStore(db);
    const writer = sqliteRunWriter(store);
    store.createRun({
      id: 'r-1',
      kind: 'shadow',
      startedAt: '2026-01-01T00:00:00Z',
      configJson: '{}',
      seed: 1,
    });
    assert.equal(readInstrumentJson(db, 'r-1'), null);

    assert.deepEqual(await saveInstrument(writer, 'r-1', session(1.5, 100)), session(1.5, 100));
    const merged = await saveInstrument(writer, 'r-1', session(8, 20));
    assert.equal(merged.sessions, 2);
    assert.equal(merged.attempts, 120);
    assert.equal(merged.timing_error_bound_p99_ms, 8);
    assert.equal(merged.saturated, true);
    assert.deepEqual(JSON.parse(readInstrumentJson(db, 'r-1')!), merged);

    // A record that no longer reads as one is replaced by this session's, not a failed run.
    saveInstrumentJson(db, 'r-1', '{oops');
    assert.deepEqual(await saveInstrument(writer, 'r-1', session(2, 7)), session(2, 7));
    store.close();
  });
});
