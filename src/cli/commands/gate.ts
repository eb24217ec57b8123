import { resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadGates } from '../../judge/load-gates.js';
import { gateJson, renderGateText } from '../../report/gate-table.js';
import { openReportSource } from '../../report/report-source.js';
import { intervalTitle } from '../../report/report-text.js';
import { readShadowReport, resolveShadowRunIdFrom } from '../../report/shadow-model.js';
import { judgeRolloutStage } from '../../rollout/judge-stored-stage.js';
import { systemClock } from '../../shared/clock.js';
import { EXIT, UsageError } from '../../shared/errors.js';
import type { DbLocation } from '../../store/db-url.js';
import { openRolloutWriter } from '../../store/open-rollout-writer.js';
import { dbLocation, dbOptionDescription } from '../db-option.js';
import type { CommandContext } from '../io.js';

interface GateArgs {
  run?: string;
  rollout?: string;
  stage?: number;
  db?: string;
  gates?: string;
  confidence?: number;
  json: boolean;
}

/** The flags `gate` and `report shadow` share: which run, which store, which gates, what confidence. */
export function withVerdictOptions(y: Argv) {
  return y
    .option('run', {
      type: 'string',
      describe: 'run id, or `latest`; optional when the db holds one shadow run',
    })
    .option('db', {
      type: 'string',
      describe: dbOptionDescription('the store written by `run`'),
    })
    .option('gates', {
      type: 'string',
      describe: 'gates file, YAML or JSON (default: the built-in gates)',
    })
    .option('confidence', {
      type: 'number',
      describe: "one-sided confidence of each gate's bound, in (0.5, 1); default 0.95 (or the gates file's)",
    });
}

/** `shadowgate gate`: the shadow report's verdict alone, as an exit code CI can act on. */
export function gateCommand(ctx: CommandContext): CommandModule<object, GateArgs> {
  return {
    command: 'gate',
    describe:
      'judge a run: each gate (observed, interval, threshold, n, status) and the decision as the exit code',
    builder: (y: Argv) =>
      withVerdictOptions(y)
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
        .option('rollout', {
          type: 'string',
          describe: 'judge a stage of this rollout (id or `latest`) instead of a shadow run',
        })
        .option('stage', {
          type: 'number',
          describe: 'with --rollout: the stage attempt to judge (default: the last)',
        })
        .conflicts('rollout', 'run')
        .example('$0 gate --run latest', 'exit 0 promote, 3 hold, 4 rollback')
        .example('$0 gate --rollout latest --stage 1', 'the first stage of the latest rollout')
        .example('$0 gate --run latest --gates gates.yaml --json', 'for scripts') as Argv<GateArgs>,
    handler: async (argv: ArgumentsCamelCase<GateArgs>) => {
      const { io } = ctx;
      const location = dbLocation(io, argv.db);
      if (argv.rollout !== undefined) {
        await gateRollout(ctx, argv, location);
        return;
      }
      if (argv.stage !== undefined) throw new UsageError('--stage needs --rollout ID');
      const file = argv.gates === undefined ? undefined : loadGates(resolve(io.cwd, argv.gates));
      const confidence = argv.confidence ?? file?.confidence;
      const source = await openReportSource(location);
      try {
        const runId = await resolveShadowRunIdFrom(source, argv.run);
        const report = await readShadowReport(source, {
          runId,
          gates: file?.gates,
          ...(confidence === undefined ? {} : { confidence }),
          generatedAt: new Date((io.clock ?? systemClock).now()).toISOString(),
          topDivergent: 0,
        });
        io.stdout.write(
          argv.json
            ? gateJson(report.verdict, { run_id: runId, confidence: report.confidence })
            : renderGateText(report.verdict, intervalTitle(report)),
        );
        ctx.exitCode = { promote: EXIT.ok, hold: EXIT.hold, rollback: EXIT.rollback }[
          report.verdict.decision
        ];
      } finally {
        await source.close();
      }
    },
  };
}

/** `gate --rollout ID [--stage N]`: one stage's judgement, re-derived from its stored requests, from either store. */
async function gateRollout(
  ctx: CommandContext,
  argv: ArgumentsCamelCase<GateArgs>,
  location: DbLocation,
): Promise<void> {
  const { io } = ctx;
  if (argv.gates !== undefined || argv.confidence !== undefined)
    throw new UsageError('--gates and --confidence come from the rollout plan with --rollout');
  const opened = await openRolloutWriter(location, { readonly: true });
  try {
    const judged = await judgeRolloutStage(opened.writer, argv.rollout!, argv.stage);
    const verdict = { decision: judged.decision, gates: judged.gates, reasons: judged.reasons };
    io.stdout.write(
      argv.json
        ? gateJson(verdict, {
            rollout_id: judged.rolloutId,
            stage: judged.stage,
            percentage: judged.percentage,
            confidence: judged.confidence,
            sample_ratio: judged.srm,
          })
        : `rollout ${judged.rolloutId}, stage ${judged.stage} at ${judged.percentage}%\n${renderGateText(verdict, 'confidence sequence')}`,
    );
    ctx.exitCode = { promote: EXIT.ok, hold: EXIT.hold, rollback: EXIT.rollback }[judged.decision];
  } finally {
    await opened.close();
  }
}
