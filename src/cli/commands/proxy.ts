import { resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/load-config.js';
import { PROXY_DEFAULTS, PROXY_MODES, type ProxyMode, type ProxyOptions } from '../../proxy/proxy-options.js';
import { startProxy } from '../../proxy/proxy-server.js';
import { compileRedactPatterns } from '../../proxy/recorder.js';
import { loadPlan } from '../../rollout/plan.js';
import { systemClock } from '../../shared/clock.js';
import { UsageError } from '../../shared/errors.js';
import type { DbLocation } from '../../store/db-url.js';
import { dbLabel, dbLocation, dbOptionDescription } from '../db-option.js';
import type { CommandContext } from '../io.js';

interface ProxyArgs {
  config: string;
  mode: string;
  host: string;
  port: number;
  db?: string;
  label?: string;
  redact: boolean;
  seed: number;
  mirror: number;
  replica: number;
  mirrorConcurrency: number;
  mirrorQueue: number;
  mirrorQueueBytes: number;
  mirrorMaxBytes: number;
  mirrorBudgetUsd?: number;
  maxBodyBytes: number;
  authEnv?: string;
  passThroughAuth: boolean;
  graceMs: number;
  connections: number;
  record?: string;
  recordSample: number;
  recordRedact: string[];
  rollout?: string;
  stateFile?: string;
  statePollMs: number;
  leaderRetryMs: number;
  stickyKey: string[];
  recordRollout: boolean;
  plan?: string;
  gateEvery: number;
}

/** `shadowgate proxy`: live shadow, live rollout or traffic recording in front of the providers. */
export function proxyCommand(ctx: CommandContext): CommandModule<object, ProxyArgs> {
  return {
    command: 'proxy',
    describe:
      'serve an OpenAI- and Anthropic-compatible proxy: live shadow, live rollout, or traffic recording',
    builder: (y: Argv) =>
      y
        .option('config', {
          type: 'string',
          demandOption: true,
          describe: 'experiment config (YAML or JSON)',
        })
        .option('mode', {
          type: 'string',
          default: 'shadow',
          choices: PROXY_MODES,
          describe: 'shadow, rollout or record',
        })
        .option('host', { type: 'string', default: PROXY_DEFAULTS.host, describe: 'address to listen on' })
        .option('port', {
          type: 'number',
          default: PROXY_DEFAULTS.port,
          describe: 'port to listen on (0 = a free port)',
        })
        .option('db', {
          type: 'string',
          describe: dbOptionDescription('the live shadow run, the rollout (PostgreSQL: shared by replicas)'),
        })
        .option('label', { type: 'string', describe: 'free text stored with the live shadow run' })
        .option('redact', {
          type: 'boolean',
          default: false,
          describe: 'store hashes, not prompt or answer text',
        })
        .option('seed', {
          type: 'number',
          default: 1,
          describe: 'seeds the replica pick and the retry jitter',
        })
        .option('mirror', {
          type: 'number',
          default: PROXY_DEFAULTS.mirror,
          describe: 'share of requests mirrored to the candidate (shadow mode)',
        })
        .option('replica', {
          type: 'number',
          default: PROXY_DEFAULTS.replica,
          describe: 'share of mirrored requests also sent to the baseline again (A/A)',
        })
        .option('mirror-concurrency', {
          type: 'number',
          default: PROXY_DEFAULTS.mirrorConcurrency,
          describe: 'mirrors sent at once',
        })
        .option('mirror-queue', {
          type: 'number',
          default: PROXY_DEFAULTS.mirrorQueue,
          describe: 'mirrors waiting for a slot; beyond, they are shed (queue_full)',
        })
        .option('mirror-queue-bytes', {
          type: 'number',
          default: PROXY_DEFAULTS.mirrorQueueBytes,
          describe: 'request bytes the mirrors waiting and running may hold; beyond, shed (queue_full)',
        })
        .option('mirror-max-bytes', {
          type: 'number',
          default: PROXY_DEFAULTS.mirrorMaxBytes,
          describe: 'largest request body mirrored; larger ones are shed (body_too_large)',
        })
        .option('mirror-budget-usd', {
          type: 'number',
          describe: 'USD the mirrors may spend; then they are shed (budget)',
        })
        .option('max-body-bytes', {
          type: 'number',
          default: PROXY_DEFAULTS.maxBodyBytes,
          describe: 'largest request body accepted (413 beyond)',
        })
        .option('auth-env', {
          type: 'string',
          describe: 'env var holding the token clients must send (Bearer or x-api-key)',
        })
        .option('pass-through-auth', {
          type: 'boolean',
          default: false,
          describe: "send the client's own Authorization to the baseline (never to the candidate)",
        })
        .option('grace-ms', {
          type: 'number',
          default: PROXY_DEFAULTS.graceMs,
          describe: 'on SIGTERM, how long answers in flight may finish',
        })
        .option('connections', {
          type: 'number',
          default: PROXY_DEFAULTS.connections,
          describe: 'connections per provider for served answers',
        })
        .option('record', {
          type: 'string',
          describe: 'record mode: the scenario file (JSONL) lines are appended to',
        })
        .option('record-sample', {
          type: 'number',
          default: PROXY_DEFAULTS.recordSample,
          describe: 'share of requests recorded',
        })
        .option('record-redact', {
          type: 'string',
          array: true,
          default: [] as string[],
          describe: 'regular expression whose matches are recorded as [redacted] (repeatable)',
        })
        .option('rollout', {
          type: 'string',
          describe: 'rollout mode: the rollout id in --db (or latest) whose percentage is followed',
        })
        .option('leader-retry-ms', {
          type: 'number',
          default: PROXY_DEFAULTS.leaderRetryMs,
          describe: 'rollout mode on PostgreSQL: how often a replica tries for the gate lock',
        })
        .option('state-file', {
          type: 'string',
          describe: 'rollout mode: a state document (rollout state --out) instead of --rollout',
        })
        .option('state-poll-ms', {
          type: 'number',
          default: PROXY_DEFAULTS.statePollMs,
          describe:
            'how often the rollout percentage is re-read from --db (PostgreSQL: the fallback behind LISTEN/NOTIFY)',
        })
        .option('sticky-key', {
          type: 'string',
          array: true,
          default: [...PROXY_DEFAULTS.stickyKey],
          describe:
            'where the sticky key is: header (x-shadowgate-key), user, metadata.PATH; first present wins',
        })
        .option('record-rollout', {
          type: 'boolean',
          default: false,
          describe: 'rollout mode: write each routed request to rollout_requests (stage 0)',
        })
        .option('plan', {
          type: 'string',
          describe:
            "rollout mode: the plan whose gates are judged on live traffic (default: the rollout's own)",
        })
        .option('gate-every', {
          type: 'number',
          default: PROXY_DEFAULTS.gateEvery,
          describe: 'rollout mode: judge the live gates every N candidate-routed requests (0 = never)',
        })
        .example('$0 proxy --config exp.yaml --mirror 0.1 --port 8787', 'live shadow of 10% of traffic')
        .example(
          '$0 proxy --config exp.yaml --mode record --record traffic.jsonl',
          'record traffic for a replay',
        ) as unknown as Argv<ProxyArgs>,
    handler: async (argv: ArgumentsCamelCase<ProxyArgs>) => {
      const { io } = ctx;
      const location = dbLocation(io, argv.db);
      const options = proxyOptions(argv, io.cwd, location);
      const config = loadConfig(resolve(io.cwd, argv.config));
      const clock = io.clock ?? systemClock;
      if (io.signal?.aborted) return;
      const proxy = await startProxy(options, config, {
        clock,
        rng: io.rng ?? Math.random,
        env: io.env,
        log: (line) => io.stderr.write(`proxy: ${line}\n`),
      });
      io.stdout.write(`listening ${proxy.url}\n`);
      io.stderr.write(
        `proxy: ${options.mode} mode${proxy.runId ? `, live shadow run ${proxy.runId} in ${dbLabel(io, argv.db, location)}` : ''}; clients use ${proxy.url}/v1\n`,
      );
      await new Promise<void>((done) => {
        const signal = io.signal;
        if (!signal) return; // No signal: serve until the process is killed.
        if (signal.aborted) done();
        else signal.addEventListener('abort', () => done(), { once: true });
      });
      // A second Ctrl-C (the hard signal) cuts the grace period short.
      const end = await proxy.close(io.hardSignal);
      io.stderr.write(
        end.drained
          ? 'proxy: drained, stopped\n'
          : `proxy: grace period over; ${end.inFlightDropped} answer(s) in flight were cut\n`,
      );
    },
  };
}

function fraction(v: number, flag: string): number {
  if (!(Number.isFinite(v) && v >= 0 && v <= 1))
    throw new UsageError(`--${flag}: must be a number from 0 to 1`);
  return v;
}

function positiveInt(v: number, flag: string, min = 1): number {
  if (!(Number.isInteger(v) && v >= min)) throw new UsageError(`--${flag}: must be an integer >= ${min}`);
  return v;
}

/** The flags as a ProxyOptions; a UsageError naming the flag for a bad value. `db`: --db or SHADOWGATE_DB. */
export function proxyOptions(argv: ProxyArgs, cwd: string, db: DbLocation): ProxyOptions {
  const mode = argv.mode as ProxyMode;
  if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535)
    throw new UsageError('--port: must be an integer from 0 to 65535');
  if (mode === 'record' && !argv.record) throw new UsageError('--mode record needs --record FILE');
  if (mode === 'rollout' && !argv.rollout && !argv.stateFile)
    throw new UsageError('--mode rollout needs --rollout ID (in --db) or --state-file FILE');
  const budget = argv.mirrorBudgetUsd;
  if (budget !== undefined && !(Number.isFinite(budget) && budget >= 0))
    throw new UsageError('--mirror-budget-usd: must be a number >= 0');
  return {
    mode,
    host: argv.host,
    port: argv.port,
    dbPath: db.kind === 'sqlite' ? db.path : db.url,
    label: argv.label ?? null,
    redact: argv.redact,
    seed: argv.seed,
    mirror: fraction(argv.mirror, 'mirror'),
    replica: fraction(argv.replica, 'replica'),
    mirrorConcurrency: positiveInt(argv.mirrorConcurrency, 'mirror-concurrency'),
    mirrorQueue: positiveInt(argv.mirrorQueue, 'mirror-queue', 0),
    mirrorQueueBytes: positiveInt(argv.mirrorQueueBytes, 'mirror-queue-bytes', 0),
    mirrorMaxBytes: positiveInt(argv.mirrorMaxBytes, 'mirror-max-bytes', 0),
    mirrorBudgetUsd: budget ?? null,
    maxBodyBytes: positiveInt(argv.maxBodyBytes, 'max-body-bytes'),
    authEnv: argv.authEnv ?? null,
    passThroughAuth: argv.passThroughAuth,
    graceMs: positiveInt(argv.graceMs, 'grace-ms', 0),
    connections: positiveInt(argv.connections, 'connections'),
    record:
      mode === 'record' && argv.record
        ? {
            path: resolve(cwd, argv.record),
            sample: fraction(argv.recordSample, 'record-sample'),
            redactPatterns: compileRedactPatterns(argv.recordRedact),
          }
        : null,
    rollout:
      mode === 'rollout'
        ? {
            rolloutId: argv.rollout ?? null,
            stateFile: argv.stateFile ? resolve(cwd, argv.stateFile) : null,
            pollMs: positiveInt(argv.statePollMs, 'state-poll-ms'),
            leaderRetryMs: positiveInt(argv.leaderRetryMs, 'leader-retry-ms', 10),
            stickyKey: argv.stickyKey,
            recordRequests: argv.recordRollout,
            plan: argv.plan ? loadPlan(resolve(cwd, argv.plan)) : null,
            gateEvery: positiveInt(argv.gateEvery, 'gate-every', 0),
          }
        : null,
  };
}
