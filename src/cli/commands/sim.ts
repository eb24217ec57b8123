import type { CommandModule } from 'yargs';
import { ShadowgateError } from '../../shared/errors.js';
import type { CommandContext } from '../io.js';

// Placeholder until this command's issue lands.
export function simCommand(_ctx: CommandContext): CommandModule {
  return {
    command: 'sim',
    describe: false,
    handler: () => {
      throw new ShadowgateError('not_implemented', 'sim is not implemented yet');
    },
  };
}
