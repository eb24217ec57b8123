/**
 * The options of a shadow run and the effects it is given, and how a resumed
 * run's stored options merge with the ones given again.
 */
import type { ExperimentConfig } from '../config/types.js';
import type { Clock, Rng } from '../shared/clock.js';
import { UsageError } from '../shared/errors.js';
import type { DbLocation } from '../store/db-url.js';
import type { RunRow } from '../store/rows.js';
import type { RunInstrumentOptions } from './instrument.js';
import type { JitterRngFactory } from './jitter-rng.js';
import type { PaceMode } from './pacer.js';
import type { ProgressSnapshot } from './run-progress.js';
import type { ShardSpec } from './shard.js';

/** How long in-flight requests may finish after Ctrl-C before they are aborted, ms. */
export const DEFAULT_GRACE_MS = 5000;

/**
 * Options of one shadow run. Fields left undefined take the stored value on
 * `resume`, else the default named here.
 */
export interface ShadowRunOptions {
  /** The experiment config file (YAML or JSON). Give this or `config`; on resume both may be left out. */
  configPath?: string | null;
  /** An already-loaded config (the demo points baseUrls at local simulators). Wins over configPath. */
  config?: ExperimentConfig | null;
  /** The scenario JSONL. Required for a new run; on resume defaults to the stored path. */
  scenarioPath?: string | null;
  /** SQLite file; created when missing. Ignored when `db` is given. */
  dbPath: string;
  /** The store, SQLite file or PostgreSQL database (src/store/db-url.ts); wins over dbPath. */
  db?: DbLocation;
  /** Free text stored in `runs.label`. */
  label?: string | null;
  /** Prompts in flight at once (each holds 2-3 requests). Default: the config's `run.concurrency`. */
  concurrency?: number;
  /** Prompt starts per second; null = no cap. Default null. */
  rps?: number | null;
  /** Default `none`. */
  pace?: PaceMode;
  /** Speed-up of recorded pacing. Default 1. */
  speed?: number;
  /** Stop after this many selected prompts. Default: all. */
  limit?: number | null;
  /** Fraction of prompts kept, chosen by hashing the id with the seed, in (0, 1]. Default 1. */
  sample?: number;
  /** Seeds sampling, replica choice and jitter (one stream per (prompt, arm)). Default 1. */
  seed?: number;
  /** Fraction of selected prompts also sent to the baseline a second time (`baseline_replica`), [0, 1]. Default 0. */
  replica?: number;
  /** Stop sending before spend would exceed this, USD; null = no limit. On resume, raises the stored budget. */
  budgetUsd?: number | null;
  /** Store hashes instead of prompt and output text. Default false. */
  redact?: boolean;
  /** Replay the valid lines of a scenario with invalid ones (reported as warnings). Default false. */
  skipInvalid?: boolean;
  /** Stream responses (TTFT measured). Default: the config's `run.stream`. */
  stream?: boolean;
  /** Resume this run id: same selection, skips (prompt, arm) pairs that have a final row. */
  resume?: string | null;
  /** Replay only the prompts of this shard into run `runId` (src/runner/shard.ts). */
  shard?: ShardSpec | null;
  /** The run a shard writes to (made by the first shard to arrive); required with `shard`. */
  runId?: string | null;
  /** With `shard`: `budgetUsd` is each shard's, not split by N. Default false. */
  budgetPerShard?: boolean;
  /** After Ctrl-C, how long in-flight requests may finish before they are aborted, ms. Default 5000. */
  graceMs?: number;
}

export interface ShadowRunDeps {
  clock: Clock;
  /**
   * The run id's random suffix (default Math.random). Given without
   * `jitterRngFor`, also the jitter of every arm: one stream shared in
   * completion order, so not reproducible under concurrency (tests only).
   */
  rng?: Rng;
  /** Each (prompt, arm)'s jitter stream; default `jitterRng(seed, promptId, arm)`. */
  jitterRngFor?: JitterRngFactory;
  /** First Ctrl-C: stop starting prompts, let in-flight ones finish for up to graceMs. */
  signal?: AbortSignal;
  /** Second Ctrl-C: abort in-flight requests now. */
  hardSignal?: AbortSignal;
  /** Called as prompts finish (often: throttle the drawing). */
  onProgress?: (snapshot: ProgressSnapshot) => void;
  /** One line per warning (skipped invalid lines, resume notes). */
  onWarning?: (line: string) => void;
  /** Where API keys are read from. */
  env: Record<string, string | undefined>;
  /**
   * The timing-error instrument's settings (threshold, sampling, `live: false`
   * for no timers); default: live, 5 ms threshold, warning through onWarning.
   */
  instrument?: RunInstrumentOptions;
}

