#!/usr/bin/env node
import { runCli } from './run-cli.js';

// The only place that exits the process. First Ctrl-C: graceful stop; second: abort now.
const graceful = new AbortController();
const hard = new AbortController();
const onSignal = () => {
  if (!graceful.signal.aborted) graceful.abort(new Error('interrupted'));
  else hard.abort(new Error('interrupted twice'));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: graceful.signal,
  hardSignal: hard.signal,
});
process.exitCode = code;
// Open handles (keep-alive sockets, timers) must not keep a finished command alive.
setImmediate(() => process.exit());
