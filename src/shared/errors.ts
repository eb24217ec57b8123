/**
 * One error hierarchy with stable string codes. Commands throw these; only
 * `src/cli/main.ts` turns them into exit codes and one-line messages.
 */

/** Exit codes the CLI maps errors and verdicts to. Scripts rely on them. */
export const EXIT = {
  ok: 0,
  internal: 1,
  badInput: 2,
  hold: 3,
  rollback: 4,
  interrupted: 130,
  /** Interrupted by SIGTERM (128 + 15). */
  terminated: 143,
} as const;

export class ShadowgateError extends Error {
  /** Stable machine-readable code, e.g. `config_invalid`. */
  readonly code: string;
  /** Exit code main.ts uses when this error reaches it. */
  readonly exitCode: number;

  constructor(code: string, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? EXIT.internal;
  }
}

/** A user's mistake: bad flag, bad file, bad config. Exit 2, no stack trace. */
export class UsageError extends ShadowgateError {
  /** Every problem found, one line each (`path: what is wrong`). */
  readonly problems: string[];

  constructor(message: string, problems: string[] = [], code = 'usage') {
    super(code, message, { exitCode: EXIT.badInput });
    this.problems = problems;
  }
}

export class ConfigError extends UsageError {
  constructor(message: string, problems: string[] = []) {
    super(message, problems, 'config_invalid');
  }
}

export class ScenarioError extends UsageError {
  constructor(message: string, problems: string[] = []) {
    super(message, problems, 'scenario_invalid');
  }
}

/** The run was stopped by the user (Ctrl-C). Exit 130. */
export class InterruptedError extends ShadowgateError {
  constructor(message = 'interrupted') {
    super('interrupted', message, { exitCode: EXIT.interrupted });
  }
}

export function isShadowgateError(e: unknown): e is ShadowgateError {
  return e instanceof ShadowgateError;
}

export function isUsageError(e: unknown): e is UsageError {
  return e instanceof UsageError;
}
