/** Renders contention simulation results as a table or JSON-ready objects. Pure. */
import type { ContentionResult } from './contention-sim.js';
import { textTable } from './text-table.js';

/** The table `shadowgate retry simulate` prints: one row per strategy and jitter, fewest calls first. */
export function formatContention(results: readonly ContentionResult[]): string {
  const first = results[0];
  if (!first) return 'no results\n';
  const sorted = [...results].sort((a, b) => a.calls - b.calls);
  const rows = sorted.map((r) => [
    r.strategy,
    r.jitter,
    r.calls.toFixed(1),
    r.conflicts.toFixed(1),
    Math.round(r.completionMs).toString(),
  ]);
  return (
    [
      `${first.clients} clients, one optimistic-concurrency write each, averaged over ${first.runs} run(s)`,
      '',
      ...textTable([['strategy', 'jitter', 'calls', 'conflicts', 'completion ms'], ...rows], [2, 3, 4]),
    ].join('\n') + '\n'
  );
}

/** The `--json` shape, snake_case keys; numbers rounded to 0.1. */
export function contentionJson(r: ContentionResult): Record<string, unknown> {
  return {
    clients: r.clients,
    strategy: r.strategy,
    jitter: r.jitter,
    runs: r.runs,
    calls: round(r.calls),
    conflicts: round(r.conflicts),
    completion_ms: round(r.completionMs),
  };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
