/**
 * `--db` of the commands that take either store (`run`, `runs`, `report`, `gate`): a SQLite
 * file or a postgres:// URL. The flag has no yargs default, so that
 * SHADOWGATE_DB applies when it is not given (resolveDbLocation).
 */
import { type DbLocation, DEFAULT_DB, redactUrl, resolveDbLocation } from '../store/db-url.js';
import type { CliIo } from './io.js';

/** The help text of `--db`, naming the default a yargs default would have shown. */
export function dbOptionDescription(what: string): string {
  return `${what}: a SQLite file or postgres://USER@HOST:PORT/DB (default: SHADOWGATE_DB, else ./${DEFAULT_DB})`;
}

/** Where the store is: `--db`, else SHADOWGATE_DB, else ./shadowgate.db. */
export function dbLocation(io: CliIo, flag: string | undefined): DbLocation {
  return resolveDbLocation(flag, io.env, io.cwd);
}

/** The store as the user named it, for messages: the value given (password hidden), or the default. */
export function dbLabel(io: CliIo, flag: string | undefined, location: DbLocation): string {
  if (location.kind === 'postgres') return redactUrl(location.url);
  const given = flag ?? (io.env.SHADOWGATE_DB === '' ? undefined : io.env.SHADOWGATE_DB);
  return given ?? DEFAULT_DB;
}
