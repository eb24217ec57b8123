/**
 * Report: time to build the shadow report from the largest scale run's db
 * (1M requests in the full run), through the real command in its own process.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type BenchContext, fmt, type SectionOutcome, type TableRow } from '../bench-context.js';
import { CLI_PATH, runNodeChild } from '../child-processes.js';
import { round } from '../summary-stats.js';

/** The report target is stated for this many requests. */
export const REPORT_TARGET_REQUESTS = 1_000_000;

export interface ReportJson {
  /** Requests in the run reported on (1,000,000 when the scale run had more: a trimmed copy). */
  requests: number;
  /** `report shadow --format json`, wall time of the command (node startup included). */
  seconds: number;
  /** `--format md,html,json`. */
  all_formats_seconds: number;
  /** Peak RSS of the report process (VmHWM polled), MB. */
  peak_rss_mb: number | null;
  /** The same, on the whole largest scale run when it had more than 1M requests. */
  largest?: { requests: number; seconds: number; all_formats_seconds: number };
}

/**
 * A copy of the scale run's db trimmed to its first `prompts` prompts (every
 * arm's rows of those prompts kept), so the report is timed on exactly the
 * issue's 1M requests. The bench edits the public schema with SQL, as a user could.
 */
function trimmedCopy(dbPath: string, runId: string, prompts: number, outPath: string): number {
  if (!existsSync(outPath)) {
    copyFileSync(dbPath, outPath);
    const db = new Database(outPath);
    try {
      db.pragma('journal_mode = WAL');
      db.transaction(() => {
        const keep = 'SELECT prompt_id FROM prompts WHERE run_id = @run AND seq < @n';
        db.prepare(`DELETE FROM attempts WHERE run_id = @run AND prompt_id NOT IN (${keep})`).run({
          run: runId,
          n: prompts,
        });
        db.prepare(`DELETE FROM requests WHERE run_id = @run AND prompt_id NOT IN (${keep})`).run({
          run: runId,
          n: prompts,
        });
        db.prepare('DELETE FROM prompts WHERE run_id = @run AND seq >= @n').run({ run: runId, n: prompts });
      })();
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
  }
  const db = new Database(outPath, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM requests WHERE run_id = ?').get(runId) as { n: number }).n;
  } finally {
    db.close();
  }
}

export async function benchReport(ctx: BenchContext): Promise<SectionOutcome<ReportJson>> {
  const run = ctx.shared.largestRun;
  if (!run)
    throw new Error('the report section needs the scale section in the same bench run (its largest db)');
  const out = join(ctx.workDir, 'reports');
  mkdirSync(out, { recursive: true });
  const timeReport = async (formats: string, dbPath: string) => {
    const child = await runNodeChild<undefined>(
      CLI_PATH,
      ['report', 'shadow', '--run', run.runId, '--db', dbPath, '--format', formats, '--out', out],
      {
        json: false,
        ...(ctx.options.cpuProfDir
          ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${ctx.options.cpuProfDir}`] }
          : {}),
      },
    );
    return { seconds: child.wallMs / 1000, peakRssMb: child.polledPeakRssMb };
  };

  let dbPath = run.dbPath;
  let requests = run.requests;
  let largest: ReportJson['largest'];
  if (run.requests > REPORT_TARGET_REQUESTS) {
    const whole = await timeReport('json', run.dbPath);
    const wholeAll = await timeReport('md,html,json', run.dbPath);
    largest = {
      requests: run.requests,
      seconds: round(whole.seconds, 2)!,
      all_formats_seconds: round(wholeAll.seconds, 2)!,
    };
    ctx.log(
      `report on ${fmt(run.requests)} requests: json ${whole.seconds.toFixed(1)} s, md+html+json ${wholeAll.seconds.toFixed(1)} s`,
    );
    dbPath = join(ctx.workDir, 'report-1m.db');
    requests = trimmedCopy(run.dbPath, run.runId, REPORT_TARGET_REQUESTS / 2, dbPath);
  }
  const jsonOnly = await timeReport('json', dbPath);
  const all = await timeReport('md,html,json', dbPath);
  ctx.log(
    `report on ${fmt(requests)} requests: json ${jsonOnly.seconds.toFixed(1)} s, md+html+json ${all.seconds.toFixed(1)} s`,
  );
  const json: ReportJson = {
    requests,
    seconds: round(jsonOnly.seconds, 2)!,
    all_formats_seconds: round(all.seconds, 2)!,
    peak_rss_mb: round(Math.max(jsonOnly.peakRssMb ?? 0, all.peakRssMb ?? 0) || null, 1),
    ...(largest ? { largest } : {}),
  };
  const rows: TableRow[] = [
    {
      section: 'report',
      metric: `shadow report json, ${fmt(requests)} requests (s)`,
      value: fmt(jsonOnly.seconds, 1),
      target: '< 15 s',
      met: jsonOnly.seconds < 15,
    },
    {
      section: 'report',
      metric: `shadow report md + html + json, ${fmt(requests)} requests (s)`,
      value: fmt(all.seconds, 1),
    },
  ];
  if (largest) {
    rows.push({
      section: 'report',
      metric: `shadow report json, ${fmt(largest.requests)} requests (s)`,
      value: fmt(largest.seconds, 1),
    });
  }
  return { json, rows };
}
