/**
 * Flags of `npm run bench` and the sizes each section uses. Sizes live here as
 * data so docs/benchmarks.md can quote them.
 */

/** Which sections a run measures, in the order they run. */
export const SECTION_NAMES = [
  'throughput',
  'accuracy',
  'store',
  'retry',
  'scale',
  'report',
  'proxy',
] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export interface BenchSizes {
  /** Prompts per throughput repetition (each prompt is 2 requests: baseline and candidate). */
  throughputPrompts: number;
  /** Warm-up prompts before the measured repetitions. */
  throughputWarmupPrompts: number;
  /** Measured repetitions per loop; the median is reported. */
  throughputRepetitions: number;
  /** Prompts in flight (the run's --concurrency). */
  throughputConcurrency: number;
  /** Prompts per accuracy level. */
  accuracyPrompts: Record<'c1' | 'c64' | 'c512', number>;
  /** Rows per table written through RunStore. */
  storeRows: number;
  /** `decide` calls timed. */
  retryDecisions: number;
  /** Contention simulation repetitions at 100 clients (the median is reported). */
  retrySimulateRepetitions: number;
  /** Scenario sizes replayed for the scale section, ascending. */
  scalePrompts: number[];
  /** Prompts in flight for the scale replays. */
  scaleConcurrency: number;
}

/** About 2-5 minutes on a 2-core machine. */
export const QUICK_SIZES: BenchSizes = {
  throughputPrompts: 2_000,
  throughputWarmupPrompts: 300,
  throughputRepetitions: 1,
  throughputConcurrency: 64,
  accuracyPrompts: { c1: 100, c64: 1_000, c512: 2_000 },
  storeRows: 50_000,
  retryDecisions: 200_000,
  retrySimulateRepetitions: 3,
  scalePrompts: [2_000, 10_000],
  scaleConcurrency: 128,
};

/** The full run: ~30-35 minutes on 2 cores, ~23 of them the 1M-prompt replay. */
export const FULL_SIZES: BenchSizes = {
  throughputPrompts: 10_000,
  throughputWarmupPrompts: 1_000,
  throughputRepetitions: 3,
  throughputConcurrency: 64,
  accuracyPrompts: { c1: 300, c64: 5_000, c512: 10_000 },
  storeRows: 200_000,
  retryDecisions: 2_000_000,
  retrySimulateRepetitions: 5,
  scalePrompts: [10_000, 100_000, 1_000_000],
  scaleConcurrency: 256,
};

export interface BenchOptions {
  quick: boolean;
  json: boolean;
  /** Sections to run; all by default. */
  sections: SectionName[];
  /** Directory for scenarios, databases and profiles; a fresh temp dir by default. */
  workDir: string | null;
  /** Keep the work dir after the run (its dbs are large: 1M requests is ~1 GB). */
  keep: boolean;
  /** Write `--cpu-prof` profiles of the harness child into this directory. */
  cpuProfDir: string | null;
  /** Also write the JSON result to this file. */
  outFile: string | null;
  /**
   * `--report-db PATH`: the report section times this SQLite file's latest
   * shadow run instead of the scale section's largest db (so the report can
   * be re-timed without replaying 1M requests again).
   */
  reportDb: string | null;
  /**
   * `--pg URL`: an admin URL of a PostgreSQL server; the report section copies
   * its db into a scratch database there and times the report from it too.
   * `--pg none` skips that. Default postgres://root@127.0.0.1:5432/postgres.
   */
  pgAdminUrl: string | null;
  sizes: BenchSizes;
}

/** The PostgreSQL server the report section uses unless told otherwise. */
export const DEFAULT_PG_ADMIN_URL = 'postgres://root@127.0.0.1:5432/postgres';

/** Parses `run.js` flags; throws an Error with a one-line message on a bad flag. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let quick = false;
  let json = false;
  let keep = false;
  let sections: SectionName[] = [...SECTION_NAMES];
  let workDir: string | null = null;
  let cpuProfDir: string | null = null;
  let outFile: string | null = null;
  let reportDb: string | null = null;
  let pgAdminUrl: string | null = DEFAULT_PG_ADMIN_URL;
  const scaleOverride: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--quick':
        quick = true;
        break;
      case '--json':
        json = true;
        break;
      case '--keep':
        keep = true;
        break;
      case '--only':
        sections = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map((s) => {
            if (!(SECTION_NAMES as readonly string[]).includes(s)) {
              throw new Error(`--only: unknown section ${s} (known: ${SECTION_NAMES.join(', ')})`);
            }
            return s as SectionName;
          });
        break;
      case '--work-dir':
        workDir = value();
        break;
      case '--cpu-prof':
        cpuProfDir = value();
        break;
      case '--out':
        outFile = value();
        break;
      case '--report-db':
        reportDb = value();
        break;
      case '--pg': {
        const url = value();
        pgAdminUrl = url === 'none' ? null : url;
        break;
      }
      case '--scale':
        for (const s of value().split(',')) {
          const n = Number(s.replace(/_/g, ''));
          if (!Number.isInteger(n) || n < 1) throw new Error(`--scale: not a positive integer: ${s}`);
          scaleOverride.push(n);
        }
        break;
      default:
        throw new Error(
          `unknown flag ${arg} (flags: --quick --json --only LIST --scale N,N --work-dir DIR --keep --cpu-prof DIR --out FILE --report-db PATH --pg URL|none)`,
        );
    }
  }
  const base = quick ? QUICK_SIZES : FULL_SIZES;
  const sizes: BenchSizes = {
    ...base,
    scalePrompts: scaleOverride.length > 0 ? scaleOverride : base.scalePrompts,
  };
  return { quick, json, sections, workDir, keep, cpuProfDir, outFile, reportDb, pgAdminUrl, sizes };
}
