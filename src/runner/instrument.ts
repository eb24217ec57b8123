/**
 * The run measures its own timing error. A latency is two readings of
 * `performance.now()` taken in callbacks on the harness's event loop; when
 * the loop is busy (SQLite writes, hashing, parsing, similarity, another
 * request's callbacks), a callback runs late and the reading is late by as
 * much. Two measurements bound that:
 *
 * - the run's event-loop delay, from `perf_hooks.monitorEventLoopDelay`
 *   (p50, p99, max over the run);
 * - per attempt, an upper bound of its timing error: the largest loop delay
 *   a sampling timer observed between the attempt's start and the moment its
 *   end was read, and, when the sampling timer is overdue at that moment, how
 *   overdue it is (a stall still in progress). A stall is seen by the first
 *   firing after it; every reading of the attempt (start, headers, first
 *   token, end) was taken inside that window, so none was late by more.
 *
 * The run is `saturated` when the bound's p99 exceeds the threshold
 * (default 5 ms): its latencies then carry an error comparable to the
 * differences a gate looks for.
 */
import { createHistogram, monitorEventLoopDelay, type RecordableHistogram } from 'node:perf_hooks';

/** Above this bound p99, ms, a run is `saturated`. */
export const SATURATION_THRESHOLD_MS = 5;
/** How often the sampling timer fires, ms. */
export const DEFAULT_SAMPLE_INTERVAL_MS = 10;
/** The window over which the loop delay's median must exceed the threshold before `run` warns, ms. */
export const DEFAULT_SUSTAIN_MS = 3000;
/** Samples kept for the per-attempt bound: 65,536 x 10 ms is about 11 minutes of attempt. */
const RING_SIZE = 65_536;

/** The `runs.instrument_json` record and the `instrument` of `run --json`. Durations in ms. */
export interface InstrumentRecord {
  event_loop_delay_p50_ms: number;
  event_loop_delay_p99_ms: number;
  event_loop_delay_max_ms: number;
  /** Attempts whose bound was recorded. */
  attempts: number;
  timing_error_bound_p50_ms: number;
  timing_error_bound_p99_ms: number;
  timing_error_bound_max_ms: number;
  /** The saturation threshold the run was judged by. */
  threshold_ms: number;
  /** timing_error_bound_p99_ms > threshold_ms. */
  saturated: boolean;
  /** Sessions of the run the record covers (a resumed run keeps the worst figures of its sessions). */
  sessions: number;
}

/** The part of a perf_hooks histogram the instrument reads; values in ns. */
export interface DelayHistogram {
  readonly count: number;
  readonly max: number;
  percentile(p: number): number;
}

/** A source of loop-delay samples: started with the sink, returns its stop. */
export type SampleSource = (record: (atMs: number, lateMs: number) => void) => () => void;

export interface RunInstrumentOptions {
  /** Monotonic ms; default performance.now (the clock the provider client times attempts with). */
  now?: () => number;
  /** Saturation threshold, ms. Default SATURATION_THRESHOLD_MS. */
  thresholdMs?: number;
  /** Sampling timer period, ms. Default DEFAULT_SAMPLE_INTERVAL_MS. */
  sampleIntervalMs?: number;
  /** The window whose median loop delay must exceed the threshold for `onSustainedDelay`, ms. Default 3000. */
  sustainMs?: number;
  /**
   * Where samples come from. Default `'timer'`: a timer every sampleIntervalMs
   * and perf_hooks.monitorEventLoopDelay for the run's loop delay. A function
   * is started by start() with the sink to feed (`recordSample`) and returns
   * its stop; null: no source, the caller feeds recordSample (tests). Without
   * the timer, the run's loop delay is read from the samples fed.
   */
  sampler?: 'timer' | SampleSource | null;
  /** Called at most once per `sustainMs x 10` while the median loop delay over sustainMs stays above the threshold. */
  onSustainedDelay?: (medianDelayMs: number, windowMs: number) => void;
}

/**
 * One session's instrument. start() before the first request, stop() after
 * the last; attemptBoundMs() as each attempt ends; record() for the summary.
 */
