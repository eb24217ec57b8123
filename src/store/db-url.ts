/**
 * Where a command's store is: `--db` (or SHADOWGATE_DB) names either a SQLite
 * file or a PostgreSQL database.
 *
 *   shadowgate.db, ./runs/a.db, sqlite:a.db, sqlite:///abs/a.db, :memory:  -> SQLite
 *   postgres://USER[:PASSWORD]@HOST[:PORT]/DB, postgresql://...           -> PostgreSQL
 */
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../shared/errors.js';

export type DbLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** The store used when neither --db nor SHADOWGATE_DB names one. */
export const DEFAULT_DB = 'shadowgate.db';

/**
 * `--db` wins over SHADOWGATE_DB, which wins over DEFAULT_DB. A relative
 * SQLite path is taken from `cwd`. Throws a UsageError (one line, the
 * password hidden) for a value that is neither.
 */
export function resolveDbLocation(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  cwd: string,
): DbLocation {
  const fromEnv = env.SHADOWGATE_DB === '' ? undefined : env.SHADOWGATE_DB;
  const source = flag !== undefined ? '--db' : fromEnv !== undefined ? 'SHADOWGATE_DB' : null;
  return parseDbLocation(flag ?? fromEnv ?? DEFAULT_DB, cwd, source ?? '--db');
}

/** Parses one value; `source` (`--db`, `SHADOWGATE_DB`, `--from`) names it in errors. */
export function parseDbLocation(value: string, cwd: string, source = '--db'): DbLocation {
  const v = value.trim();
  if (v === '') throw new UsageError(`${source} is empty: give a SQLite file or a postgres:// URL`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(v)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql')
    return { kind: 'postgres', url: checkPostgresUrl(v, source) };
  if (/^sqlite:/i.test(v)) {
    const path = v.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') throw new UsageError(`${source} ${v}: no file after sqlite:`);
    return { kind: 'sqlite', path: sqlitePath(path, cwd) };
  }
  if (scheme !== undefined)
    throw new UsageError(
      `${source} ${redactUrl(v)}: unknown store ${scheme}://; give a SQLite file (sqlite:PATH) or postgres://USER@HOST:PORT/DB`,
    );
  return { kind: 'sqlite', path: sqlitePath(v, cwd) };
}

function sqlitePath(path: string, cwd: string): string {
  return path === ':memory:' || isAbsolute(path) ? path : resolve(cwd, path);
}

function checkPostgresUrl(url: string, source: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${source} ${redactUrl(url)}: not a valid URL (postgres://USER@HOST:PORT/DB)`);
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host'))
    throw new UsageError(`${source} ${redactUrl(url)}: no host (postgres://USER@HOST:PORT/DB)`);
  if (parsed.pathname.replace(/^\//, '') === '')
    throw new UsageError(`${source} ${redactUrl(url)}: no database name (postgres://USER@HOST:PORT/DB)`);
  return url;
}

/** The URL with its password replaced by ***, for messages and logs. */
export function redactUrl(url: string): string {
  return url
    .replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/, '$1:***@')
    .replace(/([?&]password=)[^&]*/i, '$1***');
}

/** A location as a user would write it, password hidden: for messages. */
export function describeDbLocation(location: DbLocation): string {
  return location.kind === 'sqlite' ? location.path : redactUrl(location.url);
}