/** The options that decide which prompts and arms a run holds; stored with the run, fixed on resume. */
export interface SelectionOptions {
  sample: number;
  seed: number;
  replica: number;
  limit: number | null;
  redact: boolean;
  skipInvalid: boolean;
  stream: boolean;
}

/** Stored in `runs.options_json`. */
export interface StoredOptions extends SelectionOptions {
  concurrency: number;
  rps: number | null;
  pace: PaceMode;
  speed: number;
}

const SELECTION_KEYS = ['sample', 'seed', 'replica', 'limit', 'redact', 'skipInvalid', 'stream'] as const;

/**
 * The options stored with a resumed run (empty for a new run). A resume keeps
 * its selection: giving another value for one of SELECTION_KEYS is an error.
 */
export function storedOptionsOf(options: ShadowRunOptions, run: RunRow | undefined): Partial<StoredOptions> {
  const storedOptions = run?.options_json ? (JSON.parse(run.options_json) as Partial<StoredOptions>) : {};
  if (run) {
    const changed = SELECTION_KEYS.filter(
      (k) => options[k] !== undefined && storedOptions[k] !== undefined && options[k] !== storedOptions[k],
    );
    if (changed.length > 0) {
      throw new UsageError(
        `run ${run.id} was started with other ${changed.join(', ')}; a resumed run keeps its selection`,
        changed.map(
          (k) =>
            `--${flagName(k)}: stored ${JSON.stringify(storedOptions[k])}, given ${JSON.stringify(options[k])}`,
        ),
      );
    }
  }
  return storedOptions;
}

/** Each option: as given, else as stored with the run, else the default (some from the config). */
export function mergeOptions(
  options: ShadowRunOptions,
  storedOptions: Partial<StoredOptions>,
  config: ExperimentConfig,
): StoredOptions {
  const pick = <K extends keyof StoredOptions>(key: K, fallback: StoredOptions[K]): StoredOptions[K] =>
    (options[key] as StoredOptions[K] | undefined) ??
    (storedOptions[key] as StoredOptions[K] | undefined) ??
    fallback;
  return {
    sample: pick('sample', 1),
    seed: pick('seed', 1),
    replica: pick('replica', 0),
    limit: pick('limit', null),
    redact: pick('redact', false),
    skipInvalid: pick('skipInvalid', false),
    stream: pick('stream', config.run.stream),
    concurrency: pick('concurrency', config.run.concurrency),
    rps: pick('rps', null),
    pace: pick('pace', 'none'),
    speed: pick('speed', 1),
  };
}

export function checkOptions(o: StoredOptions, budgetUsd: number | null, graceMs: number): void {
  const problems: string[] = [];
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1)
    problems.push('--concurrency: must be an integer >= 1');
  if (o.rps !== null && !(Number.isFinite(o.rps) && o.rps > 0)) problems.push('--rps: must be a number > 0');
  if (!(Number.isFinite(o.speed) && o.speed > 0)) problems.push('--speed: must be a number > 0');
  if (o.pace !== 'none' && o.pace !== 'recorded') problems.push('--pace: must be none or recorded');
  if (o.limit !== null && !(Number.isInteger(o.limit) && o.limit >= 1)) {
    problems.push('--limit: must be an integer >= 1');
  }
  if (!(Number.isFinite(o.sample) && o.sample > 0 && o.sample <= 1)) {
    problems.push('--sample: must be a fraction in (0, 1]');
  }
  if (!(Number.isFinite(o.replica) && o.replica >= 0 && o.replica <= 1)) {
    problems.push('--replica: must be a fraction in [0, 1]');
  }
  if (!Number.isSafeInteger(o.seed)) problems.push('--seed: must be an integer');
  if (budgetUsd !== null && !(Number.isFinite(budgetUsd) && budgetUsd >= 0)) {
    problems.push('--budget-usd: must be a number >= 0');
  }
  if (!(Number.isFinite(graceMs) && graceMs >= 0)) problems.push('graceMs: must be >= 0');
  if (problems.length > 0)
    throw new UsageError(problems.length === 1 ? problems[0]! : 'invalid options', problems);
}

function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
