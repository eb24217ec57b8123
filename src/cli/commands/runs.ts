import type { CommandModule } from 'yargs';
import { openReportSource } from '../../report/report-source.js';
import { ARMS } from '../../store/rows.js';
import type { RunSummary } from '../../store/run-queries.js';
import { type RunShardRow, shardsLine } from '../../store/run-shards.js';
import { dbLabel, dbLocation, dbOptionDescription } from '../db-option.js';
import type { CommandContext } from '../io.js';

interface RunsArgs {
  db?: string;
  json: boolean;
}

/** `shadowgate runs`: what is in a database, SQLite or PostgreSQL. Read-only; a missing file is not created. */
export function runsCommand(ctx: CommandContext): CommandModule {
  return {
    command: 'runs',
    describe: 'list the runs in a database with their status and counts',
    builder: (y) =>
      y
        .option('db', { type: 'string', describe: dbOptionDescription('the store') })
        .option('json', { type: 'boolean', default: false, describe: 'print a JSON array on stdout' }),
    handler: async (argv) => {
      const args = argv as unknown as RunsArgs;
      const location = dbLocation(ctx.io, args.db);
      const source = await openReportSource(location);
      let runs: RunSummary[];
      let shards: Map<string, RunShardRow[]>;
      try {
        runs = await source.listRuns();
        shards = await source.listRunShards();
      } finally {
        await source.close();
      }
      ctx.io.stdout.write(
        args.json
          ? `${JSON.stringify(runs.map((r) => ({ ...runJson(r), ...(shards.has(r.id) ? { shards: shards.get(r.id) } : {}) })))}\n`
          : renderRuns(runs, dbLabel(ctx.io, args.db, location), shards),
      );
    },
  };
}

function runJson(r: RunSummary) {
  return {
    id: r.id,
    kind: r.kind,
    label: r.label,
    status: r.status,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    total_prompts: r.totalPrompts,
    prompts: r.prompts,
    arms: r.arms,
    spent_usd: r.spentUsd,
    budget_usd: r.budgetUsd,
    scenario_path: r.scenarioPath,
  };
}

/** A plain table, one run a line, oldest first. */
export function renderRuns(
  runs: RunSummary[],
  dbPath: string,
  shards = new Map<string, RunShardRow[]>(),
): string {
  if (runs.length === 0) return `no runs in ${dbPath}\n`;
  const header = [
    'id',
    'kind',
    'label',
    'status',
    'started',
    'finished',
    'prompts',
    'ok/error per arm',
    'spend',
  ];
  const rows = runs.map((r) => [
    r.id,
    r.kind,
    r.label ?? '-',
    r.status,
    r.startedAt,
    r.finishedAt ?? '-',
    r.totalPrompts === null ? String(r.prompts) : `${r.prompts}/${r.totalPrompts}`,
    ARMS.filter((arm) => r.arms[arm])
      .map((arm) => `${arm} ${r.arms[arm]!.ok}/${r.arms[arm]!.error}`)
      .join(', ') || '-',
    `$${r.spentUsd.toFixed(4)}${r.budgetUsd === null ? '' : ` of $${r.budgetUsd.toFixed(2)}`}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const lines = rows.flatMap((row, i) => {
    const of = shards.get(runs[i]!.id);
    return of ? [line(row), shardsLine(of)] : [line(row)];
  });
  return `${[line(header), ...lines].join('\n')}\n`;
}
