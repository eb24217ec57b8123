import type { Arm } from '../runner/arms.js';
import type { ProgressSnapshot } from '../runner/run-progress.js';
import type { Clock } from '../shared/clock.js';
import type { TextSink } from './io.js';

export type { ProgressSnapshot };

export interface ProgressBarOptions {
  /** Shortest time between two redraws on a terminal, ms. Default 100 (~10 per second). */
  minRedrawMs?: number;
  /** Time between two plain lines when stderr is not a terminal, ms. Default 5000. */
  plainIntervalMs?: number;
}

const ARM_LABELS: Record<Arm, string> = { baseline: 'base', candidate: 'cand', baseline_replica: 'repl' };

/** `1:05:09` / `5:09`. */
export function formatDuration(ms: number): string {
  const totalS = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The status text after the bar: counts, rate, ETA, errors per arm, spend. Pure. */
export function renderProgressStatus(s: ProgressSnapshot): string {
  const ratePerS = s.elapsedMs > 0 ? (s.doneThisSession * 1000) / s.elapsedMs : 0;
  const parts: string[] = [];
  parts.push(s.total === null ? `${s.done}` : `${s.done}/${s.total}`);
  parts.push(`${ratePerS >= 100 ? ratePerS.toFixed(0) : ratePerS.toFixed(1)}/s`);
  if (s.total !== null) {
    const left = s.total - s.done;
    parts.push(
      left <= 0 ? 'ETA 0:00' : ratePerS > 0 ? `ETA ${formatDuration((left / ratePerS) * 1000)}` : 'ETA -',
    );
  }
  const errors: string[] = [];
  for (const arm of Object.keys(s.arms) as Arm[]) {
    const counts = s.arms[arm];
    if (counts) errors.push(`${ARM_LABELS[arm]} ${counts.error}`);
  }
  if (errors.length > 0) parts.push(`errors ${errors.join(' ')}`);
  parts.push(
    s.budgetUsd === null ? `$${s.spentUsd.toFixed(4)}` : `$${s.spentUsd.toFixed(4)}/$${s.budgetUsd}`,
  );
  return parts.join(' | ');
}

/** One terminal line: a bar sized to fit `columns`, then the status. Pure. */
export function renderProgressLine(s: ProgressSnapshot, columns: number): string {
  const status = renderProgressStatus(s);
  const barWidth = Math.min(30, columns - status.length - 4);
  if (s.total === null || s.total <= 0 || barWidth < 5) return status.slice(0, Math.max(0, columns - 1));
  const filled = Math.min(barWidth, Math.floor((s.done / s.total) * barWidth));
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${status}`;
}

/**
 * Draws progress on stderr: a bar redrawn in place at most ~10 times a second
 * on a terminal; a plain line every few seconds otherwise (CI logs stay short).
 */
export class ProgressBar {
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private lastDrawMs = Number.NEGATIVE_INFINITY;
  private drawn = false;
  private latest: ProgressSnapshot | null = null;
  private latestDrawn = true;

  constructor(
    private readonly sink: TextSink,
    private readonly clock: Clock,
    options: ProgressBarOptions = {},
  ) {
    this.tty = sink.isTTY === true;
    this.intervalMs = this.tty ? (options.minRedrawMs ?? 100) : (options.plainIntervalMs ?? 5000);
  }

  /** Cheap to call per finished prompt: draws only when the interval has passed. */
  update(snapshot: ProgressSnapshot): void {
    this.latest = snapshot;
    this.latestDrawn = false;
    const nowMs = this.clock.monotonic();
    if (nowMs - this.lastDrawMs < this.intervalMs) return;
    this.lastDrawMs = nowMs;
    this.draw(snapshot);
  }

  /** Draws the final state and ends the line. */
  finish(snapshot: ProgressSnapshot): void {
    this.draw(snapshot);
    if (this.tty) this.sink.write('\n');
    this.drawn = false;
  }

  /** Draws the latest state if the throttle held it back, and ends the line (success or not). */
  end(): void {
    if (this.latest && !this.latestDrawn) this.draw(this.latest);
    if (this.tty && this.drawn) this.sink.write('\n');
    this.drawn = false;
  }

  private draw(snapshot: ProgressSnapshot): void {
    if (this.tty) {
      const columns = this.sink.columns ?? 80;
      this.sink.write(`\r${renderProgressLine(snapshot, columns)}\x1b[K`);
    } else {
      this.sink.write(`progress: ${renderProgressStatus(snapshot)}\n`);
    }
    this.drawn = true;
    if (snapshot === this.latest) this.latestDrawn = true;
  }

  /** Whether a bar is on screen (callers printing other lines end it first). */
  get onScreen(): boolean {
    return this.tty && this.drawn;
  }
}
