import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { openReportSource } from '../../report/report-source.js';
import { readShadowReport, resolveShadowRunIdFrom } from '../../report/shadow-model.js';
import { loadPlan } from '../../rollout/plan.js';
import {
  manualMoveOn,
  resolveRolloutFrom,
  stateDocument,
  writeStateDocument,
} from '../../rollout/rollout-state.js';
import { type RolloutSummary, runRollout, type StageSummary } from '../../runner/rollout-run.js';
import { systemClock } from '../../shared/clock.js';
import { UsageError } from '../../shared/errors.js';
import type { RolloutWriter } from '../../store/async-rollout-store.js';
import type { DbLocation } from '../../store/db-url.js';
import { openRolloutWriter } from '../../store/open-rollout-writer.js';
import { dbLabel, dbLocation, dbOptionDescription } from '../db-option.js';
import type { CommandContext } from '../io.js';
import { configWithPriceFile } from './run.js';

interface RehearseArgs {
  config?: string;
  scenario?: string;
  plan?: string;
  db?: string;
  shadowRun?: string;
  force: boolean;
  resume?: string;
  concurrency?: number;
  seed?: number;
  label?: string;
  actor?: string;
  prices?: string;
  json: boolean;
}

interface StateArgs {
  rollout?: string;
  db?: string;
  json: boolean;
  actor?: string;
}

/** Who is acting, for the audit trail: --actor, else the OS user. */
export function actorOf(given: string | undefined): string {
  if (given?.trim()) return given.trim();
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

const withDb = (y: Argv) =>
  y
    .option('db', { type: 'string', describe: dbOptionDescription('the store holding the rollout') })
    .option('rollout', { type: 'string', describe: 'rollout id, or `latest` (default)' });

/**
 * `shadowgate rollout`: the week-2 rehearsal, and the state commands a real
 * router's operators use (status, set, rollback, state).
 */
export function rolloutCommand(ctx: CommandContext): CommandModule<object, RehearseArgs> {
  return {
    command: 'rollout',
    describe:
      'rehearse a staged rollout on recorded traffic; or read and move a rollout (status, set, rollback, state)',
    builder: (y: Argv) =>
      y
        .command(statusCommand(ctx))
        .command(setCommand(ctx))
        .command(rollbackCommand(ctx))
        .command(stateCommand(ctx))
        .option('config', { type: 'string', describe: 'experiment config (YAML or JSON)' })
        .option('scenario', { type: 'string', describe: 'scenario JSONL; cycled when a stage needs more' })
        .option('plan', { type: 'string', describe: 'rollout plan (YAML or JSON)' })
        .option('db', { type: 'string', describe: dbOptionDescription('the store to write the rollout to') })
        .option('shadow-run', {
          type: 'string',
          describe: 'week-1 run id (or `latest`): the rollout starts only if its verdict is promote',
        })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'start even when the --shadow-run verdict is not promote (recorded in the audit trail)',
        })
        .option('resume', { type: 'string', describe: 'resume an interrupted rollout by id' })
        .option('concurrency', { type: 'number', describe: "requests in flight (default: the config's)" })
        .option('seed', { type: 'number', describe: 'seeds the retry jitter (default 1)' })
        .option('label', { type: 'string', describe: 'free text stored with the rollout' })
        .option('actor', {
          type: 'string',
          describe: 'who starts it, for the audit trail (default: the OS user)',
        })
        .option('prices', {
          type: 'string',
          describe: "LiteLLM's model_prices_and_context_window.json, for models the config does not price",
        })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object at the end' })
        .example(
          '$0 rollout --config exp.yaml --scenario prompts.jsonl --plan plan.yaml --shadow-run latest',
          '',
        )
        .example(
          '$0 rollout status --json',
          'the current percentage, for scripts',
        ) as unknown as Argv<RehearseArgs>,
    handler: async (argv: ArgumentsCamelCase<RehearseArgs>) => {
      const { io } = ctx;
      const clock = io.clock ?? systemClock;
      const location = dbLocation(io, argv.db);
      if (
        !argv.resume &&
        (argv.config === undefined || argv.scenario === undefined || argv.plan === undefined)
      )
        throw new UsageError(
          'a rehearsal needs --config FILE, --scenario FILE and --plan FILE (or --resume ID)',
        );
      const plan = argv.plan === undefined ? null : loadPlan(resolve(io.cwd, argv.plan));
      let shadow: { runId: string; decision: string; forced: boolean } | null = null;
      if (argv.shadowRun !== undefined && !argv.resume) {
        const source = await openReportSource(location);
        try {
          const runId = await resolveShadowRunIdFrom(source, argv.shadowRun);
          const report = await readShadowReport(source, {
            runId,
            generatedAt: new Date(clock.now()).toISOString(),
            topDivergent: 0,
          });
          const decision = report.verdict.decision;
          if (decision !== 'promote' && !argv.force)
            throw new UsageError(
              `week-1 run ${runId}'s verdict is ${decision}, not promote; the rollout did not start (--force overrides, and is recorded)`,
              report.verdict.reasons,
            );
          shadow = { runId, decision, forced: decision !== 'promote' };
        } finally {
          await source.close();
        }
      }
      const onScreen = io.stderr.isTTY === true;
      const configPath = argv.config === undefined ? null : resolve(io.cwd, argv.config);
      const scenarioPath = argv.scenario === undefined ? null : resolve(io.cwd, argv.scenario);
      const summary = await runRollout(
        {
          configPath,
          ...(argv.prices === undefined
            ? {}
            : { config: await configWithPriceFile(configPath, scenarioPath, resolve(io.cwd, argv.prices)) }),
          scenarioPath,
          plan,
          db: location,
          label: argv.label ?? null,
          ...(argv.concurrency === undefined ? {} : { concurrency: argv.concurrency }),
          ...(argv.seed === undefined ? {} : { seed: argv.seed }),
          shadow,
          resume: argv.resume ?? null,
          actor: actorOf(argv.actor),
        },
        {
          clock,
          env: io.env,
          ...(io.rng ? { rng: io.rng } : {}),
          ...(io.signal ? { signal: io.signal } : {}),
          ...(io.hardSignal ? { hardSignal: io.hardSignal } : {}),
          onStage: (s) => io.stderr.write(`${onScreen ? '\r\x1b[K' : ''}${stageLine(s)}\n`),
          onProgress: onScreen
            ? (p) =>
                io.stderr.write(
                  `\r\x1b[Kstage ${p.stage} at ${p.percentage}%: ${p.candidate}/${p.needed} candidate requests, ${p.requests} done`,
                )
            : undefined,
        },
      );
      io.stdout.write(argv.json ? `${JSON.stringify(summary)}\n` : renderRolloutSummary(summary));
    },
  };
}

