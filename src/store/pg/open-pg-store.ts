/**
 * Connecting to a PostgreSQL store and bringing its schema to SCHEMA_VERSION.
 * The version is kept the way SQLite's `PRAGMA user_version` keeps it: one
 * integer per database (the single row of `schema_version`), raised in the
 * same transaction as the migrations it counts. A database from a newer
 * shadowgate is refused rather than misread.
 */
import pg from 'pg';
import { EXIT, ShadowgateError } from '../../shared/errors.js';
import { redactUrl } from '../db-url.js';
import { SCHEMA_VERSION } from '../schema.js';
import { PG_MIGRATIONS } from './pg-migrations.js';

/** Session-level advisory lock keys (one namespace per database): 'SG' and a number. */
export const ADVISORY_LOCKS = {
  /** Held for the migrating transaction: two processes opening a fresh database migrate one after the other. */
  migrate: 0x5347_0001,
} as const;

export interface PgStoreOptions {
  /** Open read-only: nothing is migrated and the schema must be at SCHEMA_VERSION. Default false. */
  readonly?: boolean;
  /** How long connecting may take before it is given up, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** How long a query may take before the driver gives up on it, ms. Default: no limit. */
  queryTimeoutMs?: number;
}

const INT8_OID = 20;

/**
 * BIGINT (INTEGER in SQLite) comes back as a number, as better-sqlite3 gives
 * it, and as a bigint only past 2^53, where a number would lose digits.
 * COUNT(*) and SUM() of integers are BIGINT too.
 */
function parseInt8(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

const storeTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as never,
};

/**
 * A connected client. Connection failures become one line saying what to
 * start or fix, without the password; the client's later errors surface
 * on the query that meets them.
 */
export async function connectPg(url: string, options: PgStoreOptions = {}): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: Math.max(1, options.connectTimeoutMs ?? 5000),
    application_name: 'shadowgate',
    types: storeTypes,
    ...(options.queryTimeoutMs === undefined ? {} : { query_timeout: options.queryTimeoutMs }),
  });
  // An idle client whose server goes away emits 'error'; without a listener that would end the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw connectError(err, url);
  }
  return client;
}

/** Connects and checks (readonly) or migrates the schema. The caller ends the client. */
export async function openPgStore(url: string, options: PgStoreOptions = {}): Promise<pg.Client> {
  const client = await connectPg(url, options);
  try {
    if (options.readonly) {
      const version = await pgSchemaVersion(client);
      checkNotNewer(version, url);
      if (version < SCHEMA_VERSION)
        throw new ShadowgateError(
          'store_outdated',
          version === 0
            ? `database ${redactUrl(url)} has no shadowgate schema; open it once for writing (e.g. shadowgate db copy --to it) to create it`
            : `database ${redactUrl(url)} has schema version ${version}; open it once for writing to migrate it to ${SCHEMA_VERSION}`,
          { exitCode: EXIT.badInput },
        );
    } else {
      await migratePg(client, url);
    }
    return client;
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
}

/** The schema version of the database; 0 when shadowgate never migrated it. */
export async function pgSchemaVersion(client: pg.ClientBase): Promise<number> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass('schema_version')::text AS t");
  if (exists.rows[0]!.t === null) return 0;
  const row = await client.query<{ version: number }>('SELECT version FROM schema_version');
  return row.rows[0]?.version ?? 0;
}

/**
 * Applies the migrations the database has not seen, in order, in one
 * transaction that first takes the migration lock: a second process blocks
 * until the first commits, then reads the new version and has nothing to do.
 * Returns the versions before and after.
 */
export async function migratePg(
  client: pg.ClientBase,
  url = 'the database',
): Promise<{ from: number; to: number }> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.migrate]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)');
    const rows = await client.query<{ version: number }>('SELECT version FROM schema_version');
    const from = rows.rows[0]?.version ?? 0;
    checkNotNewer(from, url);
    for (let i = from; i < PG_MIGRATIONS.length; i++) await client.query(PG_MIGRATIONS[i]!);
    if (rows.rowCount === 0)
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [SCHEMA_VERSION]);
    else if (from < SCHEMA_VERSION)
      await client.query('UPDATE schema_version SET version = $1', [SCHEMA_VERSION]);
    await client.query('COMMIT');
    return { from, to: Math.max(from, SCHEMA_VERSION) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

function checkNotNewer(version: number, url: string): void {
  if (version > SCHEMA_VERSION)
    throw new ShadowgateError(
      'store_too_new',
      `database ${redactUrl(url)} has schema version ${version}, newer than this shadowgate knows (${SCHEMA_VERSION}); upgrade shadowgate`,
      { exitCode: EXIT.badInput },
    );
}

/** Where the URL points, for messages: host:port and database, never the password. */
function target(url: string): { server: string; database: string; user: string } {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    return {
      server: `${host}:${u.port || '5432'}`,
      database: decodeURIComponent(u.pathname.replace(/^\//, '')),
      user: decodeURIComponent(u.username) || '(default user)',
    };
  } catch {
    return { server: redactUrl(url), database: '?', user: '?' };
  }
}

/** One line for a failed connect: what happened and what to start or fix. */
export function connectError(err: unknown, url: string): ShadowgateError {
  const e = err as { code?: string; errors?: { code?: string }[]; message?: string };
  const code = e.code ?? e.errors?.find((x) => x.code)?.code;
  const { server, database, user } = target(url);
  const fail = (message: string) =>
    new ShadowgateError('store_unreachable', message, { exitCode: EXIT.badInput, cause: err });
  const start =
    'start it (e.g. pg_ctlcluster <version> main start, or systemctl start postgresql) or point --db / SHADOWGATE_DB at a running server';
  switch (code) {
    case 'ECONNREFUSED':
      return fail(`cannot reach PostgreSQL at ${server} (connection refused): ${start}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(`cannot reach PostgreSQL at ${server}: unknown host; fix the host in --db / SHADOWGATE_DB`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fail(`cannot reach PostgreSQL at ${server} (${code}): ${start}`);
    case '3D000':
      return fail(
        `PostgreSQL at ${server} has no database "${database}": create it (createdb ${database}) or fix --db`,
      );
    case '28P01':
    case '28000':
      return fail(
        `PostgreSQL at ${server} refused user ${user} for database "${database}": check the user and password`,
      );
    case '57P03':
      return fail(`PostgreSQL at ${server} is starting up or shutting down; try again in a moment`);
  }
  if (/timeout/i.test(e.message ?? ''))
    return fail(`cannot reach PostgreSQL at ${server} (no answer in time): ${start}`);
  const detail = (e.message ?? String(err)).split('\n')[0]!.replaceAll(url, redactUrl(url));
  return fail(`cannot connect to PostgreSQL at ${server}: ${detail}`);
}
