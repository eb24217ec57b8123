import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferSink } from '../../src/cli/io.js';
import {
  formatDuration,
  ProgressBar,
  type ProgressSnapshot,
  renderProgressLine,
  renderProgressStatus,
} from '../../src/cli/progress-bar.js';
import { FakeClock } from '../../src/shared/clock.js';

function snapshot(over: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return {
    done: 50,
    total: 200,
    doneThisSession: 50,
    elapsedMs: 10_000,
    arms: { baseline: { ok: 48, error: 2 }, candidate: { ok: 45, error: 5 } },
    spentUsd: 0.5,
    budgetUsd: null,
    ...over,
  };
}

describe('progress rendering', () => {
  it('shows done/total, the rate, the ETA and errors per arm', () => {
    const text = renderProgressStatus(snapshot());
    assert.match(text, /50\/200/);
    assert.match(text, /5\.0\/s/);
    // 150 left at 5/s = 30 s.
    assert.match(text, /ETA 0:30/);
    assert.match(text, /base 2/);
    assert.match(text, /cand 5/);
    assert.match(text, /\$0\.5000/);
  });

  it('uses only this session for the rate of a resumed run', () => {
    const text = renderProgressStatus(snapshot({ done: 150, doneThisSession: 10, elapsedMs: 10_000 }));
    assert.match(text, /1\.0\/s/);
    assert.match(text, /ETA 0:50/);
  });

  it('formats durations with hours when needed', () => {
    assert.equal(formatDuration(0), '0:00');
    assert.equal(formatDuration(65_000), '1:05');
    assert.equal(formatDuration(3_725_000), '1:02:05');
  });

  it('fits the bar to the terminal width', () => {
    for (const columns of [60, 80, 120]) {
      const line = renderProgressLine(snapshot(), columns);
      assert.ok(line.length < columns, `${line.length} >= ${columns}`);
    }
    assert.match(renderProgressLine(snapshot({ done: 200 }), 120), /^\[#+\]/);
  });
});

describe('ProgressBar', () => {
  it('redraws a terminal line in place at most every 100 ms', async () => {
    const sink = new BufferSink();
    sink.isTTY = true;
    const clock = new FakeClock();
    const bar = new ProgressBar(sink, clock);
    for (let i = 0; i < 50; i++) {
      bar.update(snapshot({ done: i }));
      await clock.advance(10);
    }
    const draws = sink.text.split('\r').length - 1;
    assert.ok(draws >= 4 && draws <= 6, `${draws} draws in 500 ms`);
    bar.finish(snapshot({ done: 200 }));
    assert.ok(sink.text.endsWith('\n'));
    assert.match(sink.text, /200\/200/);
  });

  it('prints plain lines every few seconds when not a terminal', async () => {
    const sink = new BufferSink();
    const clock = new FakeClock();
    const bar = new ProgressBar(sink, clock);
    for (let i = 0; i < 120; i++) {
      bar.update(snapshot({ done: i }));
      await clock.advance(100);
    }
    assert.ok(!sink.text.includes('\r'));
    const lines = sink.text.trim().split('\n');
    // 12 s at one line per 5 s.
    assert.equal(lines.length, 3);
    assert.ok(lines.every((l) => l.startsWith('progress: ')));
  });
});
