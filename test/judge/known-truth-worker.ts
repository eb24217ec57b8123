/** A worker of known-truth-pool.ts: judges each chunk of seeds it is sent and answers with the counts. */
import { parentPort } from 'node:worker_threads';
import { judgeKnownTruth } from './known-truth.js';
import type { ChunkCounts, KnownTruthChunk } from './known-truth-pool.js';

parentPort!.on('message', (chunk: KnownTruthChunk) => {
  const counts: ChunkCounts = { job: chunk.job, promote: 0, hold: 0, rollback: 0 };
  for (let s = 0; s < chunk.seeds; s++)
    counts[judgeKnownTruth(chunk.truth, chunk.prompts, chunk.firstSeed + s)]++;
  parentPort!.postMessage(counts);
});
