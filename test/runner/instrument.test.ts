import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type InstrumentRecord,
  mergeRecords,
  RunInstrument,
  sustainedDelayWarning,
} from '../../src/runner/instrument.js';

/** An instrument on a hand-moved clock, no timers: samples come from the test. */
function offline(over: { thresholdMs?: number; onSustainedDelay?: (d: number, f: number) => void } = {}) {
  let t = 1000;
  const instrument = new RunInstrument({ now: () => t, sampler: null, sampleIntervalMs: 10, ...over });
  return {
    instrument,
    at(ms: number) {
      t = ms;
    },
  };
}

describe('RunInstrument', () => {
  it('bounds an attempt by the loop delay sampled at its readings: start, headers and tokens, end', () => {
    const { instrument, at } = offline();
    instrument.recordSample(1000, 40); // long before the attempt
    instrument.recordSample(1099, 30); // a stall that ended just before it started: it delayed the send and the start reading alike
    instrument.recordSample(1101, 3); // the first firing after the start
    instrument.recordSample(1150, 7); // a stall in the middle
    instrument.recordSample(1190, 0.5);
    at(1200);
    assert.equal(instrument.attemptBoundMs(100), 3, 'the stall at 1150 touched no reading');
    assert.equal(instrument.attemptBoundMs(100, [50]), 7, 'a first token read at 1150 was late by it');
    assert.equal(instrument.attemptBoundMs(100, [45, null]), 7, 'so was one read just before its firing');
    assert.equal(instrument.attemptBoundMs(100, [20]), 3, 'one read at 1120 was not');
    // A short attempt at the end sees only the last samples.
    assert.equal(instrument.attemptBoundMs(15), 0.5);
    assert.equal(instrument.attemptBoundMs(5), 0.5, 'the firing just before its end');
    at(1250);
    assert.equal(instrument.attemptBoundMs(5), 0, 'no firing near any reading');
  });

  it('a stall at any one reading bounds the attempt, however long the attempt is', () => {
    const { instrument, at } = offline();
    for (let t = 1000; t < 3000; t += 10) instrument.recordSample(t, t === 2500 ? 60 : 0.2);
    at(3000);
    assert.equal(instrument.attemptBoundMs(2000), 0.2, 'the stall at 2500 was between readings');
    assert.equal(instrument.attemptBoundMs(2000, [1500]), 60, 'the headers were read at 2500');
    assert.equal(
      instrument.attemptBoundMs(505),
      60,
      'the start was read at 2495, the stall after it delayed the send',
    );
  });

  it('counts a stall still in progress when the attempt ends: the sampling timer is overdue', () => {
    const { instrument, at } = offline();
    at(1000);
    assert.equal(instrument.attemptBoundMs(50), 0, 'no sample yet, nothing known');
    instrument.recordSample(1000, 0.5, 1010);
    at(1008);
    assert.equal(instrument.attemptBoundMs(20), 0.5);
    at(1035); // 25 ms overdue: the loop has been stuck since 1010
    assert.equal(instrument.attemptBoundMs(40), 25);
  });

  it('is not saturated when the bound p99 is at or under the threshold, saturated above it', () => {
    const light = offline();
    for (let i = 0; i < 200; i++) {
      light.instrument.recordSample(1000 + i * 10, 1);
      light.at(1000 + i * 10 + 1);
      light.instrument.attemptBoundMs(5);
    }
    const lightRecord = light.instrument.record();
    assert.equal(lightRecord.saturated, false);
    assert.equal(lightRecord.attempts, 200);
    assert.ok(Math.abs(lightRecord.timing_error_bound_p99_ms - 1) < 0.01);
    assert.ok(Math.abs(lightRecord.event_loop_delay_p99_ms - 1) < 0.01);

    const busy = offline();
    for (let i = 0; i < 200; i++) {
      // One attempt in ten sees a 20 ms stall: p99 is the stall.
      busy.instrument.recordSample(1000 + i * 30, i % 10 === 0 ? 20 : 1);
      busy.at(1000 + i * 30 + 1);
      busy.instrument.attemptBoundMs(5);
    }
    const busyRecord = busy.instrument.record();
    assert.equal(busyRecord.saturated, true);
    assert.ok(busyRecord.timing_error_bound_p99_ms > 19.9);
    assert.ok(busyRecord.timing_error_bound_max_ms > 19.9);
    assert.equal(busyRecord.threshold_ms, 5);
  });

  it('takes its threshold from the options', () => {
    const { instrument, at } = offline({ thresholdMs: 50 });
    instrument.recordSample(1000, 20);
    at(1001);
    instrument.attemptBoundMs(5);
    const r = instrument.record();
    assert.equal(r.saturated, false);
    assert.equal(r.threshold_ms, 50);
  });

  it('warns once the median delay over the window is above the threshold, then stays quiet for a while', () => {
    const warnings: [number, number][] = [];
    const { instrument } = offline({ onSustainedDelay: (d, w) => warnings.push([d, w]) });
    // 2 s of a saturated loop: the 3 s window is not full yet.
    let t = 1000;
    for (; t < 3000; t += 18) instrument.recordSample(t, 8);
    assert.equal(warnings.length, 0);
    // Two samples in three above the threshold, the third quiet: the median is above.
    for (let i = 0; t < 5000; t += 18, i++) instrument.recordSample(t, i % 3 === 2 ? 0.5 : 8);
    assert.equal(warnings.length, 1);
    assert.deepEqual(warnings[0], [8, 3000]);
    // Still above: no second warning within ten windows.
    for (; t < 20_000; t += 18) instrument.recordSample(t, 8);
    assert.equal(warnings.length, 1);
    for (; t < 40_000; t += 18) instrument.recordSample(t, 8);
    assert.equal(warnings.length, 2);
  });

  it('does not warn for stalls that leave the median under the threshold', () => {
    const warnings: number[] = [];
    const { instrument } = offline({ onSustainedDelay: (d) => warnings.push(d) });
    // A 50 ms stall every 200 ms: bad for the bound, but most of the time the loop is quiet.
    for (let i = 0, t = 1000; t < 20_000; t += 20, i++) instrument.recordSample(t, i % 10 === 0 ? 50 : 0.5);
    assert.deepEqual(warnings, []);
  });
});

describe('sustainedDelayWarning', () => {
  it('names the delay and suggests half the concurrency', () => {
    const line = sustainedDelayWarning(12.3456, 3000, 5, 64);
    assert.match(line, /delayed above 5 ms \(median 12\.346 ms over the last 3\.0 s\)/);
    assert.match(line, /--concurrency \(now 64, e\.g\. --concurrency 32\)/);
  });
});

describe('mergeRecords', () => {
  const base: InstrumentRecord = {
    event_loop_delay_p50_ms: 1,
    event_loop_delay_p99_ms: 3,
    event_loop_delay_max_ms: 9,
    attempts: 100,
    timing_error_bound_p50_ms: 1,
    timing_error_bound_p99_ms: 4,
    timing_error_bound_max_ms: 9,
    threshold_ms: 5,
    saturated: false,
    sessions: 1,
  };

  it('keeps the worst figure of each session and adds up attempts and sessions', () => {
    const merged = mergeRecords(base, {
      ...base,
      timing_error_bound_p99_ms: 6,
      saturated: true,
      attempts: 5,
    });
    assert.equal(merged.timing_error_bound_p99_ms, 6);
    assert.equal(merged.saturated, true);
    assert.equal(merged.attempts, 105);
    assert.equal(merged.sessions, 2);
    assert.deepEqual(mergeRecords(null, base), base);
  });
});
