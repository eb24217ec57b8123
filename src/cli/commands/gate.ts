import { resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadGates } from '../../judge/load-gates.js';
import { gateJson, renderGateText } from '../../report/gate-table.js';
import { intervalTitle } from '../../report/report-text.js';
import { buildShadowReport, resolveShadowRunId } from '../../report/shadow-model.js';
import { systemClock } from '../../shared/clock.js';
import { EXIT } from '../../shared/errors.js';
import { openStore } from '../../store/open-store.js';
import type { CommandContext } from '../io.js';

interface GateArgs {
  run?: string;
  db: string;
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
      default: './shadowgate.db',
      describe: 'SQLite file written by `run`',
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
        .example('$0 gate --run latest', 'exit 0 promote, 3 hold, 4 rollback')
        .example('$0 gate --run latest --gates gates.yaml --json', 'for scripts') as Argv<GateArgs>,
    handler: (argv: ArgumentsCamelCase<GateArgs>) => {
      const { io } = ctx;
      const file = argv.gates === undefined ? undefined : loadGates(resolve(io.cwd, argv.gates));
      const confidence = argv.confidence ?? file?.confidence;
      const db = openStore(resolve(io.cwd, argv.db), { readonly: true });
      try {
        const runId = resolveShadowRunId(db, argv.run);
        const report = buildShadowReport(db, {
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
        db.close();
      }
    },
  };
}
