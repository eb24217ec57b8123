/**
 * Throughput: the harness against two `steady` simulators (each in its own
 * process), side by side with a raw undici loop and a hand-written openai
 * client loop, same prompts, same concurrency; the median of the repetitions.
 */
import { join } from 'node:path';
import { type BenchContext, fmt, type SectionOutcome } from '../bench-context.js';
import { HARNESS_NODE_ARGS, LOAD_DRIVER_PATH, runNodeChild, startSimProcess } from '../child-processes.js';
import type { DriverResult, LoopMode } from '../load-driver.js';
import { writeBenchScenario } from '../scenario-file.js';
import { median, round } from '../summary-stats.js';

export interface ThroughputJson {
  harness_rps: number | null;
  raw_undici_rps: number | null;
  openai_client_rps: number | null;
  ratio_vs_raw: number | null;
  ratio_vs_openai_client: number | null;
  prompts: number;
  requests_per_repetition: number;
  concurrency: number;
  repetitions: number;
  stream: boolean;
  /** Per loop: every repetition's rps, and CPU ms per request of the driver and of the two sims. */
  loops: Record<LoopMode, LoopStats>;
  errors: string[];
}

export interface LoopStats {
  rps: number[];
  median_rps: number | null;
  driver_cpu_ms_per_request: number | null;
  sims_cpu_ms_per_request: number | null;
  driver_peak_rss_mb: number | null;
  failed_requests: number;
}

const MODES: LoopMode[] = ['raw-undici', 'openai-client', 'harness'];

export async function benchThroughput(ctx: BenchContext): Promise<SectionOutcome<ThroughputJson>> {
  const { sizes } = ctx.options;
  const scenario = join(ctx.workDir, `throughput-${sizes.throughputPrompts}.jsonl`);
  const warmup = join(ctx.workDir, `throughput-warmup-${sizes.throughputWarmupPrompts}.jsonl`);
  await writeBenchScenario(scenario, sizes.throughputPrompts);
  await writeBenchScenario(warmup, sizes.throughputWarmupPrompts);
  const baseline = await startSimProcess({ profile: 'steady', seed: 1 });
  const candidate = await startSimProcess({ profile: 'steady', seed: 2 });
  const stats = Object.fromEntries(
    MODES.map((m) => [
      m,
      {
        rps: [],
        median_rps: null,
        driver_cpu_ms_per_request: null,
        sims_cpu_ms_per_request: null,
        driver_peak_rss_mb: null,
        failed_requests: 0,
      },
    ]),
  ) as unknown as Record<LoopMode, LoopStats>;
  const driverCpu: Record<LoopMode, number[]> = { 'raw-undici': [], 'openai-client': [], harness: [] };
  const simCpu: Record<LoopMode, number[]> = { 'raw-undici': [], 'openai-client': [], harness: [] };
  const errors: string[] = [];
  try {
    for (let rep = 1; rep <= sizes.throughputRepetitions; rep++) {
      // Interleaved, so drift in the machine or the sims touches every loop alike.
      for (const mode of MODES) {
        const tag = `${mode}-${rep}`;
        const simsBefore = (baseline.cpuSeconds() ?? 0) + (candidate.cpuSeconds() ?? 0);
        try {
          const child = await runNodeChild<DriverResult>(
            LOAD_DRIVER_PATH,
            [
              '--mode',
              mode,
              '--scenario',
              scenario,
              '--warmup',
              warmup,
              '--targets',
              `${baseline.url},${candidate.url}`,
              '--concurrency',
              String(sizes.throughputConcurrency),
              '--db',
              join(ctx.workDir, `throughput-${tag}.db`),
              '--warmup-db',
              join(ctx.workDir, `throughput-${tag}-warmup.db`),
            ],
            mode === 'harness'
              ? {
                  nodeArgs: [
                    ...HARNESS_NODE_ARGS,
                    ...(ctx.options.cpuProfDir
                      ? ['--cpu-prof', `--cpu-prof-dir=${ctx.options.cpuProfDir}`]
                      : []),
                  ],
                }
              : {},
          );
          const r = child.result;
          const simsCpuS = (baseline.cpuSeconds() ?? 0) + (candidate.cpuSeconds() ?? 0) - simsBefore;
          stats[mode].rps.push(r.rps);
          stats[mode].failed_requests += r.errors;
          stats[mode].driver_peak_rss_mb = Math.max(stats[mode].driver_peak_rss_mb ?? 0, r.maxRssMb);
          driverCpu[mode].push(((r.cpuUserS + r.cpuSystemS) * 1000) / r.requests);
          // The sims also served the warm-up; charge their CPU over every request they saw.
          const warmupRequests = sizes.throughputWarmupPrompts * 2;
          simCpu[mode].push((simsCpuS * 1000) / (r.requests + warmupRequests));
          ctx.log(`throughput ${tag}: ${fmt(r.rps)} req/s (${r.requests} requests, ${r.errors} failed)`);
        } catch (err) {
          errors.push(`${tag}: ${err instanceof Error ? err.message : String(err)}`);
          ctx.log(
            `throughput ${tag}: failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
          );
        }
      }
    }
  } finally {
    await Promise.all([baseline.stop(), candidate.stop()]);
  }
  for (const mode of MODES) {
    stats[mode].median_rps = round(median(stats[mode].rps), 1);
    stats[mode].rps = stats[mode].rps.map((x) => round(x, 1)!);
    stats[mode].driver_cpu_ms_per_request = round(median(driverCpu[mode]), 3);
    stats[mode].sims_cpu_ms_per_request = round(median(simCpu[mode]), 3);
    stats[mode].driver_peak_rss_mb = round(stats[mode].driver_peak_rss_mb, 1);
  }
  const harness = stats.harness.median_rps;
  const raw = stats['raw-undici'].median_rps;
  const openai = stats['openai-client'].median_rps;
  const ratioRaw = harness !== null && raw ? harness / raw : null;
  const ratioOpenai = harness !== null && openai ? harness / openai : null;
  const json: ThroughputJson = {
    harness_rps: harness,
    raw_undici_rps: raw,
    openai_client_rps: openai,
    ratio_vs_raw: round(ratioRaw, 3),
    ratio_vs_openai_client: round(ratioOpenai, 3),
    prompts: sizes.throughputPrompts,
    requests_per_repetition: sizes.throughputPrompts * 2,
    concurrency: sizes.throughputConcurrency,
    repetitions: sizes.throughputRepetitions,
    stream: false,
    loops: stats,
    errors,
  };
  const rows = [
    { section: 'throughput', metric: 'harness req/s (full recording)', value: fmt(harness) },
    { section: 'throughput', metric: 'raw undici loop req/s', value: fmt(raw) },
    { section: 'throughput', metric: 'openai client + sqlite req/s', value: fmt(openai) },
    {
      section: 'throughput',
      metric: 'harness / raw undici',
      value: fmt(ratioRaw, 2),
      target: '>= 0.70',
      met: ratioRaw !== null && ratioRaw >= 0.7,
    },
    {
      section: 'throughput',
      metric: 'harness / openai client',
      value: fmt(ratioOpenai, 2),
      target: '>= 3.0',
      met: ratioOpenai !== null && ratioOpenai >= 3,
    },
  ];
  return { json, rows };
}
