#!/usr/bin/env -S node --max-old-space-size=256
// The shebang caps V8's old space at 256 MB. A replay's live heap stays under ~70 MB at any size, but
// uncapped, V8 sizes its heap by the machine's memory and peak RSS grows with the run's length
// (docs/benchmarks.md, "Memory"). Flags on the command line win over NODE_OPTIONS: for another cap, run
// `node --max-old-space-size=N <path to dist/src/cli/main.js> ...`.
import { EXIT } from '../shared/errors.js';
import { runCli } from './run-cli.js';

// The only place that exits the process. First Ctrl-C: graceful stop; second: abort now.
const graceful = new AbortController();
const hard = new AbortController();
let firstSignal: NodeJS.Signals | null = null;
const onSignal = (signal: NodeJS.Signals) => {
  firstSignal ??= signal;
  if (!graceful.signal.aborted) graceful.abort(new Error('interrupted'));
  else hard.abort(new Error('interrupted twice'));
};
process.on('SIGINT', onSignal);
// CI cancels, `docker stop` and systemd send SIGTERM: the same graceful stop as Ctrl-C.
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: graceful.signal,
  hardSignal: hard.signal,
});
// By shell convention a run stopped by a signal exits 128 + its number: 130 for SIGINT, 143 for SIGTERM.
process.exitCode = code === EXIT.interrupted && firstSignal === 'SIGTERM' ? EXIT.terminated : code;
// Open handles (keep-alive sockets, timers) must not keep a finished command alive.
setImmediate(() => process.exit());