export function stageLine(s: StageSummary): string {
  const extension = s.attempt > 0 ? ` (extension ${s.attempt})` : '';
  return `stage ${s.stage} at ${s.percentage}%${extension}: ${s.decision.toUpperCase()} after ${s.requests} requests (${s.candidate_requests} on the candidate, ${s.fallbacks} fallbacks)${s.decision === 'promote' ? '' : `\n  ${s.reasons.join('\n  ')}`}`;
}

export function renderRolloutSummary(s: RolloutSummary): string {
  const outcome =
    s.status === 'completed'
      ? 'completed at 100%'
      : s.status === 'rolled_back'
        ? 'rolled back to 0%'
        : `${s.status} at ${s.final_percentage}%`;
  return [
    `rollout ${s.rollout_id} ${outcome} after ${s.stages.length} stage attempt(s); the scenario was cycled ${s.cycles} time(s)`,
    `next: shadowgate report rollout --rollout ${s.rollout_id} --db ${s.db}`,
    '',
  ].join('\n');
}

/** Opens the rollout's store (SQLite file or PostgreSQL), runs `f` on it, and closes it. */
async function withStore<T>(
  ctx: CommandContext,
  flag: string | undefined,
  readonly: boolean,
  f: (store: RolloutWriter, label: string) => Promise<T>,
): Promise<T> {
  const location: DbLocation = dbLocation(ctx.io, flag);
  const opened = await openRolloutWriter(location, { readonly, mustExist: true });
  try {
    return await f(opened.writer, dbLabel(ctx.io, flag, location));
  } finally {
    await opened.close();
  }
}

