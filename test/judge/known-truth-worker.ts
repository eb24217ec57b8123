/** A worker of known-truth-pool.ts: judges each chunk of seeds it is sent and answers with the counts. */
import { parentPort } from 'node:worker_threads';
import { decisionCounts } from './known-truth.js';
import type { ChunkCounts, KnownTruthChunk } from './known-truth-pool.js';

parentPort!.on('message', (chunk: KnownTruthChunk) => {
  const counts: ChunkCounts = {
    job: chunk.job,
    ...decisionCounts(chunk.truth, chunk.prompts, chunk.seeds, chunk.firstSeed),
  };
  parentPort!.postMessage(counts);
});
