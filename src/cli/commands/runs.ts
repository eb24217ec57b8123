import type { CommandModule } from 'yargs';
import { ShadowgateError } from '../../shared/errors.js';
import type { CommandContext } from '../io.js';

// Placeholder until this command's issue lands.
export function runsCommand(_ctx: CommandContext): CommandModule {
  return {
    command: 'runs',
    describe: false,
    handler: () => {
      throw new ShadowgateError('not_implemented', 'runs is not implemented yet');
    },
  };
}
