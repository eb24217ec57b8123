/**
 * A scratch PostgreSQL database per test file: created in before(), dropped
 * in after(). The server is SHADOWGATE_TEST_PG (an admin URL, default
 * postgres://root@127.0.0.1:5432/postgres); tests that need it fail, never
 * skip, with one line saying what to start when it is not there.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { connectPg } from '../../../src/store/pg/open-pg-store.js';

export const ADMIN_URL = process.env.SHADOWGATE_TEST_PG ?? 'postgres://root@127.0.0.1:5432/postgres';

/** ADMIN_URL with another database name. */
export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(): Promise<pg.Client> {
  try {
    return await connectPg(ADMIN_URL);
  } catch (err) {
    throw new Error(
      `these tests need PostgreSQL (SHADOWGATE_TEST_PG, default ${ADMIN_URL}): ${(err as Error).message}`,
    );
  }
}

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A new empty database `sg_<random>`; drop() removes it, closing any session still on it. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `sg_${randomBytes(6).toString('hex')}`;
  const client = await admin();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return {
    name,
    url: databaseUrl(name),
    drop: async () => {
      const c = await admin();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
