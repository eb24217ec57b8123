import type { CommandModule } from 'yargs';
import { UsageError } from '../../shared/errors.js';
import { BUILTIN_PROFILES, loadSimProfile } from '../../sim/profiles.js';
import { startSimServer } from '../../sim/server.js';
import type { CommandContext } from '../io.js';

interface SimArgs {
  profile: string;
  port: number;
  host: string;
  seed: number;
  'latency-scale'?: number;
}

/** `shadowgate sim`: serve a simulated provider until interrupted. */
export function simCommand(ctx: CommandContext): CommandModule<object, SimArgs> {
  return {
    command: 'sim',
    describe: 'Serve a simulated LLM provider (OpenAI- and Anthropic-shaped) with latency, faults and limits',
    builder: (y) =>
      y
        .option('profile', {
          type: 'string',
          default: 'steady',
          describe: `built-in (${Object.keys(BUILTIN_PROFILES).join(', ')}) or a YAML/JSON profile file`,
        })
        .option('port', { type: 'number', default: 0, describe: 'port to listen on (0 = a free port)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
        .option('seed', {
          type: 'number',
          default: 1,
          describe: 'content seed: same seed, same base answers',
        })
        .option('latency-scale', {
          type: 'number',
          describe: "multiply every injected delay by this (overrides the profile's latencyScale)",
        }),
    handler: async (args) => {
      const problems: string[] = [];
      if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
        problems.push('--port: must be an integer from 0 to 65535');
      }
      if (!Number.isInteger(args.seed)) problems.push('--seed: must be an integer');
      const scale = args['latency-scale'];
      if (scale !== undefined && !(Number.isFinite(scale) && scale >= 0)) {
        problems.push('--latency-scale: must be a number >= 0');
      }
      if (problems.length > 0) throw new UsageError(problems[0]!, problems);

      const profile = loadSimProfile(args.profile, ctx.io.cwd);
      if (scale !== undefined) profile.latencyScale = scale;

      const signal = ctx.io.signal;
      if (signal?.aborted) return;
      let server: Awaited<ReturnType<typeof startSimServer>>;
      try {
        server = await startSimServer({ profile, host: args.host, port: args.port, seed: args.seed });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          throw new UsageError(`cannot listen on ${args.host}:${args.port} (${code})`);
        }
        throw err;
      }
      ctx.io.stdout.write(`listening ${server.url}\n`);
      ctx.io.stderr.write(
        `sim: profile ${profile.name} (latency x${profile.latencyScale}), seed ${args.seed}; Ctrl-C to stop\n`,
      );
      await new Promise<void>((resolve) => {
        if (!signal) return; // No signal: serve until the process is killed.
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await server.close();
      const stats = server.stats();
      const faults = Object.entries(stats)
        .filter(([k, v]) => k !== 'requests' && k !== 'none' && v > 0)
        .map(([k, v]) => `${k} ${v}`);
      ctx.io.stderr.write(
        `sim: stopped after ${stats.requests} requests${faults.length > 0 ? ` (faults: ${faults.join(', ')})` : ''}\n`,
      );
    },
  };
}
