import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/load-config.js';
import { formatMs, formatPct, formatShare, formatUsd } from '../../report/number-format.js';
import { decisionSummary } from '../../report/report-text.js';
import { buildShadowReport } from '../../report/shadow-model.js';
import type { ShadowReport } from '../../report/shadow-report.js';
import { runShadow } from '../../runner/shadow-run.js';
import { systemClock } from '../../shared/clock.js';
import { UsageError } from '../../shared/errors.js';
import { shadowgateHome } from '../../shared/package-paths.js';
import { loadSimProfile } from '../../sim/profiles.js';
import { type SimServer, startSimServer } from '../../sim/server.js';
import { openStore } from '../../store/open-store.js';
import type { CommandContext } from '../io.js';
import { ProgressBar } from '../progress-bar.js';
import { parseFormats, writeShadowReportFiles } from '../report-files.js';

interface DemoArgs {
  db?: string;
  out: string;
  baselineProfile: string;
  candidateProfile: string;
  limit?: number;
  replica: number;
  concurrency: number;
  seed: number;
  format: string;
  json: boolean;
}

/** The demo's default db: a fresh file each time, beside the reports. */
const DEMO_DB = 'demo.db';

/**
 * `shadowgate demo`: the week-1 story with no API key. Two simulated providers
 * on loopback (baseline `openai-like`, candidate `relay-fast`), the bundled
 * sample scenario replayed against both, and the shadow report written.
 */
export function demoCommand(ctx: CommandContext): CommandModule<object, DemoArgs> {
  return {
    command: 'demo',
    describe: 'replay the sample scenario against two local simulators and write the shadow report',
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
          describe: 'simulator profile for the candidate (built-in name or YAML file)',
        })
        .option('limit', { type: 'number', describe: 'replay only the first N prompts (default: all 360)' })
        .option('replica', {
          type: 'number',
          default: 0.3,
          describe: 'fraction of prompts also sent to the baseline again (the A/A noise floor)',
        })
        .option('concurrency', { type: 'number', default: 32, describe: 'prompts in flight' })
        .option('seed', { type: 'number', default: 7, describe: 'seeds the simulators, sampling and jitter' })
        .option('format', { type: 'string', default: 'md,html,json', describe: 'report formats' })
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
      const baselineProfile = loadSimProfile(argv.baselineProfile, io.cwd);
      const candidateProfile = loadSimProfile(argv.candidateProfile, io.cwd);

      const dbPath = resolve(io.cwd, argv.db ?? join(argv.out, DEMO_DB));
      mkdirSync(dirname(dbPath), { recursive: true });
      if (argv.db === undefined) {
        for (const suffix of ['', '-wal', '-shm']) {
          if (existsSync(dbPath + suffix)) rmSync(dbPath + suffix);
        }
      }

      const servers: SimServer[] = [];
      try {
        // The same seed gives both simulators the same base answers, so outputs are comparable.
        const baseline = await startSimServer({ profile: baselineProfile, seed: argv.seed });
        servers.push(baseline);
        const candidate = await startSimServer({ profile: candidateProfile, seed: argv.seed });
        servers.push(candidate);
        io.stderr.write(
          `shadowgate demo: baseline ${baselineProfile.name} at ${baseline.url}, candidate ${candidateProfile.name} at ${candidate.url}\n`,
        );

        const config = loadConfig(resolve(shadowgateHome(), 'scenarios/demo.yaml'));
        config.providers.baseline.baseUrl = baseline.url;
        config.providers.candidate.baseUrl = candidate.url;

        const bar = new ProgressBar(io.stderr, clock);
        const summary = await runShadow(
          {
            config,
            scenarioPath: resolve(shadowgateHome(), 'scenarios/sample.jsonl'),
            dbPath,
            label: `demo: ${baselineProfile.name} vs ${candidateProfile.name}`,
            concurrency: argv.concurrency,
            limit: argv.limit ?? null,
            replica: argv.replica,
            seed: argv.seed,
          },
          {
            clock,
            env: io.env,
            ...(io.signal ? { signal: io.signal } : {}),
            ...(io.hardSignal ? { hardSignal: io.hardSignal } : {}),
            onProgress: (s) => bar.update(s),
            onWarning: (line) => io.stderr.write(`${bar.onScreen ? '\n' : ''}shadowgate: ${line}\n`),
          },
        ).finally(() => bar.end());

        const db = openStore(dbPath, { readonly: true });
        let report: ShadowReport;
        try {
          report = buildShadowReport(db, {
            runId: summary.run_id,
            generatedAt: new Date(clock.now()).toISOString(),
          });
        } finally {
          db.close();
        }
        const paths = writeShadowReportFiles(report, formats, argv.out, io.cwd);

        if (argv.json) {
          io.stdout.write(
            `${JSON.stringify({ run_id: summary.run_id, status: summary.status, db: dbPath, decision: report.verdict.decision, reports: paths })}\n`,
          );
        } else {
          io.stdout.write(renderDemoSummary(report, paths, dbPath));
        }
      } finally {
        await Promise.all(servers.map((s) => s.close()));
      }
    },
  };
}

function renderDemoSummary(report: ShadowReport, paths: string[], dbPath: string): string {
  const b = report.arms.baseline;
  const c = report.arms.candidate;
  const lines = [
    '',
    `Shadow run ${report.runId}: verdict ${report.verdict.decision.toUpperCase()}`,
    `  ${decisionSummary(report)}`,
    `  error rate   baseline ${formatShare(b?.errorRate ?? null, 2)}   candidate ${formatShare(c?.errorRate ?? null, 2)}`,
    `  p95 latency  baseline ${formatMs(b?.latencyMs.p95 ?? null)}   candidate ${formatMs(c?.latencyMs.p95 ?? null)}`,
    `  cost         saves ${formatPct(report.comparison.cost.savingsPct)}, ${formatUsd(report.comparison.cost.monthly.savingsUsd)} a month at ${report.comparison.cost.monthly.volume.toLocaleString('en-US')} ${report.comparison.cost.monthly.basis}`,
    '',
    'Reports:',
    ...paths.map((p) => `  ${p}`),
    '',
    'Next:',
    `  shadowgate runs --db ${dbPath}`,
    `  shadowgate report shadow --db ${dbPath} --run ${report.runId} --format md --check`,
    '',
  ];
  return lines.join('\n');
}
