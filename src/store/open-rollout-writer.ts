/**
 * Opens the rollout tables of a store, SQLite file or PostgreSQL database,
 * as one RolloutWriter: the rehearsal, the state commands and `gate
 * --rollout` never know which store they have (the rollout's counterpart
 * of open-run-writer.ts).
 */
import type pg from 'pg';
import { type RolloutWriter, sqliteRolloutWriter } from './async-rollout-store.js';
import { type DbLocation, describeDbLocation } from './db-url.js';
import { openStore } from './open-store.js';
import { openPgStore } from './pg/open-pg-store.js';
import { PgRolloutStore } from './pg/pg-rollout-store.js';
import { RolloutStore } from './rollout-store.js';

export interface OpenRolloutWriter {
  writer: RolloutWriter;
  /** The store as a user wrote it, password hidden: for messages and the summary. */
  label: string;
  /** Flushes the writer, then closes the file or connection, even when the flush throws. */
  close(): Promise<void>;
}

export interface OpenRolloutOptions {
  /**
   * Read-only: a SQLite file must exist (a UsageError otherwise) and a
   * PostgreSQL schema must be current; nothing is migrated. Default false.
   */
  readonly?: boolean;
  /** A resume must not create an empty SQLite file. Default false. */
  mustExist?: boolean;
}

export async function openRolloutWriter(
  location: DbLocation,
  options: OpenRolloutOptions = {},
): Promise<OpenRolloutWriter> {
  const label = describeDbLocation(location);
  if (location.kind === 'sqlite') {
    // openStore's readonly refuses a missing file ("no database at PATH"); mustExist asks the same of a write.
    if (options.mustExist && !options.readonly && location.path !== ':memory:')
      openStore(location.path, { readonly: true }).close();
    const db = openStore(location.path, { readonly: options.readonly ?? false });
    const store = new RolloutStore(db);
    return {
      writer: sqliteRolloutWriter(store),
      label,
      close: async () => {
        try {
          if (!options.readonly) store.close();
        } finally {
          db.close();
        }
      },
    };
  }
  const client: pg.Client = await openPgStore(location.url, { readonly: options.readonly ?? false });
  const writer = new PgRolloutStore(client);
  return {
    writer,
    label,
    close: async () => {
      try {
        await writer.close();
      } finally {
        await client.end();
      }
    },
  };
}