export class RunInstrument {
  readonly thresholdMs: number;
  readonly sampleIntervalMs: number;
  private readonly now: () => number;
  private readonly sampler: 'timer' | SampleSource | null;
  private stopSource: (() => void) | null = null;
  private readonly sustainMs: number;
  private readonly onSustainedDelay: ((medianDelayMs: number, windowMs: number) => void) | null;
  /** The sampling timer's firings: when (monotonic ms) and how late (ms), in a ring. */
  private readonly firedAt = new Float64Array(RING_SIZE);
  private readonly lateMs = new Float64Array(RING_SIZE);
  private samples = 0;
  /** When the sampling timer is next due; NaN while not running. */
  private nextDueMs = Number.NaN;
  private timer: NodeJS.Timeout | null = null;
  private monitor: ReturnType<typeof monitorEventLoopDelay> | null = null;
  /** Sampled lateness, ns: the run's loop delay when there is no monitor (a sampler other than the timer). */
  private readonly sampled: RecordableHistogram = createHistogram();
  /** Per-attempt bounds, µs (a histogram: flat memory at any run size). */
  private readonly bounds: RecordableHistogram = createHistogram();
  private lastCheckedMs = Number.NEGATIVE_INFINITY;
  private lastWarnedMs = Number.NEGATIVE_INFINITY;

  constructor(options: RunInstrumentOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.thresholdMs = options.thresholdMs ?? SATURATION_THRESHOLD_MS;
    this.sampleIntervalMs = options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
    this.sustainMs = options.sustainMs ?? DEFAULT_SUSTAIN_MS;
    this.sampler = options.sampler === undefined ? 'timer' : options.sampler;
    this.onSustainedDelay = options.onSustainedDelay ?? null;
  }

  start(): void {
    if (this.timer !== null || this.stopSource !== null || this.sampler === null) return;
    if (this.sampler === 'timer') {
      this.monitor = monitorEventLoopDelay({ resolution: this.sampleIntervalMs });
      this.monitor.enable();
      this.arm(this.now());
    } else {
      this.stopSource = this.sampler((atMs, lateMs) => this.recordSample(atMs, lateMs));
    }
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.stopSource?.();
    this.stopSource = null;
    this.nextDueMs = Number.NaN;
    this.monitor?.disable();
  }

  /** One timer for the whole run, re-armed with refresh(): no new timer object per firing. */
  private arm(fromMs: number): void {
    this.nextDueMs = fromMs + this.sampleIntervalMs;
    const timer = setTimeout(() => {
      const t = this.now();
      this.recordSample(t, Math.max(0, t - this.nextDueMs), t + this.sampleIntervalMs);
      timer.refresh();
    }, this.sampleIntervalMs);
    // The instrument never keeps a finished run's process alive.
    timer.unref();
    this.timer = timer;
  }

  /**
   * One firing of the sampling timer: at `atMs` (monotonic), `lateMs` after it
   * was due; `nextDueMs` when the source knows when it fires next (a stall is
   * then seen while it lasts, as the source being overdue).
   */
  recordSample(atMs: number, lateMs: number, nextDueMs = Number.NaN): void {
    const i = this.samples % RING_SIZE;
    this.firedAt[i] = atMs;
    this.lateMs[i] = lateMs;
    this.samples++;
    this.nextDueMs = nextDueMs;
    this.sampled.record(Math.max(1, Math.round(lateMs * 1e6)));
    this.watchSustained(atMs);
  }

  /**
   * Every sustainMs / 4, the median loop delay over the last sustainMs: above
   * the threshold, the loop has stayed delayed (a median, so that a quiet
   * sample now and then does not hide a saturated loop, nor one stall make a
   * warning).
   */
  private watchSustained(atMs: number): void {
    if (this.onSustainedDelay === null || atMs - this.lastCheckedMs < this.sustainMs / 4) return;
    this.lastCheckedMs = atMs;
    const fromMs = atMs - this.sustainMs;
    const oldest = Math.max(0, this.samples - RING_SIZE);
    if (oldest === this.samples || this.firedAt[oldest % RING_SIZE]! > fromMs) return; // not a full window yet
    const window: number[] = [];
    for (let k = this.samples - 1; k >= oldest; k--) {
      const i = k % RING_SIZE;
      if (this.firedAt[i]! < fromMs) break;
      window.push(this.lateMs[i]!);
    }
    window.sort((x, y) => x - y);
    const medianMs = window[window.length >> 1] ?? 0;
    if (medianMs > this.thresholdMs && atMs - this.lastWarnedMs >= this.sustainMs * 10) {
      this.lastWarnedMs = atMs;
      this.onSustainedDelay(medianMs, this.sustainMs);
    }
  }

