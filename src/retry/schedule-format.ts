/** Renders a RetrySchedule as a readable table or a JSON-ready object. Pure. */
import type { RetrySchedule } from './schedule.js';
import { textTable } from './text-table.js';

const HEADERS = ['attempt', 'wait', 'strategy delay', 'jitter range', 'sample', 'worst case so far'];

/** The table `shadowgate retry schedule` prints. Durations in ms, rounded. */
export function formatRetrySchedule(s: RetrySchedule): string {
  const p = s.policy;
  const jitter =
    p.jitter === 'range'
      ? `range [${p.jitterRange[0]}, ${p.jitterRange[1]}] jitter`
      : p.jitter === 'none'
        ? 'no jitter'
        : `${p.jitter} jitter`;
  const lines: string[] = [
    `${p.strategy} backoff, ${jitter}, base ${ms(p.baseDelayMs)}, max delay ${ms(p.maxDelayMs)}, ` +
      `${p.maxAttempts} attempt${p.maxAttempts === 1 ? '' : 's'} (the first included)` +
      (s.randomised ? `; sample drawn with seed ${s.seed}` : ''),
    '',
  ];
  const rows = s.rows.map((r) =>
    r.wait === null
      ? [String(r.attempt), 'none (first try)', '-', '-', '-', ms(0)]
      : [
          String(r.attempt),
          `wait ${r.wait}`,
          range(r.strategyMinMs, r.strategyMaxMs),
          range(r.minMs, r.maxMs),
          ms(r.sampleMs),
          ms(r.cumulativeWorstMs),
        ],
  );
  lines.push(...textTable([HEADERS, ...rows], [0, 2, 3, 4, 5]), '');
  lines.push(`worst-case total wait: ${ms(s.worstCaseWaitMs)}${seconds(s.worstCaseWaitMs)}`);
  const attemptsPart = `${p.maxAttempts} x ${ms(p.attemptTimeoutMs)} attempt timeout + ${ms(s.worstCaseWaitMs)} of waits`;
  lines.push(
    s.worstCaseTotalMs < s.worstCaseUncappedMs
      ? `worst-case total time: ${ms(s.worstCaseTotalMs)}${seconds(s.worstCaseTotalMs)}, the total deadline ` +
          `(${attemptsPart} = ${ms(s.worstCaseUncappedMs)} would pass it)`
      : `worst-case total time: ${ms(s.worstCaseTotalMs)}${seconds(s.worstCaseTotalMs)} (${attemptsPart})`,
  );
  if (s.unreachableAttempts > 0) {
    lines.push(
      `note: the last ${s.unreachableAttempts} attempt(s) can never start: even the shortest waits reach the ` +
        `total deadline (${ms(p.totalDeadlineMs)}) first`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The `--json` shape: snake_case keys, ms rounded to 0.1. */
export function retryScheduleJson(s: RetrySchedule): Record<string, unknown> {
  return {
    policy: s.policy,
    seed: s.seed,
    randomised: s.randomised,
    attempts: s.rows.map((r) => ({
      attempt: r.attempt,
      wait: r.wait,
      strategy_delay_ms: { min: round(r.strategyMinMs), max: round(r.strategyMaxMs) },
      delay_ms: { min: round(r.minMs), max: round(r.maxMs), sample: round(r.sampleMs) },
      cumulative_worst_ms: round(r.cumulativeWorstMs),
      cumulative_sample_ms: round(r.cumulativeSampleMs),
    })),
    worst_case_wait_ms: round(s.worstCaseWaitMs),
    worst_case_total_ms: round(s.worstCaseTotalMs),
    deadline_limited: s.worstCaseTotalMs < s.worstCaseUncappedMs,
    unreachable_attempts: s.unreachableAttempts,
  };
}

function ms(v: number): string {
  return `${Math.round(v)} ms`;
}

function range(lo: number, hi: number): string {
  return Math.round(lo) === Math.round(hi) ? ms(lo) : `${Math.round(lo)}-${Math.round(hi)} ms`;
}

function seconds(v: number): string {
  return v >= 1000 ? ` (${(v / 1000).toFixed(1)} s)` : '';
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
