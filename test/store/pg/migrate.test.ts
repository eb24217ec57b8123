import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { openStore } from '../../../src/store/open-store.js';
import { connectPg, migratePg, openPgStore, pgSchemaVersion } from '../../../src/store/pg/open-pg-store.js';
import type { PG_TYPES } from '../../../src/store/pg/pg-migrations.js';
import { SCHEMA_VERSION } from '../../../src/store/schema.js';
import { createScratchDatabase, databaseUrl, type ScratchDatabase } from './scratch-db.js';

interface PgColumn {
  table_name: string;
  column_name: string;
  data_type: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
}

async function pgColumns(client: pg.Client): Promise<PgColumn[]> {
  const r = await client.query<PgColumn>(
    `SELECT table_name, column_name, data_type, is_nullable, column_default
     FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'schema_version'
     ORDER BY table_name, ordinal_position`,
  );
  return r.rows;
}

async function pgPrimaryKeys(client: pg.Client): Promise<Map<string, string[]>> {
  const r = await client.query<{ table_name: string; column_name: string }>(
    `SELECT tc.table_name, k.column_name FROM information_schema.table_constraints tc
     JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name
       AND k.table_schema = tc.table_schema
     WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema()
     ORDER BY tc.table_name, k.ordinal_position`,
  );
  const keys = new Map<string, string[]>();
  for (const row of r.rows) keys.set(row.table_name, [...(keys.get(row.table_name) ?? []), row.column_name]);
  return keys;
}

