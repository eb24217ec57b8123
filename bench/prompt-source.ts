import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** One scenario line as the hand-written loops see it: an id and the body to send. */
export interface BenchRequest {
  id: string;
  body: Record<string, unknown>;
}

/**
 * Streams a bench scenario (plain form, one JSON object a line). An async
 * generator queues concurrent `next()` calls, so many workers can share one.
 */
export async function* readBenchRequests(path: string): AsyncGenerator<BenchRequest> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.length === 0) continue;
    const { id, metadata: _metadata, ...body } = JSON.parse(line) as Record<string, unknown>;
    yield { id: String(id), body };
  }
}

/** Runs `worker` on every request with at most `concurrency` in flight; resolves when all are done. */
export async function forEachConcurrently(
  source: AsyncIterator<BenchRequest>,
  concurrency: number,
  worker: (request: BenchRequest) => Promise<void>,
): Promise<void> {
  const lanes: Promise<void>[] = [];
  for (let i = 0; i < concurrency; i++) {
    lanes.push(
      (async () => {
        for (;;) {
          const next = await source.next();
          if (next.done) return;
          await worker(next.value);
        }
      })(),
    );
  }
  await Promise.all(lanes);
}

/** What every load loop reports for one pass over a scenario. */
export interface LoopResult {
  prompts: number;
  requests: number;
  errors: number;
  wallMs: number;
}
