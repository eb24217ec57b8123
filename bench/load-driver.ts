/**
 * The child process that generates load: one of the loops (raw undici, the
 * openai client, the harness) over a warm-up scenario then the measured one.
 * Prints one JSON line (DriverResult) on stdout. Run by bench/run.ts, not by
 * users.
 */

import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { tapGroundTruth } from './ground-truth-tap.js';
import { runOpenAiClientLoop } from './openai-client-loop.js';
import type { LoopResult } from './prompt-source.js';
import { type ClientTiming, runRawUndiciLoop } from './raw-undici-loop.js';

export type LoopMode = 'raw-undici' | 'openai-client' | 'harness';

/** One process.memoryUsage() sample, MB, `t_s` seconds into the measured pass. */
export interface MemorySample {
  t_s: number;
  rss_mb: number;
  heap_used_mb: number;
  heap_total_mb: number;
  /** C++ objects bound to JS, e.g. better-sqlite3 and undici buffers. */
  external_mb: number;
}

function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 102.4) / 10;
}

export interface DriverResult extends LoopResult {
  mode: LoopMode;
  rps: number;
  /** process.resourceUsage().maxRSS at the end, MB: the peak of this process alone. */
  maxRssMb: number;
  cpuUserS: number;
  cpuSystemS: number;
  warmupMs: number | null;
  /** The driver's event-loop delay over the measured pass (1 ms resolution histogram), ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Mode-specific extras (the harness's run id and db). */
  extra: Record<string, unknown>;
}

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    scenario: { type: 'string' },
    warmup: { type: 'string' },
    targets: { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    stream: { type: 'boolean', default: false },
    db: { type: 'string' },
    'warmup-db': { type: 'string' },
    /** Write the simulator's ground-truth headers of the measured pass here (JSONL). */
    'ground-truth': { type: 'string' },
    /** raw-undici only: write the loop's own per-request timings of the measured pass here (JSONL). */
    'client-timings': { type: 'string' },
    /** Sample process.memoryUsage() every this many ms during the measured pass (0 = off). */
    'memory-every-ms': { type: 'string', default: '0' },
  },
});

const mode = values.mode as LoopMode;
const targets = (values.targets ?? '').split(',').filter(Boolean);
const concurrency = Number(values.concurrency);
const stream = values.stream ?? false;

let timings: ClientTiming[] | undefined;

async function pass(
  scenarioPath: string,
  dbPath: string | undefined,
): Promise<LoopResult & { extra?: Record<string, unknown> }> {
  switch (mode) {
    case 'raw-undici':
      return runRawUndiciLoop({
        scenarioPath,
        targets,
        concurrency,
        stream,
        ...(timings ? { timings } : {}),
      });
    case 'openai-client':
      return runOpenAiClientLoop({ scenarioPath, targets, concurrency, stream, dbPath: dbPath! });
    case 'harness': {
      const { runHarnessLoop } = await import('./harness-loop.js');
      return runHarnessLoop({ scenarioPath, targets, concurrency, stream, dbPath: dbPath! });
    }
    default:
      throw new Error(`unknown --mode ${String(mode)}`);
  }
}

let warmupMs: number | null = null;
if (values.warmup) {
  const w = await pass(values.warmup, values['warmup-db']);
  warmupMs = w.wallMs;
}
if (values['client-timings']) timings = [];
const memoryEveryMs = Number(values['memory-every-ms']);
const memory: MemorySample[] = [];
const memoryStart = performance.now();
const sampleMemory = () => {
  const m = process.memoryUsage();
  memory.push({
    t_s: Math.round((performance.now() - memoryStart) / 100) / 10,
    rss_mb: mb(m.rss),
    heap_used_mb: mb(m.heapUsed),
    heap_total_mb: mb(m.heapTotal),
    external_mb: mb(m.external),
  });
};
const memoryTimer = memoryEveryMs > 0 ? setInterval(sampleMemory, memoryEveryMs) : null;
const stopTap = values['ground-truth'] ? tapGroundTruth(values['ground-truth']) : null;
// Event-loop delay during the measured pass: a saturated loop reads responses late, which is timing error.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const before = process.cpuUsage();
const r = await pass(values.scenario!, values.db);
const cpu = process.cpuUsage(before);
loopDelay.disable();
const groundTruthRows = stopTap?.() ?? null;
if (memoryTimer) {
  clearInterval(memoryTimer);
  sampleMemory();
}
if (values['client-timings'] && timings) {
  writeFileSync(values['client-timings'], timings.map((t) => JSON.stringify(t)).join('\n'));
}
const result: DriverResult = {
  mode,
  prompts: r.prompts,
  requests: r.requests,
  errors: r.errors,
  wallMs: r.wallMs,
  rps: r.requests / (r.wallMs / 1000),
  maxRssMb: process.resourceUsage().maxRSS / 1024,
  cpuUserS: cpu.user / 1e6,
  cpuSystemS: cpu.system / 1e6,
  warmupMs,
  eventLoopDelayMs: {
    p50: Math.round(loopDelay.percentile(50) / 1e4) / 100,
    p99: Math.round(loopDelay.percentile(99) / 1e4) / 100,
    max: Math.round(loopDelay.max / 1e4) / 100,
  },
  extra: {
    ...r.extra,
    ...(groundTruthRows === null ? {} : { groundTruthRows }),
    ...(memoryTimer ? { memory } : {}),
  },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
// Keep-alive sockets must not hold the driver open.
setImmediate(() => process.exit(0));
