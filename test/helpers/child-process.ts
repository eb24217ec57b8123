/** Spawned CLI processes for the kill -9 and signal tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const MAIN = join(process.cwd(), 'dist/src/cli/main.js');

export function runChild(args: string[], cwd: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  return { child, exited, out: () => ({ stdout, stderr }) };
}

/** Polls until `check` returns a value (the db may not exist yet, or be mid-write). */
export async function waitFor<T>(check: () => T | null, timeoutMs: number, child?: ChildProcess): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = check();
      if (v !== null) return v;
    } catch {
      // not there yet
    }
    if (child && child.exitCode !== null) throw new Error(`child exited early with ${child.exitCode}`);
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