describe('the PostgreSQL schema', () => {
  let scratch: ScratchDatabase;
  before(async () => {
    scratch = await createScratchDatabase();
  });
  after(() => scratch.drop());

  it('migrates an empty database to SCHEMA_VERSION, and again does nothing', async () => {
    const client = await connectPg(scratch.url);
    try {
      assert.equal(await pgSchemaVersion(client), 0);
      assert.deepEqual(await migratePg(client), { from: 0, to: SCHEMA_VERSION });
      assert.equal(await pgSchemaVersion(client), SCHEMA_VERSION);
      const before = await pgColumns(client);
      assert.deepEqual(await migratePg(client), { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
      assert.deepEqual(await pgColumns(client), before);
      const rows = await client.query('SELECT version FROM schema_version');
      assert.deepEqual(rows.rows, [{ version: SCHEMA_VERSION }]);
    } finally {
      await client.end();
    }
  });

  it('has the tables, columns, keys and defaults of a fresh SQLite file, types mapped', async () => {
    const sqlite = openStore(':memory:');
    const client = await openPgStore(scratch.url);
    try {
      const tables = (
        sqlite
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
          )
          .pluck()
          .all() as string[]
      ).sort();
      const pgCols = await pgColumns(client);
      assert.deepEqual([...new Set(pgCols.map((c) => c.table_name))].sort(), tables);
      const keys = await pgPrimaryKeys(client);
      const typeNames: Record<string, string> = { TEXT: 'text', INTEGER: 'bigint', REAL: 'double precision' };
      for (const table of tables) {
        const info = sqlite.prepare(`PRAGMA table_info(${table})`).all() as {
          name: string;
          type: keyof typeof PG_TYPES;
          notnull: number;
          dflt_value: string | null;
          pk: number;
        }[];
        const mine = pgCols.filter((c) => c.table_name === table);
        assert.deepEqual(
          mine.map((c) => c.column_name),
          info.map((c) => c.name),
          table,
        );
        for (const [i, c] of info.entries()) {
          const p = mine[i]!;
          assert.equal(p.data_type, typeNames[c.type], `${table}.${c.name}`);
          assert.equal(p.is_nullable === 'NO', c.notnull === 1 || c.pk > 0, `${table}.${c.name} nullability`);
          if (c.dflt_value !== null)
            assert.equal(p.column_default, c.dflt_value, `${table}.${c.name} default`);
        }
        const sqliteKey = info
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name);
        assert.deepEqual(keys.get(table) ?? [], sqliteKey, `${table} primary key`);
      }
      const indexes = await client.query<{ indexname: string }>(
        `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey'
         ORDER BY indexname`,
      );
      const sqliteIndexes = sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        .pluck()
        .all();
      assert.deepEqual(
        indexes.rows.map((r) => r.indexname),
        sqliteIndexes,
      );
    } finally {
      sqlite.close();
      await client.end();
    }
  });

  it('keeps the CHECK constraints and foreign keys', async () => {
    const client = await openPgStore(scratch.url);
    try {
      const insertRun = (kind: string) =>
        client.query(
          `INSERT INTO runs (id, kind, status, started_at, config_json, seed) VALUES ($1, $2, 'running', 'x', '{}', 1)`,
          [`r-${kind}`, kind],
        );
      await insertRun('shadow');
      await assert.rejects(insertRun('bogus'), (err: { code?: string }) => err.code === '23514');
      await assert.rejects(
        client.query(
          `INSERT INTO prompts (run_id, prompt_id, seq, model, prompt_hash) VALUES ('r-none', 'p', 0, 'm', 'h')`,
        ),
        (err: { code?: string }) => err.code === '23503',
      );
      // rollout_events.id is assigned by the store, as SQLite's INTEGER PRIMARY KEY is.
      await client.query(
        `INSERT INTO rollouts (id, status, percentage, salt, hash_version, plan_json, seed, started_at, updated_at)
         VALUES ('ro-1', 'running', 0, 's', 1, '{}', 1, 'x', 'x')`,
      );
      const ids = await client.query<{ id: number }>(
        `INSERT INTO rollout_events (rollout_id, at, actor, automatic, reason) VALUES
           ('ro-1', 'x', 'a', 0, 'one'), ('ro-1', 'x', 'a', 0, 'two') RETURNING id`,
      );
      assert.deepEqual(
        ids.rows.map((r) => r.id),
        [1, 2],
      );
    } finally {
      await client.end();
    }
  });

  it('two processes migrating one new database at once both end at SCHEMA_VERSION without an error', async () => {
    const fresh = await createScratchDatabase();
    try {
      const clients = await Promise.all([1, 2, 3, 4].map(() => connectPg(fresh.url)));
      try {
        const results = await Promise.all(clients.map((c) => migratePg(c)));
        assert.deepEqual(
          results.map((r) => r.to),
          [SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION],
        );
        // Exactly one of them did the work; the others found it done.
        assert.equal(results.filter((r) => r.from === 0).length, 1);
        for (const c of clients) assert.equal(await pgSchemaVersion(c), SCHEMA_VERSION);
      } finally {
        await Promise.all(clients.map((c) => c.end()));
      }
    } finally {
      await fresh.drop();
    }
  });

  it('refuses a database from a newer shadowgate, and a read-only open of one never migrated', async () => {
    const fresh = await createScratchDatabase();
    try {
      await assert.rejects(openPgStore(fresh.url, { readonly: true }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'store_outdated');
        assert.match(err.message, /has no shadowgate schema/);
        return true;
      });
      const client = await openPgStore(fresh.url);
      await client.query('UPDATE schema_version SET version = $1', [SCHEMA_VERSION + 1]);
      await client.end();
      for (const readonly of [false, true])
        await assert.rejects(openPgStore(fresh.url, { readonly }), (err: Error & { code?: string }) => {
          assert.equal(err.code, 'store_too_new');
          assert.match(err.message, new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer`));
          return true;
        });
    } finally {
      await fresh.drop();
    }
  });

  it('a server that is not there, or a database that is not, is one line saying what to do', async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as { port: number }).port;
    await new Promise((done) => server.close(done));
    await assert.rejects(
      openPgStore(`postgres://root:s3cret@127.0.0.1:${port}/x`),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'store_unreachable');
        assert.equal(
          err.message,
          `cannot reach PostgreSQL at 127.0.0.1:${port} (connection refused): start it (e.g. pg_ctlcluster <version> main start, or systemctl start postgresql) or point --db / SHADOWGATE_DB at a running server`,
        );
        return true;
      },
    );
    await assert.rejects(openPgStore(databaseUrl('sg_no_such_db')), (err: Error) => {
      assert.match(err.message, /has no database "sg_no_such_db": create it \(createdb sg_no_such_db\)/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  });
});
