import { join, relative, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { ProviderKind } from '../../config/types.js';
import { PROVIDER_KINDS } from '../../config/validate-config.js';
import { initProject } from '../../init/init-project.js';
import { shadowgateHome } from '../../shared/package-paths.js';
import type { CommandContext } from '../io.js';

interface InitArgs {
  dir: string;
  baseline: ProviderKind;
  candidate: ProviderKind;
  force: boolean;
}

/** `shadowgate init [DIR]`: a commented config, a rollout plan and an example scenario. */
export function initCommand(ctx: CommandContext): CommandModule<object, InitArgs> {
  return {
    command: 'init [dir]',
    describe: 'write a commented shadowgate.yaml, a rollout plan.yaml and an example prompts.jsonl',
    builder: (y: Argv) =>
      y
        .positional('dir', { type: 'string', default: '.', describe: 'directory, created when missing' })
        .option('baseline', {
          choices: PROVIDER_KINDS,
          default: 'openai' as ProviderKind,
          describe: 'the provider you use now',
        })
        .option('candidate', {
          choices: PROVIDER_KINDS,
          default: 'openai' as ProviderKind,
          describe: 'the provider you may move to (openai: an OpenAI-compatible relay)',
        })
        .option('force', { type: 'boolean', default: false, describe: 'overwrite files that exist' })
        .example(
          '$0 init migration --candidate anthropic',
          'OpenAI today, Anthropic tomorrow',
        ) as Argv<InitArgs>,
    handler: (argv: ArgumentsCamelCase<InitArgs>) => {
      const { io } = ctx;
      const dir = resolve(io.cwd, argv.dir);
      const result = initProject({
        dir,
        baseline: argv.baseline,
        candidate: argv.candidate,
        force: argv.force,
        schemaDir: join(shadowgateHome(), 'schema'),
        cwd: io.cwd,
      });
      for (const path of result.written) io.stdout.write(`wrote ${shown(io.cwd, path)}\n`);
      io.stdout.write('\nnext:\n');
      for (const line of result.next) io.stdout.write(`  ${line}\n`);
    },
  };
}

function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith('..') ? path : rel;
}
