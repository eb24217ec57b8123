import yargs from 'yargs';
import { EXIT, isShadowgateError, isUsageError, UsageError } from '../shared/errors.js';
import { dbCommand } from './commands/db.js';
import { demoCommand } from './commands/demo.js';
import { gateCommand } from './commands/gate.js';
import { initCommand } from './commands/init.js';
import { proxyCommand } from './commands/proxy.js';
import { reportCommand } from './commands/report.js';
import { retryCommand } from './commands/retry.js';
import { rolloutCommand } from './commands/rollout.js';
import { runCommand } from './commands/run.js';
import { runsCommand } from './commands/runs.js';
import { scenarioCommand } from './commands/scenario.js';
import { simCommand } from './commands/sim.js';
import type { CliIo, CommandContext } from './io.js';

/**
 * Parses argv and runs one command. Returns the exit code; never exits the
 * process itself (main.ts does), so tests can call it in-process.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const ctx: CommandContext = { io, exitCode: EXIT.ok };
  const parser = yargs(argv)
    .scriptName('shadowgate')
    .usage('shadowgate <command> [options]\n\nShadow-test an LLM provider migration.')
    .command(retryCommand(ctx))
    .command(simCommand(ctx))
    .command(scenarioCommand(ctx))
    .command(runCommand(ctx))
    .command(runsCommand(ctx))
    .command(reportCommand(ctx))
    .command(gateCommand(ctx))
    .command(rolloutCommand(ctx))
    .command(proxyCommand(ctx))
    .command(demoCommand(ctx))
    .command(initCommand(ctx))
    .command(dbCommand(ctx))
    .demandCommand(1, 'name a command; see shadowgate --help')
    .strict()
    .recommendCommands()
    .help()
    .version()
    .wrap(Math.min(110, io.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });

  try {
    let helpOutput = '';
    await parser.parseAsync(argv, {}, (_err, _args, output) => {
      helpOutput = output;
    });
    if (helpOutput) io.stdout.write(helpOutput.endsWith('\n') ? helpOutput : `${helpOutput}\n`);
  } catch (err) {
    return reportError(err, io);
  }
  return ctx.exitCode;
}

/** Prints one line (plus listed problems) and returns the exit code for `err`. */
export function reportError(err: unknown, io: CliIo): number {
  if (isUsageError(err)) {
    io.stderr.write(`shadowgate: ${err.message}\n`);
    for (const p of err.problems) io.stderr.write(`  ${p}\n`);
    return err.exitCode;
  }
  if (isShadowgateError(err)) {
    io.stderr.write(`shadowgate: ${err.message}\n`);
    return err.exitCode;
  }
  const detail = err instanceof Error ? (io.env.SHADOWGATE_DEBUG ? err.stack : err.message) : String(err);
  io.stderr.write(`shadowgate: internal error: ${detail}\n`);
  return EXIT.internal;
}
