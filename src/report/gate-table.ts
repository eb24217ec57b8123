/** A verdict as `shadowgate gate` prints it: a plain-text gate table, or one JSON object. Pure. */
import type { Verdict } from '../judge/gates.js';
import { formatInterval, formatMetricValue } from './number-format.js';

/** Column-aligned text: one row per gate, then the reasons and the decision. */
export function renderGateText(verdict: Verdict, intervalTitle: string): string {
  const header = ['gate', 'metric', 'observed', intervalTitle, 'threshold', 'n', 'status', 'on fail'];
  const rows = verdict.gates.map((g) => [
    g.name,
    g.metric,
    formatMetricValue(g.metric, g.observed),
    g.interval === null ? 'point only' : formatInterval(g.interval, (v) => formatMetricValue(g.metric, v)),
    `${g.op} ${formatMetricValue(g.metric, g.threshold)}`,
    String(g.n),
    g.status,
    g.onFail,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map(line), ''];
  for (const reason of verdict.reasons) out.push(`- ${reason}`);
  out.push('', `decision: ${verdict.decision}`);
  return `${out.join('\n')}\n`;
}

/** The `--json` contract: decision, gates (name, metric, observed, interval, threshold, n, status, ...), reasons. */
export function gateJson(verdict: Verdict, extra: Record<string, unknown>): string {
  return `${JSON.stringify(
    {
      ...extra,
      decision: verdict.decision,
      gates: verdict.gates.map((g) => ({
        name: g.name,
        metric: g.metric,
        observed: g.observed,
        interval: g.interval,
        op: g.op,
        threshold: g.threshold,
        n: g.n,
        min_samples: g.minSamples,
        status: g.status,
        on_fail: g.onFail,
        basis: g.basis,
        more_samples: g.moreSamples,
        // Only on a latency gate a saturated run's timing error made inconclusive.
        ...(g.timingError
          ? {
              timing_error: {
                tolerance_ms: g.timingError.toleranceMs,
                error_ms: g.timingError.errorMs,
                status_without_limit: g.timingError.statusWithoutLimit,
              },
            }
          : {}),
      })),
      reasons: verdict.reasons,
    },
    null,
    2,
  )}\n`;
}
