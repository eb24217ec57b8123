/**
 * The proxy: what `shadowgate proxy` (shadow mode, 10% mirrored) adds in front
 * of a simulator, against a direct call to the same simulator in the same
 * run. Every process apart (two simulators, the proxy, the load driver), the
 * direct and proxied passes alternated so drift in the machine hits both.
 * - latency: 200 concurrent streams against a paced simulator (first token
 *   after 100 ms, then 10 ms a token): the p50 and p99 difference, and TTFT's;
 * - throughput: the same against an unpaced simulator (no delays), where the
 *   machine's CPU is the limit: requests per second through the proxy / direct.
 */

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type BenchContext, fmt, type SectionOutcome } from '../bench-context.js';
import {
  CLI_PATH,
  HARNESS_NODE_ARGS,
  procCpuSeconds,
  runNodeChild,
  type SimProcess,
  startSimProcess,
} from '../child-processes.js';
import type { ProxyLoadResult } from '../proxy-load.js';
import { quantileSorted, round } from '../summary-stats.js';

const DRIVER = join(dirname(fileURLToPath(import.meta.url)), '..', 'proxy-load.js');

export interface ProxyBenchJson {
  concurrency: number;
  requests_per_pass: number;
  passes: number;
  mirror: number;
  latency: {
    direct_p50_ms: number | null;
    proxy_p50_ms: number | null;
    direct_p99_ms: number | null;
    proxy_p99_ms: number | null;
    added_p50_ms: number | null;
    added_p99_ms: number | null;
    direct_ttft_p50_ms: number | null;
    proxy_ttft_p50_ms: number | null;
    added_ttft_p50_ms: number | null;
    overhead_header_p50_ms: number | null;
    overhead_header_p99_ms: number | null;
  };
  /** The same at 20 concurrent streams, where the proxy is not short of CPU. */
  light: {
    concurrency: number;
    requests: number;
    added_p50_ms: number | null;
    added_p99_ms: number | null;
    added_ttft_p50_ms: number | null;
  };
  throughput: {
    direct_rps: number | null;
    proxy_rps: number | null;
    ratio: number | null;
    concurrency: number;
  };
  /** CPU the proxy process used per proxied request in the latency passes (10% of them mirrored), ms. */
  proxy_cpu_ms_per_request: number | null;
  /** The 1-minute load average when the section ended (the machine is shared). */
  load_average_1m: number;
  errors: number;
}

