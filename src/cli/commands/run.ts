import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/load-config.js';
import type { ExperimentConfig } from '../../config/types.js';
import { loadPriceFile, withFilePrices } from '../../pricing/litellm-prices.js';
import { runShadow, type ShadowRunOptions, type ShadowRunSummary } from '../../runner/shadow-run.js';
import { parseShard } from '../../runner/shard.js';
import { recordedModels } from '../../scenario/scenario-models.js';
import { systemClock } from '../../shared/clock.js';
import { UsageError } from '../../shared/errors.js';
import { describeDbLocation } from '../../store/db-url.js';
import { dbLocation } from '../db-option.js';
import type { CommandContext } from '../io.js';
import { ProgressBar } from '../progress-bar.js';

interface RunArgs {
  config?: string;
  scenario?: string;
  db?: string;
  label?: string;
  concurrency?: number;
  rps?: number;
  pace?: 'none' | 'recorded';
  speed?: number;
  limit?: number;
  sample?: number;
  seed?: number;
  replica?: number;
  budgetUsd?: number;
  redact?: boolean;
  skipInvalid?: boolean;
  stream?: boolean;
  resume?: string;
  shard?: string;
  runId?: string;
  budgetPerShard?: boolean;
  prices?: string;
  json?: boolean;
}

/** `shadowgate run`: flags -> ShadowRunOptions -> runShadow; draws progress on stderr and prints the summary. */
export function runCommand(ctx: CommandContext): CommandModule<object, RunArgs> {
  return {
    command: 'run',
    describe:
      'replay a scenario against baseline and candidate at the same moment, every attempt into SQLite or PostgreSQL',
    builder: (y: Argv) =>
      y
        .option('config', {
          type: 'string',
          describe: 'experiment config, YAML or JSON (optional on --resume)',
        })
        .option('scenario', { type: 'string', describe: 'recorded prompts, JSONL (optional on --resume)' })
        .option('db', {
          type: 'string',
          describe:
            'SQLite file (created when missing) or postgres://USER@HOST:PORT/DB; default: SHADOWGATE_DB, else ./shadowgate.db',
        })
        .option('label', { type: 'string', describe: 'free text stored with the run' })
        .option('concurrency', {
          type: 'number',
          describe: 'prompts in flight (each holds 2-3 requests); default: config run.concurrency',
        })
        .option('rps', { type: 'number', describe: 'cap on prompt starts per second' })
        .option('pace', {
          choices: ['none', 'recorded'] as const,
          describe: 'recorded: replay recorded spacing',
        })
        .option('speed', { type: 'number', describe: 'speed-up of --pace recorded (default 1)' })
        .option('limit', { type: 'number', describe: 'stop after N selected prompts' })
        .option('sample', {
          type: 'number',
          describe: 'keep this fraction of prompts, by hash of id and seed',
        })
        .option('seed', {
          type: 'number',
          describe: 'seed for sampling, replica choice and jitter (default 1)',
        })
        .option('replica', {
          type: 'number',
          describe: 'fraction of prompts also sent to the baseline again (A/A noise floor; default 0)',
        })
        .option('budget-usd', { type: 'number', describe: 'stop sending before spend would exceed this' })
        .option('redact', { type: 'boolean', describe: 'store hashes, not prompt or output text' })
        .option('skip-invalid', {
          type: 'boolean',
          describe: 'replay the valid lines of a scenario, report the rest',
        })
        .option('stream', { type: 'boolean', describe: 'stream responses; default: config run.stream' })
        .option('resume', {
          type: 'string',
          describe: 'complete an interrupted, killed or budget-stopped run',
        })
        .option('shard', {
          type: 'string',
          describe: 'I/N: replay only shard I of N (by hash of prompt id) into the run --run-id names',
        })
        .option('run-id', {
          type: 'string',
          describe: 'with --shard: the run every shard writes to (the first to arrive creates it)',
        })
        .option('budget-per-shard', {
          type: 'boolean',
          describe: "with --shard: --budget-usd is each shard's, not split by N",
        })
        .option('prices', {
          type: 'string',
          describe: "LiteLLM's model_prices_and_context_window.json, for models the config does not price",
        })
        .option('json', { type: 'boolean', describe: 'print one JSON summary on stdout' })
        .example('$0 run --config exp.yaml --scenario prompts.jsonl --replica 0.1', 'a shadow run')
        .example(
          '$0 run --shard 1/2 --run-id big-replay --db postgres://me@db:5432/shadow --config exp.yaml --scenario prompts.jsonl',
          'shard 1 of 2 (start 2/2 on another machine)',
        )
        .example(
          '$0 run --resume r-20261127-083912-ab12 --budget-usd 20',
          'resume with a higher budget',
        ) as Argv<RunArgs>,
    handler: async (argv: ArgumentsCamelCase<RunArgs>) => {
      const { io } = ctx;
      const cwd = io.cwd;
      const clock = io.clock ?? systemClock;
      const db = dbLocation(io, argv.db);
      const configPath = argv.config === undefined ? null : resolve(cwd, argv.config);
      const scenarioPath = argv.scenario === undefined ? null : resolve(cwd, argv.scenario);
      const options: ShadowRunOptions = {
        configPath,
        ...(argv.prices === undefined
          ? {}
          : { config: await configWithPriceFile(configPath, scenarioPath, resolve(cwd, argv.prices)) }),
        scenarioPath,
        dbPath: db.kind === 'sqlite' ? db.path : describeDbLocation(db),
        db,
        label: argv.label ?? null,
        concurrency: argv.concurrency,
        rps: argv.rps,
        pace: argv.pace,
        speed: argv.speed,
        limit: argv.limit,
        sample: argv.sample,
        seed: argv.seed,
        replica: argv.replica,
        budgetUsd: argv.budgetUsd,
        redact: argv.redact,
        skipInvalid: argv.skipInvalid,
        stream: argv.stream,
        resume: argv.resume ?? null,
        shard: argv.shard === undefined ? null : parseShard(argv.shard),
        runId: argv.runId ?? null,
        budgetPerShard: argv.budgetPerShard ?? false,
      };
      if (options.runId && !options.shard) throw new UsageError('--run-id needs --shard I/N');
      const bar = new ProgressBar(io.stderr, clock);
      const summary = await runShadow(options, {
        clock,
        ...(io.rng ? { rng: io.rng } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
        ...(io.hardSignal ? { hardSignal: io.hardSignal } : {}),
        env: io.env,
        onProgress: (s) => bar.update(s),
        onWarning: (line) => io.stderr.write(`${bar.onScreen ? '\n' : ''}shadowgate: ${line}\n`),
      }).finally(() => bar.end());
      if (argv.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
      else io.stdout.write(renderSummary(summary));
    },
  };
}

/**
 * The config with `--prices` filled in for the models the scenario uses that
 * the config leaves unpriced. A resumed run keeps the prices it started with.
 */
export async function configWithPriceFile(
  configPath: string | null,
  scenarioPath: string | null,
  pricesPath: string,
): Promise<ExperimentConfig> {
  if (configPath === null || scenarioPath === null) {
    throw new UsageError('--prices needs --config and --scenario (a resumed run keeps its prices)');
  }
  const config = loadConfig(configPath);
  const table = loadPriceFile(pricesPath);
  if (!existsSync(scenarioPath)) throw new UsageError(`no scenario file at ${scenarioPath}`);
  return withFilePrices(config, table, await recordedModels(scenarioPath));
}

/** The human summary: counts per arm, spend, and the command to run next. */
export function renderSummary(s: ShadowRunSummary): string {
  const lines = [
    s.shard === undefined
      ? `run ${s.run_id} ${s.status}: ${s.prompts} prompts in ${s.duration_s.toFixed(1)} s`
      : `run ${s.run_id} shard ${s.shard} ${s.status} (run ${s.run_status}): ${s.prompts} prompts in the run after ${s.duration_s.toFixed(1)} s`,
  ];
  for (const [arm, c] of Object.entries(s.arms)) {
    if (!c) continue;
    lines.push(
      `  ${arm.padEnd(17)} ${String(c.requests).padStart(7)} requests ${String(c.ok).padStart(7)} ok ${String(c.error).padStart(6)} error`,
    );
  }
  lines.push(
    `  spent $${s.spent_usd.toFixed(4)}${s.budget_usd === null ? '' : ` of $${s.budget_usd}`}; db ${s.db}`,
  );
  const i = s.instrument;
  if (i !== null) {
    lines.push(
      `  timings accurate to ±${i.timing_error_bound_p99_ms.toFixed(2)} ms, p99 (event-loop delay p99 ${i.event_loop_delay_p99_ms.toFixed(2)} ms)`,
    );
    if (i.saturated) {
      lines.push(
        `warning: the harness was saturated (timing error p99 above ${i.threshold_ms} ms): latency gates within the error will be inconclusive; rerun with a lower --concurrency`,
      );
    }
  }
  if (s.status === 'budget_exhausted') {
    lines.push(
      `budget exhausted; resume with a higher budget: shadowgate run --resume ${s.run_id} --db ${s.db} --budget-usd N`,
    );
  }
  lines.push(`next: shadowgate report shadow --run ${s.run_id} --db ${s.db}`);
  return `${lines.join('\n')}\n`;
}
