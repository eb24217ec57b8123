/**
 * Opens the store a shadow run writes to, SQLite file or PostgreSQL
 * database, as one RunWriter: the runner never knows which it has.
 */
import { existsSync } from 'node:fs';
import type pg from 'pg';
import { UsageError } from '../shared/errors.js';
import { type RunWriter, sqliteRunWriter } from './async-run-store.js';
import { type DbLocation, describeDbLocation } from './db-url.js';
import { openStore } from './open-store.js';
import { openPgStore } from './pg/open-pg-store.js';
import { pgListRuns } from './pg/pg-run-queries.js';
import { PgRunStore } from './pg/pg-run-store.js';
import { listRuns, type RunSummary } from './run-queries.js';
import { RunStore } from './run-store.js';

export interface OpenRunWriter {
  writer: RunWriter;
  /** The store as a user wrote it, password hidden: for messages and the run summary. */
  label: string;
  /** The run's counts as `shadowgate runs` lists them. */
  runSummary(runId: string): Promise<RunSummary | undefined>;
  /** Flushes the writer, then closes the file or connection, even when the flush throws. */
  close(): Promise<void>;
}

/** `mustExist`: a resume must not create an empty SQLite file (PostgreSQL's database exists or the connect fails). */
export async function openRunWriter(
  location: DbLocation,
  options: { mustExist?: boolean; shard?: number } = {},
): Promise<OpenRunWriter> {
  const label = describeDbLocation(location);
  if (location.kind === 'sqlite') {
    if (options.mustExist && location.path !== ':memory:' && !existsSync(location.path))
      throw new UsageError(`no database at ${location.path}`);
    const db = openStore(location.path);
    const store = new RunStore(db, options.shard === undefined ? {} : { shard: options.shard });
    const writer = sqliteRunWriter(store);
    return {
      writer,
      label,
      runSummary: async (runId) => listRuns(db).find((r) => r.id === runId),
      close: async () => {
        try {
          store.close();
        } finally {
          db.close();
        }
      },
    };
  }
  const client: pg.Client = await openPgStore(location.url);
  const writer = new PgRunStore(client, options.shard === undefined ? {} : { shard: options.shard });
  return {
    writer,
    label,
    runSummary: async (runId) => {
      await writer.flush();
      return (await pgListRuns(client)).find((r) => r.id === runId);
    },
    close: async () => {
      try {
        await writer.close();
      } finally {
        await client.end();
      }
    },
  };
}
