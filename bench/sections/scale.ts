/**
 * Scale: generated scenarios of growing size replayed against two `steady`
 * simulators with full recording; wall time and the harness child's peak RSS
 * at each size, to show memory stays flat.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchContext, fmt, type SectionOutcome, type TableRow } from '../bench-context.js';
import { HARNESS_NODE_ARGS, LOAD_DRIVER_PATH, runNodeChild, startSimProcess } from '../child-processes.js';
import type { DriverResult, MemorySample } from '../load-driver.js';
import { writeBenchScenario } from '../scenario-file.js';
import { round } from '../summary-stats.js';

export interface ScaleRunJson {
  prompts: number;
  requests: number;
  failed_requests: number;
  wall_s: number;
  rps: number;
  /** The harness child's own peak (process.resourceUsage().maxRSS). */
  peak_rss_mb: number;
  /** VmHWM polled from /proc every 100 ms, a cross-check. */
  polled_peak_rss_mb: number | null;
  db_mb: number;
  scenario_mb: number;
  /** Highest V8 heap in use seen (1 s samples), MB. */
  peak_heap_used_mb: number | null;
  /** RSS and heap over the run, at most 12 evenly spaced samples. */
  memory: MemorySample[];
}

export interface ScaleJson {
  /** The largest size replayed (the headline). */
  prompts: number;
  wall_s: number;
  peak_rss_mb: number;
  /** Peak RSS at the largest size / at the smallest: near 1 when memory is flat. */
  rss_growth_ratio: number | null;
  concurrency: number;
  runs: ScaleRunJson[];
}

export async function benchScale(ctx: BenchContext): Promise<SectionOutcome<ScaleJson>> {
  const { sizes } = ctx.options;
  const baseline = await startSimProcess({ profile: 'steady', seed: 21 });
  const candidate = await startSimProcess({ profile: 'steady', seed: 22 });
  const runs: ScaleRunJson[] = [];
  try {
    for (const prompts of sizes.scalePrompts) {
      const scenario = join(ctx.workDir, `scale-${prompts}.jsonl`);
      const genStart = performance.now();
      await writeBenchScenario(scenario, prompts);
      ctx.log(
        `scale ${fmt(prompts)}: scenario written in ${((performance.now() - genStart) / 1000).toFixed(1)} s; replaying`,
      );
      const dbPath = join(ctx.workDir, `scale-${prompts}.db`);
      const child = await runNodeChild<DriverResult>(
        LOAD_DRIVER_PATH,
        [
          '--mode',
          'harness',
          '--scenario',
          scenario,
          '--targets',
          `${baseline.url},${candidate.url}`,
          '--concurrency',
          String(sizes.scaleConcurrency),
          '--db',
          dbPath,
          '--memory-every-ms',
          '1000',
        ],
        // No --cpu-prof here: a 1M-prompt profile runs to gigabytes; the throughput section's is the one to read.
        { nodeArgs: [...HARNESS_NODE_ARGS] },
      );
      const r = child.result;
      const memory = (r.extra.memory as MemorySample[] | undefined) ?? [];
      const run: ScaleRunJson = {
        prompts,
        requests: r.requests,
        failed_requests: r.errors,
        wall_s: round(r.wallMs / 1000, 1)!,
        rps: round(r.rps, 0)!,
        peak_rss_mb: round(r.maxRssMb, 1)!,
        polled_peak_rss_mb: round(child.polledPeakRssMb, 1),
        db_mb: round(fileMb(dbPath), 1)!,
        scenario_mb: round(fileMb(scenario), 1)!,
        peak_heap_used_mb: memory.length ? Math.max(...memory.map((m) => m.heap_used_mb)) : null,
        memory: evenlySpaced(memory, 12),
      };
      runs.push(run);
      ctx.shared.largestRun = { dbPath, runId: String(r.extra.run_id), requests: r.requests };
      ctx.log(
        `scale ${fmt(prompts)}: ${run.wall_s} s, ${fmt(run.rps)} req/s, peak RSS ${run.peak_rss_mb} MB, db ${run.db_mb} MB`,
      );
    }
  } finally {
    await Promise.all([baseline.stop(), candidate.stop()]);
  }
  const largest = runs[runs.length - 1]!;
  const smallest = runs[0]!;
  const growth = runs.length > 1 ? largest.peak_rss_mb / smallest.peak_rss_mb : null;
  const json: ScaleJson = {
    prompts: largest.prompts,
    wall_s: largest.wall_s,
    peak_rss_mb: largest.peak_rss_mb,
    rss_growth_ratio: round(growth, 2),
    concurrency: sizes.scaleConcurrency,
    runs,
  };
  const rows: TableRow[] = runs.map((r) => ({
    section: 'scale',
    metric: `${fmt(r.prompts)} prompts: wall s / req/s / peak RSS MB`,
    value: `${fmt(r.wall_s, 1)} / ${fmt(r.rps)} / ${fmt(r.peak_rss_mb)}`,
    ...(r === largest ? { target: 'RSS < 300 MB', met: r.peak_rss_mb < 300 } : {}),
  }));
  if (growth !== null) {
    rows.push({
      section: 'scale',
      metric: `peak RSS ${fmt(largest.prompts)} / ${fmt(smallest.prompts)} prompts`,
      value: fmt(growth, 2),
      target: 'flat (<= 1.25)',
      met: growth <= 1.25,
    });
  }
  return { json, rows };
}

function evenlySpaced<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.round((i * (items.length - 1)) / (count - 1))]!);
}

function fileMb(path: string): number {
  let bytes = 0;
  for (const suffix of ['', '-wal']) {
    try {
      bytes += statSync(path + suffix).size;
    } catch {
      // No WAL left after a clean close.
    }
  }
  return bytes / 1024 / 1024;
}