  /**
   * The upper bound of the timing error of an attempt that lasted `durationMs`
   * and whose end was read just now, ms; recorded for the run's percentiles.
   */
  attemptBoundMs(durationMs: number): number {
    const endMs = this.now();
    // A sample that fired before the attempt started saw a stall that ended before it, too.
    const fromMs = endMs - durationMs;
    let bound = 0;
    // An overdue timer means the loop is stalled right now: the end reading is late by at least that.
    if (!Number.isNaN(this.nextDueMs) && endMs > this.nextDueMs) bound = endMs - this.nextDueMs;
    const oldest = Math.max(0, this.samples - RING_SIZE);
    for (let k = this.samples - 1; k >= oldest; k--) {
      const i = k % RING_SIZE;
      if (this.firedAt[i]! < fromMs) break;
      if (this.lateMs[i]! > bound) bound = this.lateMs[i]!;
    }
    this.bounds.record(Math.max(1, Math.round(bound * 1000)));
    return bound;
  }

  /** This session's figures. */
  record(): InstrumentRecord {
    // The monitor's values are whole intervals of its own timer: the delay is what exceeds the resolution.
    const loop: DelayHistogram = this.monitor ?? this.sampled;
    const floorNs = this.monitor ? this.sampleIntervalMs * 1e6 : 0;
    const loopMs = (ns: number) => (loop.count > 0 ? roundMs(Math.max(0, ns - floorNs) / 1e6) : 0);
    const attempts = this.bounds.count;
    const boundMs = (us: number) => (attempts > 0 ? roundMs(us / 1000) : 0);
    const p99 = boundMs(this.bounds.percentile(99));
    return {
      event_loop_delay_p50_ms: loopMs(loop.percentile(50)),
      event_loop_delay_p99_ms: loopMs(loop.percentile(99)),
      event_loop_delay_max_ms: loopMs(loop.max),
      attempts,
      timing_error_bound_p50_ms: boundMs(this.bounds.percentile(50)),
      timing_error_bound_p99_ms: p99,
      timing_error_bound_max_ms: boundMs(this.bounds.max),
      threshold_ms: this.thresholdMs,
      saturated: p99 > this.thresholdMs,
      sessions: 1,
    };
  }
}

/**
 * A resumed run's record: the worst of each figure over its sessions (the
 * percentiles of two sessions cannot be merged exactly; the worst is the
 * honest bound). Saturated when any session was.
 */
export function mergeRecords(earlier: InstrumentRecord | null, session: InstrumentRecord): InstrumentRecord {
  if (earlier === null) return session;
  const worst = (k: keyof InstrumentRecord) => Math.max(earlier[k] as number, session[k] as number);
  const p99 = worst('timing_error_bound_p99_ms');
  return {
    event_loop_delay_p50_ms: worst('event_loop_delay_p50_ms'),
    event_loop_delay_p99_ms: worst('event_loop_delay_p99_ms'),
    event_loop_delay_max_ms: worst('event_loop_delay_max_ms'),
    attempts: earlier.attempts + session.attempts,
    timing_error_bound_p50_ms: worst('timing_error_bound_p50_ms'),
    timing_error_bound_p99_ms: p99,
    timing_error_bound_max_ms: worst('timing_error_bound_max_ms'),
    threshold_ms: session.threshold_ms,
    saturated: earlier.saturated || session.saturated || p99 > session.threshold_ms,
    sessions: earlier.sessions + session.sessions,
  };
}

/** The warning `run` prints while the loop delay stays above the threshold. */
export function sustainedDelayWarning(
  medianDelayMs: number,
  windowMs: number,
  thresholdMs: number,
  concurrency: number,
): string {
  const lower = Math.max(1, Math.floor(concurrency / 2));
  return (
    `the harness's event loop has been delayed above ${thresholdMs} ms (median ${roundMs(medianDelayMs)} ms ` +
    `over the last ${(windowMs / 1000).toFixed(1)} s): its latency readings are late by as much; ` +
    `try a lower --concurrency (now ${concurrency}, e.g. --concurrency ${lower})`
  );
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
