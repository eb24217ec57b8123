/**
 * The practical limit: the same requests at the same concurrency with a bare
 * undici Pool per target, bodies read and parsed, nothing recorded.
 */
import { Pool } from 'undici';
import { forEachConcurrently, type LoopResult, readBenchRequests } from './prompt-source.js';

export interface RawLoopOptions {
  scenarioPath: string;
  /** Base URLs ending in `/v1`: the baseline and the candidate. */
  targets: string[];
  /** Prompts in flight; each sends one request to every target at once. */
  concurrency: number;
  stream: boolean;
  /**
   * When given, each response's `x-request-id` and the loop's own measured
   * total time (ms, request start to body end) are pushed here: the accuracy
   * section's reference for what a minimal client measures under the same load.
   */
  timings?: ClientTiming[];
}

export interface ClientTiming {
  requestId: string;
  latencyMs: number;
  /** Streaming: the first body chunk's arrival (the simulator sends headers at once, the first token later); else null. */
  ttftMs: number | null;
}

export async function runRawUndiciLoop(options: RawLoopOptions): Promise<LoopResult> {
  const pools = options.targets.map((target) => {
    const url = new URL(target);
    return {
      pool: new Pool(url.origin, { connections: options.concurrency }),
      path: `${url.pathname}/chat/completions`,
    };
  });
  let prompts = 0;
  let requests = 0;
  let errors = 0;
  const started = performance.now();
  try {
    await forEachConcurrently(
      readBenchRequests(options.scenarioPath)[Symbol.asyncIterator](),
      options.concurrency,
      async (req) => {
        prompts++;
        const payload = JSON.stringify(options.stream ? { ...req.body, stream: true } : req.body);
        await Promise.all(
          pools.map(async ({ pool, path }) => {
            requests++;
            const t0 = performance.now();
            try {
              const res = await pool.request({
                path,
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: payload,
              });
              let ttftMs: number | null = null;
              if (options.stream) {
                for await (const _chunk of res.body) {
                  // Consumed, not parsed: the limit the harness is held to.
                  ttftMs ??= performance.now() - t0;
                }
              } else {
                await res.body.json();
              }
              if (res.statusCode !== 200) errors++;
              const requestId = res.headers['x-request-id'];
              if (options.timings && typeof requestId === 'string') {
                options.timings.push({ requestId, latencyMs: performance.now() - t0, ttftMs });
              }
            } catch {
              errors++;
            }
          }),
        );
      },
    );
  } finally {
    await Promise.all(pools.map(({ pool }) => pool.close()));
  }
  return { prompts, requests, errors, wallMs: performance.now() - started };
}
