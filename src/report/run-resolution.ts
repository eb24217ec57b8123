/** Which shadow run a report is for, and what its stored options say about it. */
import type { Database } from 'better-sqlite3';
import { UsageError } from '../shared/errors.js';
import { findRun, listRunIds, type RunRecord } from '../store/report-queries.js';
import type { ReportSource } from './report-source.js';

/**
 * The run a report is for: the id given, `latest` (newest shadow run), or,
 * with none given, the only shadow run in the db. UsageError otherwise.
 */
export function resolveShadowRunId(db: Database, requested: string | undefined): string {
  if (requested !== undefined && requested !== 'latest')
    return checkNamedRun(requested, findRun(db, requested));
  return pickShadowRun(requested, listRunIds(db, 'shadow'));
}

/** resolveShadowRunId for any store. */
export async function resolveShadowRunIdFrom(
  source: ReportSource,
  requested: string | undefined,
): Promise<string> {
  if (requested !== undefined && requested !== 'latest')
    return checkNamedRun(requested, await source.findRun(requested));
  return pickShadowRun(requested, await source.listRunIds('shadow'));
}

function checkNamedRun(requested: string, run: RunRecord | undefined): string {
  if (!run)
    throw new UsageError(
      `no run ${requested} in this database (shadowgate runs lists them)`,
      [],
      'run_unknown',
    );
  if (run.kind !== 'shadow') {
    throw new UsageError(`run ${requested} is a ${run.kind} run, not a shadow run`, [], 'run_kind');
  }
  return run.id;
}

/** `latest` or none given: `ids` are the shadow runs, newest first. */
function pickShadowRun(requested: string | undefined, ids: string[]): string {
  if (ids.length === 0) throw new UsageError('no shadow runs in this database', [], 'run_unknown');
  if (requested === undefined && ids.length > 1) {
    throw new UsageError(
      `this database holds ${ids.length} shadow runs: name one with --run ID or --run latest`,
    );
  }
  return ids[0]!;
}

/**
 * Whether the run streamed: its options (flags) win over its config. Only
 * streaming runs measure a real time to first token.
 */
export function wasStreaming(run: RunRecord): boolean {
  for (const json of [run.optionsJson, run.configJson]) {
    if (!json) continue;
    try {
      const parsed = JSON.parse(json) as { stream?: unknown; run?: { stream?: unknown } };
      const stream = parsed.stream ?? parsed.run?.stream;
      if (typeof stream === 'boolean') return stream;
    } catch {
      // A malformed column says nothing about streaming; try the next one.
    }
  }
  return false;
}
