import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GateSpec } from '../../src/judge/gates.js';
import { renderHtml } from '../../src/report/render-html.js';
import { renderJson } from '../../src/report/render-json.js';
import { renderMarkdown } from '../../src/report/render-markdown.js';
import { buildShadowReport } from '../../src/report/shadow-model.js';
import type { InstrumentRecord } from '../../src/runner/instrument.js';
import { saveInstrumentJson } from '../../src/store/instrument-store.js';
import { fixtureDb, RUN_ID } from './fixture-db.js';

const GENERATED_AT = '2026-01-06T00:00:00.000Z';

function record(boundP99Ms: number, over: Partial<InstrumentRecord> = {}): InstrumentRecord {
  return {
    event_loop_delay_p50_ms: 0.4,
    event_loop_delay_p99_ms: boundP99Ms * 0.8,
    event_loop_delay_max_ms: boundP99Ms * 2,
    attempts: 14,
    timing_error_bound_p50_ms: 0.5,
    timing_error_bound_p99_ms: boundP99Ms,
    timing_error_bound_max_ms: boundP99Ms * 2,
    threshold_ms: 5,
    saturated: boundP99Ms > 5,
    sessions: 1,
    ...over,
  };
}

// The fixture's paired ok prompts differ by +50, -20 and +100 ms: a median delta of 50 ms, well inside 500.
const GATES: GateSpec[] = [
  { name: 'median delay', metric: 'latency.median_delta_ms', op: '<=', threshold: 500, minSamples: 1 },
  { name: 'p95 ratio', metric: 'latency.p95_ratio', op: '<=', threshold: 10, minSamples: 1 },
  { name: 'cost', metric: 'cost.savings_pct', op: '>=', threshold: 0, minSamples: 1 },
];

function report(instrument: InstrumentRecord | null) {
  const db = fixtureDb();
  if (instrument) saveInstrumentJson(db, RUN_ID, JSON.stringify(instrument));
  return buildShadowReport(db, {
    runId: RUN_ID,
    generatedAt: GENERATED_AT,
    gates: GATES,
    bootstrapResamples: 200,
  });
}

describe('the report on the timing error', () => {
  it('says how accurate its timings are and keeps its gates when the harness was not saturated', () => {
    const r = report(record(1.25));
    assert.equal(r.instrument?.timingErrorBoundP99Ms, 1.25);
    assert.equal(r.instrument?.saturated, false);
    assert.deepEqual(
      r.verdict.gates.map((g) => g.status),
      ['pass', 'pass', 'pass'],
    );
    const md = renderMarkdown(r);
    assert.match(md, /Timings accurate to ±1\.3 ms, p99/);
    assert.doesNotMatch(md, /saturated/);
    assert.match(renderHtml(r), /Timings accurate to ±1\.3 ms, p99/);
    const json = JSON.parse(renderJson(r));
    assert.equal(json.instrument.timing_error_bound_p99_ms, 1.25);
    assert.equal(json.instrument.event_loop_delay_p50_ms, 0.4);
    assert.equal(json.instrument.saturated, false);
  });

  it('warns when saturated and makes latency gates within the error inconclusive, leaving the others', () => {
    const r = report(record(600));
    const [median, p95, cost] = r.verdict.gates;
    // 500 ms of tolerance within a 600 ms error: cannot be trusted.
    assert.equal(median!.status, 'inconclusive');
    assert.deepEqual(median!.timingError, { toleranceMs: 500, errorMs: 600, statusWithoutLimit: 'pass' });
    // A tolerance of 9 x the baseline's p95 (several seconds) is beyond the error: still judged.
    assert.equal(p95!.status, 'pass');
    assert.equal(p95!.timingError, undefined);
    assert.equal(cost!.status, 'pass');
    assert.equal(r.verdict.decision, 'hold');
    assert.ok(
      r.verdict.reasons.some((line) => /median delay: inconclusive: its tolerance \(500 ms\)/.test(line)),
    );
    assert.ok(r.verdict.reasons.some((line) => /^finding: the harness was saturated/.test(line)));

    const md = renderMarkdown(r);
    assert.match(md, /> \*\*Warning: the harness was saturated/);
    assert.match(md, /inconclusive: median delay/);
    assert.match(md, /Timings accurate to ±600 ms, p99/);
    const html = renderHtml(r);
    assert.match(html, /<p class="warning" role="alert">Warning: the harness was saturated/);
    const json = JSON.parse(renderJson(r));
    assert.equal(json.instrument.saturated, true);
    assert.equal(json.verdict.gates[0].timing_error.tolerance_ms, 500);
  });

  it('judges as before, and says nothing of accuracy, for a run recorded without an instrument', () => {
    const r = report(null);
    assert.equal(r.instrument, null);
    assert.deepEqual(
      r.verdict.gates.map((g) => g.status),
      ['pass', 'pass', 'pass'],
    );
    assert.doesNotMatch(renderMarkdown(r), /Timings accurate/);
    assert.equal(JSON.parse(renderJson(r)).instrument, null);
  });

  it('reads an unreadable stored record as none', () => {
    const db = fixtureDb();
    saveInstrumentJson(db, RUN_ID, '{not json');
    const r = buildShadowReport(db, {
      runId: RUN_ID,
      generatedAt: GENERATED_AT,
      gates: GATES,
      bootstrapResamples: 200,
    });
    assert.equal(r.instrument, null);
  });

  it('keeps a saturated run gate whose tolerance exceeds the error', () => {
    const r = report(record(100));
    assert.equal(r.instrument?.saturated, true);
    assert.equal(r.verdict.gates[0]!.status, 'pass');
    assert.match(renderMarkdown(r), /none is\./);
  });
});
