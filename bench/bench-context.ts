import type { BenchOptions } from './bench-options.js';

/** What every section gets: the options, its scratch directory, and a progress line writer (stderr). */
export interface BenchContext {
  options: BenchOptions;
  /** Scratch directory shared by the sections (scenarios, dbs, profiles). */
  workDir: string;
  log(line: string): void;
  /** Shared between sections: the 1M-request db the scale section leaves for the report section. */
  shared: { largestRun?: { dbPath: string; runId: string; requests: number } };
}

/** One line of the printed table. */
export interface TableRow {
  section: string;
  metric: string;
  value: string;
  /** The target, when the metric has one. */
  target?: string;
  /** Whether the target is met; undefined when there is none. */
  met?: boolean;
}

export interface SectionOutcome<T> {
  json: T;
  rows: TableRow[];
}

/** Formats a number with a fixed number of decimals, or `n/a`. */
export function fmt(x: number | null | undefined, decimals = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}
