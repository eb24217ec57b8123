/** Words shared by the Markdown and HTML renderers, so both say the same thing. */
import { formatCount, formatMs, formatPct, formatShare, formatUsd } from './number-format.js';
import type { ArmName, ArmReport, ShadowReport } from './shadow-report.js';

export const ARM_TITLES: Record<ArmName, string> = {
  baseline: 'Baseline',
  candidate: 'Candidate',
  baseline_replica: 'Baseline replica (noise floor)',
};

const CLASS_TITLES: Record<string, string> = {
  http_429: 'HTTP 429',
  http_5xx: 'HTTP 5xx',
  http_4xx: 'HTTP 4xx',
  timeout_connect: 'timeout (connect)',
  timeout_headers: 'timeout (headers)',
  timeout_body: 'timeout (body)',
  timeout_total: 'timeout (total)',
  network: 'network',
  protocol: 'protocol',
  stream_interrupted: 'stream interrupted',
  circuit_open: 'circuit open',
  retry_budget_exhausted: 'retry budget exhausted',
  deadline_exceeded: 'deadline exceeded',
  canceled: 'canceled',
};

/** `http_503` -> `HTTP 503`, `timeout_headers` -> `timeout (headers)`; unknown keys as they are. */
export function errorClassTitle(key: string): string {
  const status = /^http_(\d{3})$/.exec(key);
  if (status) return `HTTP ${status[1]}`;
  return CLASS_TITLES[key] ?? key;
}

/** The arms present, in report order. */
export function sortedArms(report: ShadowReport): ArmReport[] {
  return (['baseline', 'candidate', 'baseline_replica'] as const)
    .map((arm) => report.arms[arm])
    .filter((a): a is ArmReport => a !== undefined);
}

/** One sentence under the verdict: what the numbers that matter most say. */
export function decisionSummary(report: ShadowReport): string {
  const b = report.arms.baseline;
  const c = report.arms.candidate;
  const cost = report.comparison.cost;
  const parts = [
    `candidate error rate ${formatShare(c?.errorRate ?? null, 2)} vs ${formatShare(b?.errorRate ?? null, 2)}`,
    `p95 latency ${formatMs(c?.latencyMs.p95 ?? null)} vs ${formatMs(b?.latencyMs.p95 ?? null)}`,
  ];
  if (cost.savingsPct !== null) {
    parts.push(`saves ${formatPct(cost.savingsPct)} (${formatUsd(cost.monthly.savingsUsd)} a month)`);
  }
  const failing = report.verdict.gates.filter((g) => g.status !== 'pass').length;
  parts.push(
    failing === 0 ? 'every gate passes' : `${failing} of ${report.verdict.gates.length} gates not passed`,
  );
  return `${parts.join('; ')}.`;
}

/** The column title of the report's intervals: `90% interval` at the default confidence 0.95. */
export function intervalTitle(report: ShadowReport): string {
  return `${Math.round(report.comparison.confidenceLevel * 1000) / 10}% interval`;
}

/**
 * One sentence on the circuit breakers, or null when none opened and the
 * replay never paused: how often each provider's opened, for how long, and
 * how long dispatch paused meanwhile.
 */
export function breakerSentence(report: ShadowReport): string | null {
  const { pausedMs, openings } = report.breaker;
  const opened = (['baseline', 'candidate'] as const).filter((arm) => openings[arm].count > 0);
  if (opened.length === 0 && pausedMs === 0) return null;
  const parts = opened.map((arm) => {
    const { count, openMs } = openings[arm];
    return `the ${arm}'s opened ${count} time${count === 1 ? '' : 's'} (open ${formatMs(openMs)} in all)`;
  });
  return (
    `Circuit breakers: ${parts.length ? parts.join(', ') : 'none opened'}. ` +
    `The replay paused dispatch to both arms for ${formatMs(pausedMs)} while a breaker was open, ` +
    'so prompts were sent once it half-opened instead of being refused.'
  );
}

/** One line on what the arm's failures may have cost: booked against the budget, not in the cost above. */
export function failureSpendText(a: ArmReport): string {
  const { usd, attempts } = a.failureSpend;
  if (attempts === 0) return 'Spend on failures: none (no failed attempt that may have been billed)';
  return (
    `Spend on failures: ${formatUsd(usd)} estimated over ${formatCount(attempts)} failed attempt${attempts === 1 ? '' : 's'} ` +
    "(timeouts, broken streams, abandoned attempts), counted in the run's spend and budget, not in the cost above"
  );
}

/** `0.42`, `3.1`, `120`: a timing error in ms, to the precision it has. */
function errorMs(ms: number): string {
  return ms < 1 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

/**
 * How accurate the report's latencies are, from the run's own instrument:
 * `Timings accurate to ±X ms, p99 ...`; null for a run recorded without it.
 */
export function accuracySentence(report: ShadowReport): string | null {
  const i = report.instrument;
  if (i === null) return null;
  return (
    `Timings accurate to ±${errorMs(i.timingErrorBoundP99Ms)} ms, p99 ` +
    `(the harness's own event-loop delay around each attempt, over ${i.attempts} attempts; ` +
    `loop delay p50 ${errorMs(i.eventLoopDelayP50Ms)} ms, p99 ${errorMs(i.eventLoopDelayP99Ms)} ms, max ${errorMs(i.eventLoopDelayMaxMs)} ms).`
  );
}

/** The warning for a saturated run, or null. */
export function saturationWarning(report: ShadowReport): string | null {
  const i = report.instrument;
  if (i === null || !i.saturated) return null;
  const limited = report.verdict.gates.filter((g) => g.timingError !== undefined).map((g) => g.name);
  return (
    `Warning: the harness was saturated: its timing error bound (p99 ±${errorMs(i.timingErrorBoundP99Ms)} ms) exceeds ${errorMs(i.thresholdMs)} ms, ` +
    'so latencies were read late by up to that much. ' +
    (limited.length > 0
      ? `Latency gates whose tolerance is within the error are inconclusive: ${limited.join(', ')}. `
      : 'Latency gates whose tolerance is within the error would be inconclusive; none is. ') +
    'Rerun with a lower --concurrency.'
  );
}
