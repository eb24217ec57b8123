/**
 * `npm run bench [-- --quick] [-- --json]`: how fast and how accurate the
 * harness is, side by side with a raw undici loop and the official openai
 * client. Every section runs in one go; the table goes to stdout (or one JSON
 * object with --json), progress to stderr. Not part of `npm test`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchContext, SectionOutcome, TableRow } from './bench-context.js';
import { parseBenchArgs, type SectionName } from './bench-options.js';
import { formatTable } from './format-table.js';
import { machineInfo } from './machine-info.js';
import { benchAccuracy } from './sections/accuracy.js';
import { benchProxy } from './sections/proxy.js';
import { benchReport } from './sections/report.js';
import { benchRetry } from './sections/retry.js';
import { benchScale } from './sections/scale.js';
import { benchStore } from './sections/store.js';
import { benchThroughput } from './sections/throughput.js';

const SECTIONS: Record<SectionName, (ctx: BenchContext) => Promise<SectionOutcome<unknown>>> = {
  throughput: benchThroughput,
  accuracy: benchAccuracy,
  store: benchStore,
  retry: benchRetry,
  scale: benchScale,
  report: benchReport,
  proxy: benchProxy,
};

let options: ReturnType<typeof parseBenchArgs>;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(2);
}

const workDir = options.workDir ? resolve(options.workDir) : mkdtempSync(join(tmpdir(), 'shadowgate-bench-'));
mkdirSync(workDir, { recursive: true });
if (options.cpuProfDir) mkdirSync(resolve(options.cpuProfDir), { recursive: true });
const started = performance.now();
const log = (line: string) => {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(7);
  process.stderr.write(`[bench ${s}s] ${line}\n`);
};
const ctx: BenchContext = { options, workDir, log, shared: {} };

const result: Record<string, unknown> = {
  date: new Date().toISOString(),
  mode: options.quick ? 'quick' : 'full',
  machine: machineInfo(),
};
const rows: TableRow[] = [];
let failed = false;
log(`work dir ${workDir}; sections: ${options.sections.join(', ')}${options.quick ? ' (quick)' : ''}`);
for (const name of options.sections) {
  const sectionStart = performance.now();
  try {
    const outcome = await SECTIONS[name](ctx);
    result[name] = outcome.json;
    rows.push(...outcome.rows);
  } catch (err) {
    failed = true;
    const message = err instanceof Error ? err.message : String(err);
    result[name] = { error: message };
    rows.push({ section: name, metric: 'error', value: message.split('\n')[0]!.slice(0, 100) });
    log(`${name} failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
  }
  log(`${name} done in ${((performance.now() - sectionStart) / 1000).toFixed(1)} s`);
}
result.bench_seconds = Math.round((performance.now() - started) / 100) / 10;
if (!options.keep && !options.workDir) rmSync(workDir, { recursive: true, force: true });

const json = `${JSON.stringify(result, null, options.json ? 0 : 2)}\n`;
if (options.outFile) writeFileSync(options.outFile, json);
if (options.json) {
  process.stdout.write(json);
} else {
  const m = result.machine as ReturnType<typeof machineInfo>;
  process.stdout.write(
    `shadowgate bench (${result.mode}) on ${m.cpus} x ${m.cpu_model}, ${m.total_mem_gb} GB, node ${m.node}, ${result.bench_seconds} s\n\n`,
  );
  process.stdout.write(`${formatTable(rows)}\n`);
}
process.exitCode = failed ? 1 : 0;
