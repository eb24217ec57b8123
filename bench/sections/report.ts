/**
 * Report: time to build the shadow report from the largest scale run's db
 * (1M requests in the full run), or from `--report-db PATH`, through the real
 * command in its own process; then the same db copied into a scratch
 * PostgreSQL database (`db copy`) and the report timed from there.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectPg } from '../../src/store/pg/open-pg-store.js';
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
  /** CPU time (user + system) of the `--format json` process, s: the figure to read on a busy machine. */
  cpu_seconds: number | null;
  /** 1-minute load average when the `--format json` report started. */
  load_average_1m: number;
  /** Peak RSS of the report process (VmHWM polled), MB. The SQLite file is memory-mapped, so its pages count here. */
  peak_rss_mb: number | null;
  /** The same run copied into PostgreSQL; null when skipped (`--pg none`) or the server was unreachable. */
  postgres: PgReportJson | null;
  /** The same, on the whole largest scale run when it had more than 1M requests. */
  largest?: { requests: number; seconds: number; all_formats_seconds: number };
}

export interface PgReportJson {
  /** `shadowgate db copy --from sqlite:PATH --to postgres://...`, wall time, s. */
  copy_seconds: number;
  /** `report shadow --db postgres://... --format json`, wall time, s. */
  seconds: number;
  cpu_seconds: number | null;
  load_average_1m: number;
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

/** The latest shadow run of a db and its request count (`--report-db`). */
function latestShadowRun(dbPath: string): { dbPath: string; runId: string; requests: number } {
  if (!existsSync(dbPath)) throw new Error(`--report-db: no database at ${dbPath}`);
  const db = new Database(dbPath, { readonly: true });
  try {
    const runId = db
      .prepare("SELECT id FROM runs WHERE kind = 'shadow' ORDER BY started_at DESC LIMIT 1")
      .pluck()
      .get() as string | undefined;
    if (!runId) throw new Error(`--report-db: no shadow run in ${dbPath}`);
    const requests = db
      .prepare('SELECT count(*) FROM requests WHERE run_id = ?')
      .pluck()
      .get(runId) as number;
    return { dbPath, runId, requests };
  } finally {
    db.close();
  }
}

function loadAverage(): number {
  return round(loadavg()[0]!, 2)!;
}

export async function benchReport(ctx: BenchContext): Promise<SectionOutcome<ReportJson>> {
  const run = ctx.options.reportDb ? latestShadowRun(ctx.options.reportDb) : ctx.shared.largestRun;
  if (!run)
    throw new Error(
      'the report section needs the scale section in the same bench run (its largest db), or --report-db PATH',
    );
  const out = join(ctx.workDir, 'reports');
  mkdirSync(out, { recursive: true });
  const timeReport = async (formats: string, db: string) => {
    const load = loadAverage();
    const child = await runNodeChild<undefined>(
      CLI_PATH,
      ['report', 'shadow', '--run', run.runId, '--db', db, '--format', formats, '--out', out],
      {
        json: false,
        ...(ctx.options.cpuProfDir
          ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${ctx.options.cpuProfDir}`] }
          : {}),
      },
    );
    return {
      seconds: child.wallMs / 1000,
      cpuSeconds: child.cpuSeconds,
      peakRssMb: child.polledPeakRssMb,
      load,
    };
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
    `report on ${fmt(requests)} requests: json ${jsonOnly.seconds.toFixed(1)} s (cpu ${fmt(jsonOnly.cpuSeconds, 1)} s, load ${jsonOnly.load}), md+html+json ${all.seconds.toFixed(1)} s`,
  );
  const postgres = ctx.options.pgAdminUrl
    ? await pgReport(ctx, ctx.options.pgAdminUrl, dbPath, timeReport)
    : null;
  const json: ReportJson = {
    requests,
    seconds: round(jsonOnly.seconds, 2)!,
    all_formats_seconds: round(all.seconds, 2)!,
    cpu_seconds: round(jsonOnly.cpuSeconds, 2),
    load_average_1m: jsonOnly.load,
    peak_rss_mb: round(Math.max(jsonOnly.peakRssMb ?? 0, all.peakRssMb ?? 0) || null, 1),
    postgres,
    ...(largest ? { largest } : {}),
  };
  const rows: TableRow[] = [
    {
      section: 'report',
      metric: `shadow report json, ${fmt(requests)} requests, SQLite (s; cpu s)`,
      value: `${fmt(jsonOnly.seconds, 1)}; ${fmt(jsonOnly.cpuSeconds, 1)}`,
      target: '< 5 s',
      met: jsonOnly.seconds < 5,
    },
    {
      section: 'report',
      metric: `shadow report md + html + json, ${fmt(requests)} requests (s)`,
      value: fmt(all.seconds, 1),
    },
  ];
  if (postgres) {
    rows.push({
      section: 'report',
      metric: `shadow report json, ${fmt(requests)} requests, PostgreSQL (s; cpu s)`,
      value: `${fmt(postgres.seconds, 1)}; ${fmt(postgres.cpu_seconds, 1)}`,
      target: '< 15 s',
      met: postgres.seconds < 15,
    });
  }
  if (largest) {
    rows.push({
      section: 'report',
      metric: `shadow report json, ${fmt(largest.requests)} requests (s)`,
      value: fmt(largest.seconds, 1),
    });
  }
  return { json, rows };
}

/**
 * Copies the db into a new scratch database on the server (`db copy`, the
 * real command), times `report shadow` from it, and drops the database.
 * Null, with a progress line saying why, when the server cannot be reached.
 */
async function pgReport(
  ctx: BenchContext,
  adminUrl: string,
  dbPath: string,
  timeReport: (
    formats: string,
    db: string,
  ) => Promise<{ seconds: number; cpuSeconds: number | null; load: number }>,
): Promise<PgReportJson | null> {
  const name = `sgbench_${randomBytes(4).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let admin: Awaited<ReturnType<typeof connectPg>>;
  try {
    admin = await connectPg(adminUrl);
  } catch (err) {
    ctx.log(`report on PostgreSQL skipped: ${(err as Error).message}`);
    return null;
  }
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const copyStart = performance.now();
    await runNodeChild<undefined>(
      CLI_PATH,
      ['db', 'copy', '--from', `sqlite:${dbPath}`, '--to', url.toString()],
      { json: false },
    );
    const copySeconds = (performance.now() - copyStart) / 1000;
    ctx.log(`db copy into PostgreSQL: ${copySeconds.toFixed(1)} s`);
    const r = await timeReport('json', url.toString());
    ctx.log(
      `report from PostgreSQL: json ${r.seconds.toFixed(1)} s (cpu ${fmt(r.cpuSeconds, 1)} s, load ${r.load})`,
    );
    return {
      copy_seconds: round(copySeconds, 1)!,
      seconds: round(r.seconds, 2)!,
      cpu_seconds: round(r.cpuSeconds, 2),
      load_average_1m: r.load,
    };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}
