import type { Clock, Rng } from '../shared/clock.js';

/** Something text can be written to (process.stdout, or a buffer in tests). */
export interface TextSink {
  write(chunk: string): unknown;
  /** True when this is an interactive terminal (progress bars only then). */
  isTTY?: boolean;
  columns?: number;
}

/**
 * The effects a command may use. main.ts passes the real process; tests pass
 * buffers, a fixed env, a fake clock.
 */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: Record<string, string | undefined>;
  cwd: string;
  clock?: Clock;
  rng?: Rng;
  /** Aborted on the first Ctrl-C (graceful stop). */
  signal?: AbortSignal;
  /** Aborted on the second Ctrl-C (abort in-flight work now). */
  hardSignal?: AbortSignal;
}

/** Collects writes in memory; for tests. */
export class BufferSink implements TextSink {
  text = '';
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** Passed to every command factory; a handler sets `exitCode` for non-error outcomes (hold = 3, ...). */
export interface CommandContext {
  io: CliIo;
  exitCode: number;
}
