/**
 * Runs known-truth cases on worker threads, one per core, so that the
 * calibration at 200 seeds a case fits in the test suite. Each job is one
 * case at one n over a range of seeds; the decisions are the ones
 * operatingCharacteristics gives on one thread (each run is seeded on its
 * own, so how the seeds are split cannot change them).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { OperatingCharacteristics, Truth } from './known-truth.js';

export interface KnownTruthJob {
  truth: Truth;
  prompts: number;
  seeds: number;
  /** Default 1, as the published table uses. */
  firstSeed?: number;
}

/** One chunk of a job's seeds, as sent to a worker. */
export interface KnownTruthChunk {
  job: number;
  truth: Truth;
  prompts: number;
  firstSeed: number;
  seeds: number;
}

export interface ChunkCounts {
  job: number;
  promote: number;
  hold: number;
  rollback: number;
}

/** The operating characteristics of each job, in order, computed on `threads` workers (default: one per core). */
export async function operatingCharacteristicsOnWorkers(
  jobs: readonly KnownTruthJob[],
  threads = Math.max(1, availableParallelism()),
): Promise<OperatingCharacteristics[]> {
  const chunkSeeds = 25;
  const queue: KnownTruthChunk[] = [];
  jobs.forEach((j, job) => {
    const first = j.firstSeed ?? 1;
    for (let s = 0; s < j.seeds; s += chunkSeeds)
      queue.push({
        job,
        truth: j.truth,
        prompts: j.prompts,
        firstSeed: first + s,
        seeds: Math.min(chunkSeeds, j.seeds - s),
      });
  });
  const totals = jobs.map(() => ({ promote: 0, hold: 0, rollback: 0 }));
  const work = async () => {
    const worker = new Worker(new URL('./known-truth-worker.js', import.meta.url));
    try {
      for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
        const counts = await ask(worker, chunk);
        const t = totals[counts.job]!;
        t.promote += counts.promote;
        t.hold += counts.hold;
        t.rollback += counts.rollback;
      }
    } finally {
      await worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.min(threads, queue.length) }, work));
  return totals.map((t, i) => {
    const seeds = jobs[i]!.seeds;
    return { promote: t.promote / seeds, hold: t.hold / seeds, rollback: t.rollback / seeds, seeds };
  });
}

function ask(worker: Worker, chunk: KnownTruthChunk): Promise<ChunkCounts> {
  return new Promise((resolve, reject) => {
    const onMessage = (counts: ChunkCounts) => {
      worker.off('error', onError);
      resolve(counts);
    };
    const onError = (err: Error) => {
      worker.off('message', onMessage);
      reject(err);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.postMessage(chunk);
  });
}
