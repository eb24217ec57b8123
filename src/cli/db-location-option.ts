/**
 * The `--db` option of commands that take either store: a SQLite file or a
 * postgres:// URL, else SHADOWGATE_DB, else ./shadowgate.db (src/store/db-url.ts).
 */
import { type DbLocation, resolveDbLocation } from '../store/db-url.js';
import type { CliIo } from './io.js';

/** `--db`, else SHADOWGATE_DB, else ./shadowgate.db; a relative SQLite path is taken from the cwd. */
export function dbLocationOf(flag: string | undefined, io: Pick<CliIo, 'env' | 'cwd'>): DbLocation {
  return resolveDbLocation(flag, io.env, io.cwd);
}
