import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ShadowgateError, UsageError } from '../shared/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

export type { Database } from 'better-sqlite3';

export interface OpenStoreOptions {
  /** Open read-only: the file must exist, nothing is migrated. Default false. */
  readonly?: boolean;
  /** How long a writer waits for another process's lock, ms. Default 5000. */
  busyTimeoutMs?: number;
}

/**
 * Opens (or creates) a shadowgate database and brings its schema up to
 * SCHEMA_VERSION. WAL lets `report` read while `run` writes; synchronous=NORMAL
 * in WAL mode loses at most the last transactions on power loss, never
 * consistency, which is what resume relies on.
 */
export function openStore(path: string, options: OpenStoreOptions = {}): Database.Database {
  const readonly = options.readonly ?? false;
  if (readonly && path !== ':memory:' && !existsSync(path)) {
    throw new UsageError(`no database at ${path}`, [], 'store_missing');
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly });
  } catch (err) {
    throw new UsageError(`cannot open database ${path}: ${(err as Error).message}`, [], 'store_open');
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new ShadowgateError(
        'store_too_new',
        `database ${path} has schema version ${version}, newer than this shadowgate knows (${SCHEMA_VERSION}); upgrade shadowgate`,
        { exitCode: 2 },
      );
    }
    if (readonly) {
      if (version < SCHEMA_VERSION) {
        throw new ShadowgateError(
          'store_outdated',
          `database ${path} has schema version ${version}; open it once for writing (e.g. shadowgate run) to migrate it to ${SCHEMA_VERSION}`,
          { exitCode: 2 },
        );
      }
      return db;
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // 32 MiB of page cache (default 2): the requests index stays hot during a long run.
    db.pragma('cache_size = -32768');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Applies the migrations the file has not seen yet, in order, in one transaction. */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    // Read inside the transaction: two processes opening a fresh file must not both migrate.
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let i = version; i < MIGRATIONS.length; i++) db.exec(MIGRATIONS[i]!);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