interface ProxyProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function startProxyProcess(
  ctx: BenchContext,
  baseline: string,
  candidate: string,
  tag: string,
): Promise<ProxyProcess> {
  const config = join(ctx.workDir, `proxy-${tag}.json`);
  const model = { inputPerMTok: 2, outputPerMTok: 8, timeoutMs: 30_000 };
  writeFileSync(
    config,
    JSON.stringify({
      providers: {
        baseline: { kind: 'openai', baseUrl: baseline, models: { 'gpt-4.1': model } },
        candidate: { kind: 'openai', baseUrl: candidate, models: { 'gpt-4.1': model } },
      },
      run: { concurrency: 64, stream: true },
    }),
  );
  const child = spawn(
    process.execPath,
    [
      ...HARNESS_NODE_ARGS,
      CLI_PATH,
      'proxy',
      '--config',
      config,
      '--port',
      '0',
      '--db',
      join(ctx.workDir, `proxy-${tag}.db`),
      '--mirror',
      '0.1',
      '--grace-ms',
      '2000',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      const m = /^listening (\S+)/.exec(line);
      if (m) resolve(m[1]!);
      else reject(new Error(`proxy printed ${line}`));
      child.stdout!.resume();
    });
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
  return {
    url: `${url}/v1`,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

function sorted(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

async function load(url: string, requests: number, concurrency: number): Promise<ProxyLoadResult> {
  const r = await runNodeChild<ProxyLoadResult>(DRIVER, [
    '--url',
    url,
    '--requests',
    String(requests),
    '--concurrency',
    String(concurrency),
  ]);
  return r.result;
}

export async function benchProxy(ctx: BenchContext): Promise<SectionOutcome<ProxyBenchJson>> {
  const quick = ctx.options.quick;
  const concurrency = 200;
  const requests = quick ? 2_000 : 8_000;
  const passes = quick ? 2 : 3;
  const paced = join(ctx.workDir, 'proxy-paced-profile.json');
  writeFileSync(
    paced,
    JSON.stringify({ extends: 'steady', name: 'paced', ttft: { fixedMs: 100 }, tpot: { fixedMs: 10 } }),
  );
  const sims: SimProcess[] = [];
  const proxies: ProxyProcess[] = [];
  let errors = 0;
  const direct = { lat: [] as number[], ttft: [] as number[] };
  const viaProxy = { lat: [] as number[], ttft: [] as number[], overhead: [] as number[] };
  const light = {
    requests: 0,
    direct: { lat: [] as number[], ttft: [] as number[] },
    proxy: { lat: [] as number[], ttft: [] as number[] },
  };
  let proxyCpuS = 0;
  let proxied = 0;
  let directRps: number[] = [];
  let proxyRps: number[] = [];
  try {
    const baseline = await startSimProcess({ profile: paced, seed: 1 });
    const candidate = await startSimProcess({ profile: paced, seed: 2 });
    sims.push(baseline, candidate);
    const proxy = await startProxyProcess(ctx, baseline.url, candidate.url, 'paced');
    proxies.push(proxy);
    ctx.log(`proxy: warm-up`);
    await load(baseline.url, 400, concurrency);
    await load(proxy.url, 400, concurrency);
    for (let p = 0; p < passes; p++) {
      ctx.log(`proxy: latency pass ${p + 1}/${passes}, ${requests} streams at ${concurrency}`);
      const d = await load(baseline.url, requests, concurrency);
      const cpu0 = procCpuSeconds(proxy.pid);
      const x = await load(proxy.url, requests, concurrency);
      const cpu1 = procCpuSeconds(proxy.pid);
      if (cpu0 !== null && cpu1 !== null) {
        proxyCpuS += cpu1 - cpu0;
        proxied += x.requests;
      }
      errors += d.errors + x.errors;
      direct.lat.push(...d.latencyMs);
      direct.ttft.push(...d.ttftMs);
      viaProxy.lat.push(...x.latencyMs);
      viaProxy.ttft.push(...x.ttftMs);
      viaProxy.overhead.push(...x.overheadMs);
    }
    const lightRequests = quick ? 400 : 1_000;
    for (let p = 0; p < passes; p++) {
      ctx.log(`proxy: light pass ${p + 1}/${passes}, ${lightRequests} streams at 20`);
      const d = await load(baseline.url, lightRequests, 20);
      const x = await load(proxy.url, lightRequests, 20);
      errors += d.errors + x.errors;
      light.direct.lat.push(...d.latencyMs);
      light.direct.ttft.push(...d.ttftMs);
      light.proxy.lat.push(...x.latencyMs);
      light.proxy.ttft.push(...x.ttftMs);
    }
    light.requests = lightRequests;
    const fast = await startSimProcess({ profile: 'steady', seed: 1 });
    const fastCandidate = await startSimProcess({ profile: 'steady', seed: 2 });
    sims.push(fast, fastCandidate);
    const fastProxy = await startProxyProcess(ctx, fast.url, fastCandidate.url, 'steady');
    proxies.push(fastProxy);
    await load(fast.url, 400, 64);
    await load(fastProxy.url, 400, 64);
    for (let p = 0; p < passes; p++) {
      ctx.log(`proxy: throughput pass ${p + 1}/${passes}, ${requests} streams at 64, unpaced simulator`);
      const d = await load(fast.url, requests, 64);
      const x = await load(fastProxy.url, requests, 64);
      errors += d.errors + x.errors;
      directRps = [...directRps, d.rps];
      proxyRps = [...proxyRps, x.rps];
    }
  } finally {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all(sims.map((s) => s.stop()));
  }
  const q = (values: number[], at: number) => quantileSorted(sorted(values), at);
  const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  const med = (xs: number[]) => q(xs, 0.5);
  const lat = {
    direct_p50_ms: round(q(direct.lat, 0.5), 3),
    proxy_p50_ms: round(q(viaProxy.lat, 0.5), 3),
    direct_p99_ms: round(q(direct.lat, 0.99), 3),
    proxy_p99_ms: round(q(viaProxy.lat, 0.99), 3),
    added_p50_ms: round(diff(q(viaProxy.lat, 0.5), q(direct.lat, 0.5)), 3),
    added_p99_ms: round(diff(q(viaProxy.lat, 0.99), q(direct.lat, 0.99)), 3),
    direct_ttft_p50_ms: round(q(direct.ttft, 0.5), 3),
    proxy_ttft_p50_ms: round(q(viaProxy.ttft, 0.5), 3),
    added_ttft_p50_ms: round(diff(q(viaProxy.ttft, 0.5), q(direct.ttft, 0.5)), 3),
    overhead_header_p50_ms: round(q(viaProxy.overhead, 0.5), 3),
    overhead_header_p99_ms: round(q(viaProxy.overhead, 0.99), 3),
  };
  const dRps = med(directRps);
  const pRps = med(proxyRps);
  const ratio = dRps && pRps ? pRps / dRps : null;
  const json: ProxyBenchJson = {
    concurrency,
    requests_per_pass: requests,
    passes,
    mirror: 0.1,
    latency: lat,
    light: {
      concurrency: 20,
      requests: light.requests,
      added_p50_ms: round(diff(q(light.proxy.lat, 0.5), q(light.direct.lat, 0.5)), 3),
      added_p99_ms: round(diff(q(light.proxy.lat, 0.99), q(light.direct.lat, 0.99)), 3),
      added_ttft_p50_ms: round(diff(q(light.proxy.ttft, 0.5), q(light.direct.ttft, 0.5)), 3),
    },
    throughput: {
      direct_rps: round(dRps, 0),
      proxy_rps: round(pRps, 0),
      ratio: round(ratio, 3),
      concurrency: 64,
    },
    proxy_cpu_ms_per_request: proxied > 0 ? round((proxyCpuS * 1000) / proxied, 3) : null,
    load_average_1m: round(loadavg()[0]!, 2)!,
    errors,
  };
  const s = 'proxy';
  return {
    json,
    rows: [
      {
        section: s,
        metric: 'added latency p50 at 200 streams',
        value: `${fmt(lat.added_p50_ms, 3)} ms`,
        target: '<= 0.5 ms',
        met: lat.added_p50_ms !== null && lat.added_p50_ms <= 0.5,
      },
      {
        section: s,
        metric: 'added latency p99 at 200 streams',
        value: `${fmt(lat.added_p99_ms, 3)} ms`,
        target: '<= 2 ms',
        met: lat.added_p99_ms !== null && lat.added_p99_ms <= 2,
      },
      {
        section: s,
        metric: 'added TTFT p50',
        value: `${fmt(lat.added_ttft_p50_ms, 3)} ms`,
        target: '<= 1 ms',
        met: lat.added_ttft_p50_ms !== null && lat.added_ttft_p50_ms <= 1,
      },
      {
        section: s,
        metric: 'added latency p50 / p99, TTFT p50 at 20 streams',
        value: `${fmt(json.light.added_p50_ms, 3)} / ${fmt(json.light.added_p99_ms, 3)}, ${fmt(json.light.added_ttft_p50_ms, 3)} ms`,
      },
      {
        section: s,
        metric: 'x-shadowgate-overhead-ms p50 / p99',
        value: `${fmt(lat.overhead_header_p50_ms, 3)} / ${fmt(lat.overhead_header_p99_ms, 3)} ms`,
      },
      {
        section: s,
        metric: 'throughput, 10% mirrored, vs direct',
        value: `${fmt(ratio, 2)} (${fmt(pRps)} / ${fmt(dRps)} rps)`,
        target: '>= 0.8',
        met: ratio !== null && ratio >= 0.8,
      },
      {
        section: s,
        metric: 'proxy CPU per request (10% mirrored)',
        value: `${fmt(json.proxy_cpu_ms_per_request, 3)} ms`,
      },
      { section: s, metric: 'load average (shared machine)', value: fmt(json.load_average_1m, 2) },
      { section: s, metric: 'failed requests', value: String(errors), target: '0', met: errors === 0 },
    ],
  };
}
