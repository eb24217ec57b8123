import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pacer } from '../../src/runner/pacer.js';
import { FakeClock } from '../../src/shared/clock.js';

/** Lets pending promise callbacks and setImmediate-scheduled work run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** Starts a dispatcher that acquires `n` starts in order and records when each got through. */
function dispatch(pacer: Pacer, clock: FakeClock, stamps: (number | null)[], signal?: AbortSignal) {
  const startedAt: number[] = [];
  const done = (async () => {
    for (const stamp of stamps) {
      await pacer.acquire(stamp, signal);
      startedAt.push(clock.monotonic());
    }
  })();
  return { startedAt, done };
}

describe('Pacer', () => {
  it('caps prompts in flight and hands a freed slot to the waiting dispatcher', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ concurrency: 2 }, clock);
    const run = dispatch(pacer, clock, [null, null, null, null]);
    await settle();
    assert.equal(run.startedAt.length, 2);
    assert.equal(pacer.inFlight, 2);
    pacer.release();
    await settle();
    assert.equal(run.startedAt.length, 3);
    pacer.release();
    await run.done;
    assert.equal(run.startedAt.length, 4);
    assert.equal(pacer.inFlight, 2);
  });

  it('spaces starts by 1/rps once the burst is spent', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ concurrency: 1000, rps: 10, burst: 1 }, clock);
    const run = dispatch(pacer, clock, Array(25).fill(null));
    for (let i = 0; i < 30 && run.startedAt.length < 25; i++) {
      await settle();
      await clock.advance(100);
    }
    await run.done;
    const gaps = run.startedAt.slice(1).map((t, i) => t - run.startedAt[i]!);
    assert.ok(
      gaps.every((g) => g >= 100 - 1e-9),
      `gaps ${gaps}`,
    );
    // 25 starts at 10/s take 2.4 s of clock time.
    assert.ok(run.startedAt.at(-1)! - run.startedAt[0]! >= 2400 - 1e-9);
  });

  it('lets a burst through at once, then holds the long-run rate', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ concurrency: 1000, rps: 100, burst: 5 }, clock);
    const run = dispatch(pacer, clock, Array(105).fill(null));
    await settle();
    assert.equal(run.startedAt.length, 5, 'burst of 5 starts immediately');
    await clock.advance(1000);
    await settle();
    // Over one second: the burst plus 100/s, never more.
    assert.ok(run.startedAt.length <= 105 && run.startedAt.length >= 100, `${run.startedAt.length}`);
    const inFirstSecond = run.startedAt.filter((t) => t <= 1000).length;
    assert.ok(inFirstSecond <= 5 + 100, `${inFirstSecond}`);
  });

  it('replays recorded spacing divided by speed, anchored at the first timestamp', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ concurrency: 100, pace: 'recorded', speed: 2 }, clock);
    const t0 = 1_700_000_000_000;
    const stamps = [t0, t0 + 1000, t0 + 1000, t0 + 5000, t0 - 3000, null];
    const run = dispatch(pacer, clock, stamps);
    for (let i = 0; i < 40; i++) {
      await settle();
      await clock.advance(100);
    }
    await run.done;
    // Recorded offsets 0, 1 s, 1 s, 5 s at speed 2 -> 0, 0.5, 0.5, 2.5 s; an earlier stamp and no stamp go at once.
    assert.deepEqual(run.startedAt, [0, 500, 500, 2500, 2500, 2500]);
  });

  it('a pause shifts recorded pacing: the prompts after it keep their spacing', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ concurrency: 100, pace: 'recorded' }, clock);
    const t0 = 1_700_000_000_000;
    await pacer.acquire(t0);
    await clock.advance(3000);
    pacer.delayBy(3000);
    const next = pacer.acquire(t0 + 1000);
    let started = -1;
    void next.then(() => (started = clock.monotonic()));
    await clock.advance(999);
    await settle();
    assert.equal(started, -1, 'not before its recorded spacing after the pause');
    await clock.advance(1);
    await settle();
    assert.equal(started, 4000);
  });

  it('is cancellable while waiting for a slot or a recorded moment, and then holds no slot', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ concurrency: 1, pace: 'recorded' }, clock);
    const ac = new AbortController();
    await pacer.acquire(0, ac.signal);
    const waitingForSlot = pacer.acquire(1000, ac.signal);
    await settle();
    ac.abort(new Error('stop'));
    await assert.rejects(waitingForSlot, /stop/);
    assert.equal(pacer.inFlight, 1);

    pacer.release();
    const ac2 = new AbortController();
    const waitingForTime = pacer.acquire(60_000, ac2.signal);
    await settle();
    assert.equal(clock.pendingSleeps, 1);
    ac2.abort(new Error('stop again'));
    await assert.rejects(waitingForTime, /stop again/);
    assert.equal(pacer.inFlight, 0);
    await pacer.idle();
  });

  it('idle() resolves when the last prompt is released', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ concurrency: 3 }, clock);
    await pacer.acquire(null);
    await pacer.acquire(null);
    let idle = false;
    const p = pacer.idle().then(() => {
      idle = true;
    });
    pacer.release();
    await settle();
    assert.equal(idle, false);
    pacer.release();
    await p;
    assert.equal(idle, true);
  });

  it('rejects nonsense settings', () => {
    const clock = new FakeClock();
    assert.throws(() => new Pacer({ concurrency: 0 }, clock), RangeError);
    assert.throws(() => new Pacer({ concurrency: 1, rps: -1 }, clock), RangeError);
    assert.throws(() => new Pacer({ concurrency: 1, speed: 0 }, clock), RangeError);
  });
});
