import { isAbsolute, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { contentionJson, formatContention } from '../../retry/contention-format.js';
import { compareContention, simulateContention } from '../../retry/contention-sim.js';
import {
  BACKOFF_STRATEGIES,
  type BackoffStrategy,
  DEFAULT_RETRY_POLICY,
  JITTER_MODES,
  type JitterMode,
  type RetryPolicy,
  validateRetryPolicy,
} from '../../retry/policy.js';
import { loadRetryPolicy } from '../../retry/policy-file.js';
import { buildRetrySchedule } from '../../retry/schedule.js';
import { formatRetrySchedule, retryScheduleJson } from '../../retry/schedule-format.js';
import { UsageError } from '../../shared/errors.js';
import type { CommandContext } from '../io.js';

/** Flags that set a policy field, in the order they are checked. */
const POLICY_FLAGS = [
  ['strategy', 'strategy'],
  ['jitter', 'jitter'],
  ['base-ms', 'baseDelayMs'],
  ['max-delay-ms', 'maxDelayMs'],
  ['max-attempts', 'maxAttempts'],
] as const;

const NUMERIC_FLAGS = new Set(['base-ms', 'max-delay-ms', 'max-attempts']);

/** Upper bounds that keep `retry simulate` interactive (calls grow with the square of clients). */
const MAX_SIM_CLIENTS = 1000;
const MAX_SIM_RUNS = 1000;

export function retryCommand(ctx: CommandContext): CommandModule {
  return {
    command: 'retry',
    describe: 'Show a retry policy: its schedule, and how backoff strategies behave under contention',
    builder: (y: Argv) =>
      y
        .command(scheduleCommand(ctx))
        .command(simulateCommand(ctx))
        .demandCommand(1, 'name a subcommand: schedule or simulate'),
    handler: () => {},
  };
}

function scheduleCommand(ctx: CommandContext): CommandModule {
  return {
    command: 'schedule',
    describe: 'The wait before each attempt (range and a seeded sample) and the worst-case total time',
    builder: (y: Argv) =>
      y
        .option('config', {
          type: 'string',
          describe: 'Experiment config (YAML or JSON); its `retry:` key is read',
        })
        .option('strategy', {
          type: 'string',
          describe: `Backoff strategy: ${BACKOFF_STRATEGIES.join(', ')}`,
        })
        .option('jitter', { type: 'string', describe: `Jitter: ${JITTER_MODES.join(', ')}` })
        .option('base-ms', { type: 'string', describe: 'Base delay, ms' })
        .option('max-delay-ms', { type: 'string', describe: 'Cap on every backoff delay, ms' })
        .option('max-attempts', { type: 'string', describe: 'Tries in all, the first included' })
        .option('seed', { type: 'string', default: '1', describe: 'Seed for the sampled delays' })
        .option('json', { type: 'boolean', default: false, describe: 'Print JSON' })
        .example('shadowgate retry schedule', "The default policy's schedule")
        .example('shadowgate retry schedule --strategy decorrelated --jitter none --max-attempts 8', '')
        .example('shadowgate retry schedule --config experiment.yaml --json', ''),
    handler: async (argv) => {
      const seed = parseSeed(argv.seed);
      const base = argv.config
        ? await loadRetryPolicy(resolvePath(ctx, String(argv.config)))
        : DEFAULT_RETRY_POLICY;
      const policy = applyPolicyFlags(base, argv);
      const schedule = buildRetrySchedule(policy, { seed });
      ctx.io.stdout.write(
        argv.json
          ? `${JSON.stringify(retryScheduleJson(schedule), null, 2)}\n`
          : formatRetrySchedule(schedule),
      );
    },
  };
}

function simulateCommand(ctx: CommandContext): CommandModule {
  return {
    command: 'simulate',
    describe:
      'Contention model of "Exponential Backoff And Jitter" (AWS, 2015): N clients, one optimistic write each',
    builder: (y: Argv) =>
      y
        .option('clients', {
          type: 'string',
          demandOption: true,
          describe: `Clients racing for one row (1-${MAX_SIM_CLIENTS})`,
        })
        .option('strategy', { type: 'string', describe: 'Only this strategy (default: all)' })
        .option('jitter', { type: 'string', describe: 'Only this jitter (default: all)' })
        .option('runs', { type: 'string', default: '5', describe: 'Runs averaged per pair' })
        .option('seed', { type: 'string', default: '1', describe: 'Seed for network delays and jitter' })
        .option('json', { type: 'boolean', default: false, describe: 'Print JSON' })
        .example('shadowgate retry simulate --clients 100', 'Compare every strategy and jitter pair')
        .example(
          'shadowgate retry simulate --clients 50 --strategy exponential-capped --jitter full --json',
          '',
        ),
    handler: (argv) => {
      const clients = parseInteger('--clients', argv.clients, 1, MAX_SIM_CLIENTS);
      const runs = parseInteger('--runs', argv.runs, 1, MAX_SIM_RUNS);
      const seed = parseSeed(argv.seed);
      const strategy =
        argv.strategy === undefined
          ? undefined
          : parseChoice('--strategy', argv.strategy, BACKOFF_STRATEGIES);
      const jitter =
        argv.jitter === undefined ? undefined : parseChoice('--jitter', argv.jitter, JITTER_MODES);
      const results =
        strategy && jitter
          ? [simulateContention({ clients, runs, seed, strategy, jitter })]
          : compareContention({
              clients,
              runs,
              seed,
              strategies: strategy ? [strategy] : undefined,
              jitters: jitter ? [jitter] : undefined,
            });
      if (argv.json) {
        const json = strategy && jitter ? contentionJson(results[0]!) : results.map(contentionJson);
        ctx.io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      } else {
        ctx.io.stdout.write(formatContention(results));
      }
    },
  };
}

/** Overlays the policy flags on `base` through validateRetryPolicy, naming the flag in any error. */
function applyPolicyFlags(base: RetryPolicy, argv: Record<string, unknown>): RetryPolicy {
  const partial: Record<string, unknown> = {};
  const flagOf = new Map<string, string>();
  for (const [flag, key] of POLICY_FLAGS) {
    const raw = argv[flag];
    if (raw === undefined) continue;
    flagOf.set(key, flag);
    partial[key] = NUMERIC_FLAGS.has(flag) ? toNumber(raw) : String(raw);
  }
  const result = validateRetryPolicy(partial, 'flags', base);
  if ('value' in result) return result.value;
  const problems = result.errors.map((e) =>
    e.replace(/^flags\.(\w+)/, (_, key: string) => `--${flagOf.get(key) ?? key}`),
  );
  throw new UsageError(problems.join('; '));
}

function toNumber(raw: unknown): number {
  const s = String(raw).trim();
  return s === '' ? Number.NaN : Number(s);
}

function parseInteger(flag: string, raw: unknown, min: number, max: number): number {
  const n = toNumber(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag}: must be an integer from ${min} to ${max}`);
  return n;
}

function parseSeed(raw: unknown): number {
  return parseInteger('--seed', raw, 0, 2 ** 32 - 1);
}

function parseChoice<T extends BackoffStrategy | JitterMode>(
  flag: string,
  raw: unknown,
  choices: readonly T[],
): T {
  const s = String(raw);
  if (!(choices as readonly string[]).includes(s))
    throw new UsageError(`${flag}: must be one of ${choices.join(', ')}`);
  return s as T;
}

function resolvePath(ctx: CommandContext, file: string): string {
  return isAbsolute(file) ? file : resolve(ctx.io.cwd, file);
}
