import type { CommandModule } from 'yargs';
import { ShadowgateError } from '../../shared/errors.js';
import type { CommandContext } from '../io.js';

// Placeholder until this command's issue lands.
export function demoCommand(_ctx: CommandContext): CommandModule {
  return {
    command: 'demo',
    describe: false,
    handler: () => {
      throw new ShadowgateError('not_implemented', 'demo is not implemented yet');
    },
  };
}
