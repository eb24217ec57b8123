import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { describeDbLocation, parseDbLocation } from '../../store/db-url.js';
import type { CopiedRun } from '../../store/pg/copy-runs.js';
import type { CommandContext } from '../io.js';

interface CopyArgs {
  from: string;
  to: string;
  run?: string[];
  replace: boolean;
  batchRows: number;
}

/** `shadowgate db <action>`: moving runs between stores. */
export function dbCommand(ctx: CommandContext): CommandModule {
  return {
    command: 'db',
    describe: 'move runs between stores (SQLite files and PostgreSQL databases)',
    builder: (y: Argv) => y.command(copyCommand(ctx)).demandCommand(1, 'name an action: copy'),
    handler: () => {},
  };
}

function copyCommand(ctx: CommandContext): CommandModule<object, CopyArgs> {
  return {
    command: 'copy',
    describe: 'copy whole runs, with every row that belongs to them, from one store to another',
    builder: (y: Argv) =>
      y
        .option('from', {
          type: 'string',
          demandOption: true,
          describe: 'the source: a SQLite file (sqlite:PATH or PATH) or postgres://USER@HOST:PORT/DB',
        })
        .option('to', {
          type: 'string',
          demandOption: true,
          describe: 'the target, the same forms; created and migrated when new',
        })
        .option('run', {
          type: 'string',
          array: true,
          describe: 'a run or rollout id to copy (repeat for more); default: all of them',
        })
        .option('replace', {
          type: 'boolean',
          default: false,
          describe: 'overwrite runs the target has already (default: refuse)',
        })
        .option('batch-rows', { type: 'number', default: 1000, describe: 'rows read and inserted at a time' })
        .example('$0 db copy --from sqlite:shadowgate.db --to postgres://me@db:5432/shadowgate', 'every run')
        .example(
          '$0 db copy --from postgres://me@db:5432/shadowgate --to sqlite:one.db --run r-abc',
          'one run',
        ) as unknown as Argv<CopyArgs>,
    handler: async (argv: ArgumentsCamelCase<CopyArgs>) => {
      const { io } = ctx;
      const from = parseDbLocation(argv.from, io.cwd, '--from');
      const to = parseDbLocation(argv.to, io.cwd, '--to');
      // Loaded here, not at the top: every other command starts without the pg driver.
      const { copyRuns } = await import('../../store/pg/copy-runs.js');
      const copied = await copyRuns({
        from,
        to,
        ...(argv.run ? { runIds: argv.run } : {}),
        replace: argv.replace,
        batchRows: argv.batchRows,
        onRun: (run) => io.stdout.write(`${runLine(run)}\n`),
      });
      io.stdout.write(
        `copied ${copied.length} run${copied.length === 1 ? '' : 's'} from ${describeDbLocation(from)} to ${describeDbLocation(to)}\n`,
      );
    },
  };
}

function runLine(run: CopiedRun): string {
  const counts = Object.entries(run.rows).map(([table, n]) => `${table} ${n}`);
  return `${run.id}${run.replaced ? ' (replaced)' : ''}: ${counts.join(', ')}`;
}
