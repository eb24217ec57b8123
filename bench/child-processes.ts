/**
 * Child processes of the bench: simulators and load drivers, each in its own
 * process so their CPU and memory are measured apart from each other.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** dist/bench -> dist/src/cli/main.js; SHADOWGATE_BENCH_CLI points the bench at another build. */
export const CLI_PATH = process.env.SHADOWGATE_BENCH_CLI ?? join(HERE, '..', 'src', 'cli', 'main.js');
export const LOAD_DRIVER_PATH = join(HERE, 'load-driver.js');

/** Linux clock ticks per second for /proc/<pid>/stat (USER_HZ is 100 on every mainstream kernel). */
const CLOCK_TICKS_PER_S = 100;

/** CPU seconds (user + system) a live process has used; null when /proc is unavailable or it exited. */
export function procCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after its closing paren are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

/** Peak resident set (VmHWM) of a live process in MB; null when unavailable. */
export function procPeakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export interface SimProcess {
  /** `http://127.0.0.1:PORT/v1` */
  url: string;
  pid: number;
  /** CPU seconds used so far (for per-request CPU cost of the simulator). */
  cpuSeconds(): number | null;
  /** SIGTERM, then SIGKILL after `graceMs` (default 3000). */
  stop(graceMs?: number): Promise<void>;
}

export interface SimProcessOptions {
  /** A built-in profile name or a YAML/JSON profile path. */
  profile: string;
  seed: number;
  /** Extra flags for `shadowgate sim`. */
  extraArgs?: string[];
  /** Startup timeout, ms. Default 15000. */
  timeoutMs?: number;
}

/** Spawns `shadowgate sim` and resolves once it printed its `listening URL` line. */
export async function startSimProcess(options: SimProcessOptions): Promise<SimProcess> {
  const args = [
    CLI_PATH,
    'sim',
    '--profile',
    options.profile,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--seed',
    String(options.seed),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sim did not start within ${options.timeoutMs ?? 15_000} ms: ${stderr.trim()}`));
    }, options.timeoutMs ?? 15_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /^listening (\S+)/.exec(line);
      if (m) resolve(m[1]!);
      else reject(new Error(`sim printed ${JSON.stringify(line)} instead of its listening line`));
      // Keep draining stdout so the sim never blocks on a full pipe.
      child.stdout!.resume();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sim exited with ${code} before listening: ${stderr.trim()}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    cpuSeconds: () => procCpuSeconds(child.pid!),
    stop: (graceMs = 3_000) => stopChild(child, graceMs),
  };
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface NodeChildResult<T> {
  /** The last JSON line the child printed on stdout (undefined unless `json` was asked for). */
  result: T;
  stdout: string;
  exitCode: number | null;
  /** Peak RSS seen by polling /proc/<pid>/status VmHWM, MB (a cross-check of what the child reports). */
  polledPeakRssMb: number | null;
  /** CPU seconds of the child, read just before it exited (polled; may lag by one poll). */
  cpuSeconds: number | null;
  wallMs: number;
  stderr: string;
}

/**
 * Node flags the harness runs with: the same the `shadowgate` bin's shebang
 * sets (src/cli/main.ts), so the bench measures the command as shipped.
 */
export const HARNESS_NODE_ARGS: readonly string[] = ['--max-old-space-size=256'];

export interface NodeChildOptions {
  /** Flags for node itself, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  cwd?: string;
  /** Kill the child after this long, ms. Default 2 h. */
  timeoutMs?: number;
  /** Forwarded lines of the child's stderr (progress), if wanted. */
  onStderrLine?: (line: string) => void;
  /** Parse the last stdout line as JSON into `result`. Default true. */
  json?: boolean;
}

/**
 * Runs a node script to completion, polling its peak RSS and CPU; parses its
 * last stdout line as JSON. Throws when it exits non-zero or prints no JSON.
 */
export async function runNodeChild<T>(
  script: string,
  args: string[],
  options: NodeChildOptions = {},
): Promise<NodeChildResult<T>> {
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  const errLines = createInterface({ input: child.stderr! });
  errLines.on('line', (line) => {
    if (stderr.length < 20_000) stderr += `${line}\n`;
    options.onStderrLine?.(line);
  });
  let polledPeakRssMb: number | null = null;
  let cpuSeconds: number | null = null;
  const poll = () => {
    const rss = procPeakRssMb(child.pid!);
    if (rss !== null) polledPeakRssMb = Math.max(polledPeakRssMb ?? 0, rss);
    cpuSeconds = procCpuSeconds(child.pid!) ?? cpuSeconds;
  };
  const poller = setInterval(poll, 100);
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 2 * 3_600_000);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearInterval(poller);
  clearTimeout(killer);
  const wallMs = performance.now() - started;
  const fail = (what: string) =>
    new Error(`${script} ${args.join(' ')} ${what}; stderr: ${stderr.trim().slice(-2000)}`);
  if (exitCode !== 0) throw fail(`exited ${exitCode}`);
  let result = undefined as T;
  if (options.json ?? true) {
    try {
      result = JSON.parse(stdout.trim().split('\n').pop() ?? '') as T;
    } catch {
      throw fail('printed no JSON result');
    }
  }
  return { result, stdout, exitCode, polledPeakRssMb, cpuSeconds, wallMs, stderr };
}
