import { resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadGates } from '../../judge/load-gates.js';
import { loadPriceFile } from '../../pricing/litellm-prices.js';
import { openReportSource, openRolloutReportSource } from '../../report/report-source.js';
import { readRolloutReport, resolveRolloutIdFrom } from '../../report/rollout-model.js';
import { readShadowReport, resolveShadowRunIdFrom } from '../../report/shadow-model.js';
import type { MonthlyVolume, ShadowReport } from '../../report/shadow-report.js';
import { systemClock } from '../../shared/clock.js';
import { EXIT, UsageError } from '../../shared/errors.js';
import { dbLocation, dbOptionDescription } from '../db-option.js';
import type { CommandContext } from '../io.js';
import { parseFormats, writeRolloutReportFiles, writeShadowReportFiles } from '../report-files.js';
import { withVerdictOptions } from './gate.js';

interface ShadowArgs {
  run?: string;
  db?: string;
  format: string;
  out: string;
  monthlyRequests?: number;
  monthlyTokens?: number;
  gates?: string;
  confidence?: number;
  check?: boolean;
  prices?: string;
}

/** `shadowgate report <kind>`: `shadow` (week 1) or `rollout` (week 2). */
export function reportCommand(ctx: CommandContext): CommandModule {
  return {
    command: 'report',
    describe: 'write a report of a run',
    builder: (y: Argv) =>
      y
        .command(shadowReportCommand(ctx))
        .command(rolloutReportCommand(ctx))
        .demandCommand(1, 'name a report: shadow or rollout'),
    handler: () => {},
  };
}

function shadowReportCommand(ctx: CommandContext): CommandModule<object, ShadowArgs> {
  return {
    command: 'shadow',
    describe: 'the shadow run report: per arm, paired comparison, cost, output drift, verdict',
    builder: (y: Argv) =>
      withVerdictOptions(y)
        .option('format', {
          type: 'string',
          default: 'md,html,json',
          describe: 'comma-separated: md, html, json',
        })
        .option('out', {
          type: 'string',
          default: 'reports',
          describe: 'directory for the files, created if missing',
        })
        .option('monthly-requests', {
          type: 'number',
          describe: 'requests per month for the cost projection (default 1,000,000)',
        })
        .option('monthly-tokens', {
          type: 'number',
          describe: 'or: baseline tokens (input + output) per month for the cost projection',
        })
        .conflicts('monthly-requests', 'monthly-tokens')
        .option('prices', {
          type: 'string',
          describe:
            "LiteLLM's model_prices_and_context_window.json: shown for models the run had no price for",
        })
        .option('check', {
          type: 'boolean',
          default: false,
          describe: 'exit with the verdict: 0 promote, 3 hold, 4 rollback',
        })
        .example('$0 report shadow --run latest', 'all three formats into ./reports')
        .example(
          '$0 report shadow --format md --monthly-requests 30000000 --check',
          'for CI',
        ) as Argv<ShadowArgs>,
    handler: async (argv: ArgumentsCamelCase<ShadowArgs>) => {
      const { io } = ctx;
      const formats = parseFormats(argv.format);
      const monthly = monthlyVolume(argv.monthlyRequests, argv.monthlyTokens);
      const file = argv.gates === undefined ? undefined : loadGates(resolve(io.cwd, argv.gates));
      const confidence = argv.confidence ?? file?.confidence;
      const priceFile = argv.prices === undefined ? undefined : loadPriceFile(resolve(io.cwd, argv.prices));
      const source = await openReportSource(dbLocation(io, argv.db));
      let report: ShadowReport;
      try {
        const runId = await resolveShadowRunIdFrom(source, argv.run);
        report = await readShadowReport(source, {
          runId,
          monthly,
          gates: file?.gates,
          ...(priceFile ? { priceFile } : {}),
          ...(confidence === undefined ? {} : { confidence }),
          generatedAt: new Date((io.clock ?? systemClock).now()).toISOString(),
        });
      } finally {
        await source.close();
      }

      for (const path of writeShadowReportFiles(report, formats, argv.out, io.cwd))
        io.stdout.write(`${path}\n`);
      if (argv.check) {
        ctx.exitCode = { promote: EXIT.ok, hold: EXIT.hold, rollback: EXIT.rollback }[
          report.verdict.decision
        ];
      }
    },
  };
}

function monthlyVolume(requests: number | undefined, tokens: number | undefined): MonthlyVolume | undefined {
  const check = (flag: string, v: number) => {
    if (!Number.isFinite(v) || v <= 0) throw new UsageError(`${flag} must be a positive number, got ${v}`);
    return v;
  };
  if (requests !== undefined) return { requests: check('--monthly-requests', requests) };
  if (tokens !== undefined) return { tokens: check('--monthly-tokens', tokens) };
  return undefined;
}

interface RolloutReportArgs {
  rollout?: string;
  db?: string;
  format: string;
  out: string;
}

function rolloutReportCommand(ctx: CommandContext): CommandModule<object, RolloutReportArgs> {
  return {
    command: 'rollout',
    describe: 'the week-2 report: timeline, per-stage arms and gates, cost against all-baseline, audit trail',
    builder: (y: Argv) =>
      y
        .option('rollout', { type: 'string', describe: 'rollout id, or `latest` (default)' })
        .option('db', {
          type: 'string',
          describe: dbOptionDescription('the store written by `rollout`'),
        })
        .option('format', {
          type: 'string',
          default: 'md,html,json',
          describe: 'comma-separated: md, html, json',
        })
        .option('out', {
          type: 'string',
          default: 'reports',
          describe: 'directory for the files, created if missing',
        })
        .example('$0 report rollout --rollout latest --format md', '') as unknown as Argv<RolloutReportArgs>,
    handler: async (argv: ArgumentsCamelCase<RolloutReportArgs>) => {
      const { io } = ctx;
      const formats = parseFormats(argv.format);
      const opened = await openRolloutReportSource(dbLocation(io, argv.db));
      try {
        const report = await readRolloutReport(opened.source, {
          rolloutId: await resolveRolloutIdFrom(opened.source, argv.rollout),
          generatedAt: new Date((io.clock ?? systemClock).now()).toISOString(),
        });
        for (const path of writeRolloutReportFiles(report, formats, argv.out, io.cwd))
          io.stdout.write(`${path}\n`);
      } finally {
        await opened.close();
      }
    },
  };
}
