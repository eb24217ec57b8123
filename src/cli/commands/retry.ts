import type { CommandModule } from 'yargs';
import { ShadowgateError } from '../../shared/errors.js';
import type { CommandContext } from '../io.js';

// Placeholder until this command's issue lands.
export function retryCommand(_ctx: CommandContext): CommandModule {
  return {
    command: 'retry',
    describe: false,
    handler: () => {
      throw new ShadowgateError('not_implemented', 'retry is not implemented yet');
    },
  };
}
