/**
 * The run measures its own timing error. A latency is two readings of
 * `performance.now()` taken in callbacks on the harness's event loop; when
 * the loop is busy (SQLite writes, hashing, parsing, similarity, another
 * request's callbacks), a callback runs late and the reading is late by as
 * much. Two measurements bound that:
 *
 * - the run's event-loop delay, from `perf_hooks.monitorEventLoopDelay`
 *   (p50, p99, max over the run);
 * - per attempt, an upper bound of its timing error: the loop delay a
 *   sampling timer observed at each of the attempt's readings (start,
 *   headers, first token: the lateness of the timer's first firing after the
 *   reading, since a stall is seen by the first firing after it), and, when
 *   the timer is overdue as the end is read, how overdue it is (a stall
 *   still in progress). A stall between readings moves none of them.
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
   * The upper bound of the timing error of an attempt that lasted
   * `durationMs` and whose end was read just now, ms; recorded for the run's
   * percentiles. A reading is late by the stall it was taken in. A firing of
   * the sampling timer due at d and fired at f, late by f - d, shows the loop
   * stalled from d to f; a reading at r was in that stall when d <= r <= f,
   * or just after it when the stall ended in a timer of the same loop turn
   * (f up to one sampling interval before r). The bound is the largest
   * lateness of the firings so placed around each reading of an event (each
   * of `readingOffsetsMs`, the headers' and first and last token's offsets
   * from the start, and the end just read, with how overdue the timer is now:
   * a stall still in progress) and of the firings whose stall held the start.
   * A stall in the middle of the attempt that no reading fell in moves none
   * of its timings, and does not count.
   */
  attemptBoundMs(durationMs: number, readingOffsetsMs: readonly (number | null)[] = []): number {
    const endMs = this.now();
    const startMs = endMs - durationMs;
    let bound = 0;
    if (!Number.isNaN(this.nextDueMs) && endMs > this.nextDueMs) bound = endMs - this.nextDueMs;
    bound = Math.max(bound, this.latenessAround(startMs, endMs, 0), this.latenessAround(endMs, endMs));
    for (const offset of readingOffsetsMs) {
      if (offset !== null && offset >= 0 && offset <= durationMs)
        bound = Math.max(bound, this.latenessAround(startMs + offset, endMs));
    }
    this.bounds.record(Math.max(1, Math.round(bound * 1000)));
    return bound;
  }

  /**
   * The largest lateness of the firings whose stall held `readingMs` (due at
   * or before it, fired at or after it) or ended up to `beforeMs` (default
   * one sampling interval) before it; none fired after `untilMs`, the moment
   * the bound is read. 0 when there are none.
   */
  private latenessAround(readingMs: number, untilMs: number, beforeMs = this.sampleIntervalMs): number {
    const fromMs = readingMs - beforeMs;
    // Firings are in time order in the ring: a binary search over the ones it still holds.
    let lo = Math.max(0, this.samples - RING_SIZE);
    let hi = this.samples;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.firedAt[mid % RING_SIZE]! < fromMs) lo = mid + 1;
      else hi = mid;
    }
    let late = 0;
    for (let k = lo; k < this.samples; k++) {
      const i = k % RING_SIZE;
      const at = this.firedAt[i]!;
      const lateMs = this.lateMs[i]!;
      if (at > untilMs || (at > readingMs && at - lateMs > readingMs)) break; // due after the reading: later stalls
      if (at - lateMs <= readingMs && lateMs > late) late = lateMs;
    }
    return late;
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
