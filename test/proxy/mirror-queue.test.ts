import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MirrorQueue } from '../../src/proxy/mirror-queue.js';

/** A job that finishes when the test says so. */
function gatedJob(): { job: () => Promise<void>; release: () => void; started: () => boolean } {
  let release!: () => void;
  let started = false;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  return {
    job: () => {
      started = true;
      return gate;
    },
    release: () => release(),
    started: () => started,
  };
}

describe('MirrorQueue', () => {
  it('runs up to concurrency, queues up to capacity, sheds the rest as queue_full; never holds more', async () => {
    const q = new MirrorQueue({ concurrency: 2, capacity: 3 });
    const jobs = Array.from({ length: 100 }, () => gatedJob());
    const accepted = jobs.map((j) => q.offer(j.job));
    assert.equal(accepted.filter(Boolean).length, 5);
    assert.deepEqual(accepted.slice(0, 6), [true, true, true, true, true, false]);
    assert.equal(q.inFlight, 2);
    assert.equal(q.depth, 3);
    assert.equal(q.shed.queue_full, 95);
    // The first finishes: the first waiting one starts, in order.
    jobs[0]!.release();
    await new Promise((r) => setImmediate(r));
    assert.equal(jobs[2]!.started(), true);
    assert.equal(jobs[3]!.started(), false);
    assert.equal(q.depth, 2);
    for (const j of jobs) j.release();
    await q.idle();
    assert.equal(q.inFlight, 0);
    assert.equal(q.depth, 0);
  });

  it('bounds the request bytes held by waiting and running mirrors', async () => {
    const q = new MirrorQueue({ concurrency: 1, capacity: 100, maxBytes: 1000 });
    const a = gatedJob();
    const b = gatedJob();
    assert.equal(q.offer(a.job, 600), true);
    assert.equal(q.hasRoom(500), false);
    assert.equal(q.offer(b.job, 500), false, 'over the byte bound, though the queue has room');
    assert.equal(q.offer(b.job, 400), true);
    assert.equal(q.heldBytes, 1000);
    assert.equal(q.shed.queue_full, 1);
    a.release();
    await new Promise((r) => setImmediate(r));
    assert.equal(q.heldBytes, 400, 'the finished one gave its bytes back');
    assert.equal(b.started(), true);
    b.release();
    await q.idle();
    assert.equal(q.heldBytes, 0);
  });

  it('clear drops the waiting jobs and their bytes; a job that throws is counted, not fatal', async () => {
    const errors: unknown[] = [];
    const q = new MirrorQueue({ concurrency: 1, capacity: 5 }, (e) => errors.push(e));
    const running = gatedJob();
    q.offer(running.job, 10);
    q.offer(async () => {}, 20);
    q.offer(async () => {}, 30);
    assert.equal(q.clear(), 2);
    assert.equal(q.heldBytes, 10);
    running.release();
    await q.idle();
    q.offer(async () => {
      throw new Error('bug');
    });
    await q.idle();
    assert.equal(q.failures, 1);
    assert.equal((errors[0] as Error).message, 'bug');
  });
});
