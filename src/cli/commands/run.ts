import type { CommandModule } from 'yargs';
import { ShadowgateError } from '../../shared/errors.js';
import type { CommandContext } from '../io.js';

// Placeholder until this command's issue lands.
export function runCommand(_ctx: CommandContext): CommandModule {
  return {
    command: 'run',
    describe: false,
    handler: () => {
      throw new ShadowgateError('not_implemented', 'run is not implemented yet');
    },
  };
}
