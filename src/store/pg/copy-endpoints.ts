/**
 * Both ends of `db copy`: the same few operations on a SQLite file and on a
 * PostgreSQL database. Rows are read in the order the store holds them
 * (SQLite's rowid, PostgreSQL's physical order) and written in that order, so
 * a copied run's report sums its floating-point columns in the same order and
 * comes out byte for byte the same.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { type DbLocation, describeDbLocation } from '../db-url.js';
import { openStore } from '../open-store.js';
import { openPgStore } from './open-pg-store.js';
import type { TableModel } from './pg-migrations.js';

export type Row = unknown[];

export interface CopyEndpoint {
  /** For messages: the path or the URL without its password. */
  readonly name: string;
  /** The values of `key` in `table`, in storage order. */
  ids(table: TableModel, key: string): Promise<string[]>;
  /** Of `ids`, the ones `table` has. */
  has(table: TableModel, key: string, ids: readonly string[]): Promise<Set<string>>;
  /** The rows of `table` whose `key` is `id`, `columns` only, in storage order, `batchRows` at a time. */
  rows(
    table: TableModel,
    columns: readonly string[],
    key: string,
    id: string,
    batchRows: number,
  ): AsyncIterable<Row[]>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  delete(table: TableModel, key: string, id: string): Promise<number>;
  insert(table: TableModel, columns: readonly string[], rows: readonly Row[]): Promise<void>;
  close(): Promise<void>;
}

/** Opens an end of a copy: the source read-only (it must exist), the target created and migrated. */
export async function openEndpoint(location: DbLocation, role: 'source' | 'target'): Promise<CopyEndpoint> {
  const readonly = role === 'source';
  if (location.kind === 'sqlite')
    return new SqliteEndpoint(openStore(location.path, { readonly }), describeDbLocation(location));
  return new PgEndpoint(await openPgStore(location.url, { readonly }), describeDbLocation(location));
}

class SqliteEndpoint implements CopyEndpoint {
  private readonly inserts = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    readonly name: string,
  ) {}

  async ids(table: TableModel, key: string): Promise<string[]> {
    return this.db.prepare(`SELECT ${key} FROM ${table.name} ORDER BY rowid`).pluck().all() as string[];
  }

  async has(table: TableModel, key: string, ids: readonly string[]): Promise<Set<string>> {
    const stmt = this.db.prepare(`SELECT 1 FROM ${table.name} WHERE ${key} = ?`).pluck();
    return new Set(ids.filter((id) => stmt.get(id) !== undefined));
  }

  async *rows(
    table: TableModel,
    columns: readonly string[],
    key: string,
    id: string,
    batchRows: number,
  ): AsyncIterable<Row[]> {
    const stmt = this.db
      .prepare(`SELECT ${columns.join(', ')} FROM ${table.name} WHERE ${key} = ? ORDER BY rowid`)
      .raw();
    let batch: Row[] = [];
    for (const row of stmt.iterate(id) as IterableIterator<Row>) {
      batch.push(row);
      if (batch.length >= batchRows) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  async begin(): Promise<void> {
    // IMMEDIATE takes the write lock now, so a concurrent writer waits (busy_timeout) instead of failing mid-copy.
    this.db.exec(this.db.readonly ? 'BEGIN' : 'BEGIN IMMEDIATE');
  }

  async commit(): Promise<void> {
    this.db.exec('COMMIT');
  }

  async rollback(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  async delete(table: TableModel, key: string, id: string): Promise<number> {
    return this.db.prepare(`DELETE FROM ${table.name} WHERE ${key} = ?`).run(id).changes;
  }

  async insert(table: TableModel, columns: readonly string[], rows: readonly Row[]): Promise<void> {
    const sql = `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    let stmt = this.inserts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.inserts.set(sql, stmt);
    }
    for (const row of rows) stmt.run(row);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

class PgEndpoint implements CopyEndpoint {
  private cursors = 0;

  constructor(
    private readonly client: pg.Client,
    readonly name: string,
  ) {}

  async ids(table: TableModel, key: string): Promise<string[]> {
    const r = await this.client.query({
      text: `SELECT ${key} FROM ${table.name} ORDER BY ctid`,
      rowMode: 'array',
    });
    return r.rows.map((row: Row) => row[0] as string);
  }

  async has(table: TableModel, key: string, ids: readonly string[]): Promise<Set<string>> {
    const r = await this.client.query({
      text: `SELECT ${key} FROM ${table.name} WHERE ${key} = ANY($1)`,
      values: [ids],
      rowMode: 'array',
    });
    return new Set(r.rows.map((row: Row) => row[0] as string));
  }

  /** Through a cursor (the source is in a transaction, see begin), so a 1M-row run is never in memory at once. */
  async *rows(
    table: TableModel,
    columns: readonly string[],
    key: string,
    id: string,
    batchRows: number,
  ): AsyncIterable<Row[]> {
    const cursor = `copy_${++this.cursors}`;
    await this.client.query({
      text: `DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${columns.join(', ')} FROM ${table.name} WHERE ${key} = $1 ORDER BY ctid`,
      values: [id],
    });
    try {
      for (;;) {
        const r = await this.client.query({ text: `FETCH ${batchRows} FROM ${cursor}`, rowMode: 'array' });
        if (r.rows.length > 0) yield r.rows as Row[];
        if (r.rows.length < batchRows) break;
      }
    } finally {
      await this.client.query(`CLOSE ${cursor}`);
    }
  }

  async begin(): Promise<void> {
    // The source reads one run in one snapshot: a writer adding rows meanwhile cannot tear it.
    await this.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  }

  async commit(): Promise<void> {
    await this.client.query('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.client.query('ROLLBACK');
  }

  async delete(table: TableModel, key: string, id: string): Promise<number> {
    return (await this.client.query(`DELETE FROM ${table.name} WHERE ${key} = $1`, [id])).rowCount ?? 0;
  }

  /**
   * One INSERT ... SELECT FROM unnest() per batch: a parameter per column
   * (an array of the batch's values) rather than one per value, so the
   * statement is the same size for 10 rows or 10,000 and parses once.
   */
  async insert(table: TableModel, columns: readonly string[], rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const types = columns.map((name) => table.columns.find((c) => c.name === name)!.pgType);
    const arrays = columns.map((_, i) => rows.map((row) => row[i] ?? null));
    const params = types.map((type, i) => `$${i + 1}::${type}[]`).join(', ');
    await this.client.query(
      `INSERT INTO ${table.name} (${columns.join(', ')}) SELECT * FROM unnest(${params})`,
      arrays,
    );
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
