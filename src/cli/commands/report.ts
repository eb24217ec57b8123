import type { CommandModule } from 'yargs';
import { ShadowgateError } from '../../shared/errors.js';
import type { CommandContext } from '../io.js';

// Placeholder until this command's issue lands.
export function reportCommand(_ctx: CommandContext): CommandModule {
  return {
    command: 'report',
    describe: false,
    handler: () => {
      throw new ShadowgateError('not_implemented', 'report is not implemented yet');
    },
  };
}
