import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/load-config.js';
import { buildRolloutReport } from '../../report/rollout-model.js';
import { buildShadowReport } from '../../report/shadow-model.js';
import { DEFAULT_ROLLOUT_PLAN, type RolloutPlan } from '../../rollout/plan.js';
import { runRollout, type StageSummary } from '../../runner/rollout-run.js';
import { runShadow } from '../../runner/shadow-run.js';
import { systemClock } from '../../shared/clock.js';
import { UsageError } from '../../shared/errors.js';
import { shadowgateHome } from '../../shared/package-paths.js';
import { loadSimProfile } from '../../sim/profiles.js';
import { startSimThread, type ThreadedSim } from '../../sim/sim-thread.js';
import { openStore } from '../../store/open-store.js';
import { rolloutLines, weekOneLines } from '../demo-story.js';
import type { CommandContext } from '../io.js';
import { ProgressBar } from '../progress-bar.js';
import { parseFormats, writeRolloutReportFiles, writeShadowReportFiles } from '../report-files.js';
import { stageLine } from './rollout.js';

interface DemoArgs {
  db?: string;
  out: string;
  baselineProfile: string;
  candidateProfile: string;
  badProfile: string;
  limit?: number;
  prompts?: number;
  replica: number;
  concurrency: number;
  seed: number;
  format: string;
  quick: boolean;
  json: boolean;
}

/** The demo's default db: a fresh file each time, beside the reports. */
const DEMO_DB = 'demo.db';

/**
 * `shadowgate demo`: the whole migration story with no API key. Three
 * simulated providers on loopback (baseline `openai-like`, a good candidate
 * `relay-fast`, a degrading one `flaky`): week 1 (a shadow run with an A/A
 * replica, its report and the gate), week 2 (a staged rollout rehearsal with
 * the good candidate) and a rollback drill (the same rollout with `flaky`).
 */