function statusCommand(ctx: CommandContext): CommandModule<object, StateArgs> {
  return {
    command: 'status',
    describe: 'print the current percentage, status and history',
    builder: (y: Argv) =>
      withDb(y).option('json', {
        type: 'boolean',
        default: false,
        describe: 'print one JSON object',
      }) as unknown as Argv<StateArgs>,
    handler: async (argv) => {
      const { io } = ctx;
      await withStore(ctx, argv.db, true, async (store, label) => {
        const r = await resolveRolloutFrom(store, argv.rollout, label);
        const history = (await store.events(r.id)).map((e) => ({
          at: e.at,
          actor: e.actor,
          automatic: e.automatic === 1,
          from_percentage: e.from_percentage,
          to_percentage: e.to_percentage,
          from_status: e.from_status,
          to_status: e.to_status,
          reason: e.reason,
        }));
        if (argv.json) {
          io.stdout.write(
            `${JSON.stringify({ ...stateDocument(r), percentage: r.percentage, status: r.status, history })}\n`,
          );
          return;
        }
        const lines = [
          `rollout ${r.id}: ${r.status} at ${r.percentage}% (version ${r.version}, salt ${r.salt}, hashVersion ${r.hash_version})`,
        ];
        for (const h of history)
          lines.push(
            `  ${h.at}  ${h.actor}${h.automatic ? ' (gates)' : ''}: ${h.from_percentage ?? '-'}% ${h.from_status ?? ''} -> ${h.to_percentage}% ${h.to_status}: ${h.reason}`,
          );
        io.stdout.write(`${lines.join('\n')}\n`);
      });
    },
  };
}

interface SetArgs extends StateArgs {
  percent: number;
  reason: string;
  allowDecrease: boolean;
}

function setCommand(ctx: CommandContext): CommandModule<object, SetArgs> {
  return {
    command: 'set <percent>',
    describe: 'move the candidate share by hand (recorded in rollout_events)',
    builder: (y: Argv) =>
      withDb(y)
        .positional('percent', { type: 'number', describe: 'percent of traffic on the candidate, 0-100' })
        .option('reason', { type: 'string', demandOption: true, describe: 'why, for the audit trail' })
        .option('actor', { type: 'string', describe: 'who (default: the OS user)' })
        .option('allow-decrease', {
          type: 'boolean',
          default: false,
          describe: 'allow lowering a non-zero share',
        })
        .option('json', {
          type: 'boolean',
          default: false,
          describe: 'print the new state as JSON',
        }) as unknown as Argv<SetArgs>,
    handler: (argv) => move(ctx, argv, argv.percent, argv.allowDecrease),
  };
}

function rollbackCommand(ctx: CommandContext): CommandModule<object, SetArgs> {
  return {
    command: 'rollback',
    describe: 'send all traffic back to the baseline (recorded in rollout_events)',
    builder: (y: Argv) =>
      withDb(y)
        .option('reason', { type: 'string', demandOption: true, describe: 'why, for the audit trail' })
        .option('actor', { type: 'string', describe: 'who (default: the OS user)' })
        .option('json', {
          type: 'boolean',
          default: false,
          describe: 'print the new state as JSON',
        }) as unknown as Argv<SetArgs>,
    handler: (argv) => move(ctx, argv, 0, false),
  };
}

/**
 * `rollout set` and `rollout rollback`, on either store. On PostgreSQL the
 * move commits with its audit row and a NOTIFY, so every replica following
 * the rollout (RolloutStateFollower) learns it within milliseconds.
 */
async function move(
  ctx: CommandContext,
  argv: SetArgs,
  percentage: number,
  allowDecrease: boolean,
): Promise<void> {
  const { io } = ctx;
  const clock = io.clock ?? systemClock;
  const after = await withStore(ctx, argv.db, false, async (store, label) =>
    manualMoveOn(store, await resolveRolloutFrom(store, argv.rollout, label), {
      percentage,
      reason: argv.reason,
      actor: actorOf(argv.actor),
      at: new Date(clock.now()).toISOString(),
      allowDecrease,
    }),
  );
  io.stdout.write(
    argv.json
      ? `${JSON.stringify(stateDocument(after))}\n`
      : `rollout ${after.id}: ${after.status} at ${after.percentage}% (version ${after.version})\n`,
  );
}

interface StateFileArgs extends StateArgs {
  out: string;
}

function stateCommand(ctx: CommandContext): CommandModule<object, StateFileArgs> {
  return {
    command: 'state',
    describe: 'write the JSON state document a router polls',
    builder: (y: Argv) =>
      withDb(y).option('out', {
        type: 'string',
        demandOption: true,
        describe: 'file to write (atomically replaced)',
      }) as unknown as Argv<StateFileArgs>,
    handler: async (argv) => {
      const { io } = ctx;
      const doc = await withStore(ctx, argv.db, true, async (store, label) =>
        stateDocument(await resolveRolloutFrom(store, argv.rollout, label)),
      );
      const out = resolve(io.cwd, argv.out);
      writeStateDocument(out, doc);
      io.stdout.write(
        `${out}: ${doc.rollout_id} at ${doc.percentage}% (${doc.status}, version ${doc.version})\n`,
      );
    },
  };
}
