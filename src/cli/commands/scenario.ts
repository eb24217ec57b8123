import type { CommandModule } from 'yargs';
import { ShadowgateError } from '../../shared/errors.js';
import type { CommandContext } from '../io.js';

// Placeholder until this command's issue lands.
export function scenarioCommand(_ctx: CommandContext): CommandModule {
  return {
    command: 'scenario',
    describe: false,
    handler: () => {
      throw new ShadowgateError('not_implemented', 'scenario is not implemented yet');
    },
  };
}