export function demoCommand(ctx: CommandContext): CommandModule<object, DemoArgs> {
  return {
    command: 'demo',
    describe:
      'the whole story on local simulators: week 1 shadow run and gate, week 2 rollout, a rollback drill',
    builder: (y: Argv) =>
      y
        .option('db', {
          type: 'string',
          describe: `SQLite file (default: a fresh <out>/${DEMO_DB}, replaced on every demo)`,
        })
        .option('out', { type: 'string', default: 'reports', describe: 'directory for the report files' })
        .option('baseline-profile', {
          type: 'string',
          default: 'openai-like',
          describe: 'simulator profile for the baseline (built-in name or YAML file)',
        })
        .option('candidate-profile', {
          type: 'string',
          default: 'relay-fast',
          describe: 'simulator profile for the good candidate (built-in name or YAML file)',
        })
        .option('bad-profile', {
          type: 'string',
          default: 'flaky',
          describe: 'simulator profile for the rollback drill (built-in name or YAML file)',
        })
        .option('prompts', {
          type: 'number',
          describe: 'replay only the first N prompts in week 1 (default: all 360)',
        })
        .option('limit', { type: 'number', describe: 'the same as --prompts', hidden: true })
        .option('replica', {
          type: 'number',
          default: 0.3,
          describe: 'fraction of prompts also sent to the baseline again (the A/A noise floor)',
        })
        .option('concurrency', { type: 'number', default: 32, describe: 'prompts in flight' })
        .option('seed', { type: 'number', default: 7, describe: 'seeds the simulators, sampling and jitter' })
        .option('format', { type: 'string', default: 'md,html,json', describe: 'report formats' })
        .option('quick', {
          type: 'boolean',
          default: false,
          describe:
            'the same story, smaller and faster (CI uses it): fewer prompts, smaller stages, faster simulators',
        })
        .option('json', {
          type: 'boolean',
          default: false,
          describe: 'print a JSON summary on stdout',
        }) as unknown as Argv<DemoArgs>,
    handler: async (argv: ArgumentsCamelCase<DemoArgs>) => {
      const { io } = ctx;
      const clock = io.clock ?? systemClock;
      const formats = parseFormats(argv.format);
      if (!(argv.replica >= 0 && argv.replica <= 1))
        throw new UsageError('--replica must be between 0 and 1');
      const prompts = argv.prompts ?? argv.limit;
      if (prompts !== undefined && !(Number.isInteger(prompts) && prompts >= 1))
        throw new UsageError('--prompts must be an integer >= 1');
      // Quick: the simulators run 5x faster than the default demo speed, and the rollout's stages are smaller.
      const speed = argv.quick ? 0.1 : 1;
      const sized = (name: string) => {
        const p = loadSimProfile(name, io.cwd);
        return { ...p, latencyScale: p.latencyScale * speed };
      };
      const baselineProfile = sized(argv.baselineProfile);
      const candidateProfile = sized(argv.candidateProfile);
      const badProfile = sized(argv.badProfile);

      const dbPath = resolve(io.cwd, argv.db ?? join(argv.out, DEMO_DB));
      mkdirSync(dirname(dbPath), { recursive: true });
      if (argv.db === undefined) {
        for (const suffix of ['', '-wal', '-shm']) {
          if (existsSync(dbPath + suffix)) rmSync(dbPath + suffix);
        }
      }
      const scenarioPath = resolve(shadowgateHome(), 'scenarios/sample.jsonl');
      const runDeps = {
        clock,
        env: io.env,
        ...(io.signal ? { signal: io.signal } : {}),
        ...(io.hardSignal ? { hardSignal: io.hardSignal } : {}),
      };

      // The simulators serve from a thread of their own, so the harness's loop (which takes the
      // timestamps) is not the one that plans and writes their answers. The same seed gives them the
      // same base answers, so outputs are comparable.
      const simThread = await startSimThread([
        { profile: baselineProfile, seed: argv.seed },
        { profile: candidateProfile, seed: argv.seed },
        { profile: badProfile, seed: argv.seed },
      ]);
      try {
        const [baseline, candidate, bad] = simThread.sims as [ThreadedSim, ThreadedSim, ThreadedSim];
        io.stderr.write(
          `shadowgate demo: baseline ${baselineProfile.name} at ${baseline.url}, candidate ${candidateProfile.name} at ${candidate.url}, drill ${badProfile.name} at ${bad.url}\n`,
        );

        const config = loadConfig(resolve(shadowgateHome(), 'scenarios/demo.yaml'));
        config.providers.baseline.baseUrl = baseline.url;
        config.providers.candidate.baseUrl = candidate.url;
        // A hung simulated request gives up in seconds, not the default two minutes.
        const timeoutMs = argv.quick ? 2000 : 5000;
        config.retry = {
          ...config.retry,
          attemptTimeoutMs: timeoutMs,
          headersTimeoutMs: timeoutMs,
          bodyTimeoutMs: timeoutMs,
        };

        // ---- Week 1: the shadow run, its report, the gate.
        const bar = new ProgressBar(io.stderr, clock);
        const summary = await runShadow(
          {
            config,
            scenarioPath,
            dbPath,
            label: `demo: ${baselineProfile.name} vs ${candidateProfile.name}`,
            concurrency: argv.concurrency,
            limit: prompts ?? (argv.quick ? 150 : null),
            replica: argv.replica,
            seed: argv.seed,
          },
          {
            ...runDeps,
            onProgress: (s) => bar.update(s),
            onWarning: (line) => io.stderr.write(`${bar.onScreen ? '\n' : ''}shadowgate: ${line}\n`),
          },
        ).finally(() => bar.end());
        const report = withDb(dbPath, (db) =>
          buildShadowReport(db, { runId: summary.run_id, generatedAt: new Date(clock.now()).toISOString() }),
        );
        const shadowPaths = writeShadowReportFiles(report, formats, argv.out, io.cwd);
        const decision = report.verdict.decision;

        // ---- Week 2: the rollout rehearsal with the good candidate, then the drill with the bad one.
        const plan: RolloutPlan = {
          ...DEFAULT_ROLLOUT_PLAN,
          stages: [5, 25, 50, 100],
          minRequestsPerStage: argv.quick ? 150 : 300,
          maxStageRepeats: 2,
          salt: `demo-${argv.seed}`,
        };
        const rolloutDeps = {
          ...runDeps,
          onStage: (s: StageSummary) => io.stderr.write(`  ${stageLine(s).split('\n')[0]}\n`),
        };
        const rehearse = (candidateUrl: string, label: string) =>
          runRollout(
            {
              config: {
                ...config,
                providers: {
                  ...config.providers,
                  candidate: { ...config.providers.candidate, baseUrl: candidateUrl },
                },
              },
              scenarioPath,
              plan,
              dbPath,
              label,
              concurrency: argv.concurrency * 2,
              seed: argv.seed,
              // Whole answers, not streams: a simulated stream costs a timer per token, and at demo
              // speed thousands of them would saturate the CPU that times both arms.
              stream: false,
              // The demo goes on to week 2 whatever week 1 said, and the override is in the audit trail.
              shadow: { runId: summary.run_id, decision, forced: decision !== 'promote' },
              actor: 'shadowgate demo',
            },
            rolloutDeps,
          );
        io.stderr.write(`shadowgate demo: week 2, ${candidateProfile.name} at 5 -> 25 -> 50 -> 100%\n`);
        const good = await rehearse(candidate.url, `demo: ${candidateProfile.name} rollout`);
        io.stderr.write(`shadowgate demo: rollback drill, ${badProfile.name} at 5%\n`);
        const drill = await rehearse(bad.url, `demo: rollback drill with ${badProfile.name}`);
        const rolloutPaths = withDb(dbPath, (db) =>
          [good, drill].flatMap((r) =>
            writeRolloutReportFiles(
              buildRolloutReport(db, {
                rolloutId: r.rollout_id,
                generatedAt: new Date(clock.now()).toISOString(),
              }),
              formats,
              argv.out,
              io.cwd,
            ),
          ),
        );

        if (argv.json) {
          io.stdout.write(
            `${JSON.stringify({
              run_id: summary.run_id,
              status: summary.status,
              db: dbPath,
              decision,
              rollout: {
                rollout_id: good.rollout_id,
                status: good.status,
                final_percentage: good.final_percentage,
              },
              drill: {
                rollout_id: drill.rollout_id,
                status: drill.status,
                final_percentage: drill.final_percentage,
                rolled_back_at_percentage:
                  drill.status === 'rolled_back' ? (drill.stages.at(-1)?.percentage ?? null) : null,
              },
              reports: [...shadowPaths, ...rolloutPaths],
            })}\n`,
          );
          return;
        }
        const lines = [
          '',
          ...weekOneLines(report),
          ...(decision === 'promote'
            ? []
            : ["  The demo goes on to week 2 anyway (--force, recorded in the rollout's audit trail)."]),
          '',
          ...rolloutLines('Week 2', good),
          '',
          ...rolloutLines('Rollback drill', drill),
          '',
          'Reports:',
          ...[...shadowPaths, ...rolloutPaths].map((p) => `  ${p}`),
          '',
          'Next:',
          `  shadowgate gate --db ${dbPath} --run ${summary.run_id}`,
          `  shadowgate rollout status --db ${dbPath} --rollout ${good.rollout_id}`,
          `  shadowgate init my-migration`,
          '',
        ];
        io.stdout.write(lines.join('\n'));
      } finally {
        await simThread.close();
      }
    },
  };
}

function withDb<T>(dbPath: string, f: (db: ReturnType<typeof openStore>) => T): T {
  const db = openStore(dbPath, { readonly: true });
  try {
    return f(db);
  } finally {
    db.close();
  }
}
