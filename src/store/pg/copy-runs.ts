/**
 * `shadowgate db copy`: whole runs from one store to another, SQLite or
 * PostgreSQL at either end. A run is a row of a table other tables reference
 * (`runs`, `rollouts`) with every row that references it, read from the
 * schema itself, so a table a later migration adds is copied without a
 * change here. Each run is written in one transaction on the target.
 */
import { isShadowgateError, ShadowgateError, UsageError } from '../../shared/errors.js';
import { type DbLocation, describeDbLocation } from '../db-url.js';
import { type CopyEndpoint, openEndpoint } from './copy-endpoints.js';
import { TABLES, type TableModel } from './pg-migrations.js';

export interface CopyRunsOptions {
  from: DbLocation;
  to: DbLocation;
  /** The runs (or rollouts) to copy, by id. Default: every one in the source. */
  runIds?: readonly string[];
  /** Delete a run the target has already before copying it. Default false: such a run is an error. */
  replace?: boolean;
  /** Rows read and written at a time. Default 1000. */
  batchRows?: number;
  /** Called after each run's transaction commits. */
  onRun?: (run: CopiedRun) => void;
}

export interface CopiedRun {
  id: string;
  /** Rows copied per table, tables with none left out. */
  rows: Record<string, number>;
  /** The target had the run and it was replaced. */
  replaced: boolean;
}

/** A root table (`runs`) and the tables whose rows belong to one of its rows. */
export interface RunFamily {
  root: TableModel;
  rootKey: string;
  members: { table: TableModel; key: string }[];
}

/**
 * The families of the schema: every table referenced by another is a root;
 * every table with a column referencing a root belongs to that root's family.
 * A table in no family would be left behind by a copy, so it is an error.
 */
export function runFamilies(tables: ReadonlyMap<string, TableModel> = TABLES): RunFamily[] {
  const families = new Map<string, RunFamily>();
  for (const t of tables.values())
    for (const c of t.columns) {
      if (!c.references || families.has(c.references.table)) continue;
      const root = tables.get(c.references.table)!;
      families.set(root.name, { root, rootKey: c.references.column, members: [] });
    }
  const orphans: string[] = [];
  for (const t of tables.values()) {
    if (families.has(t.name)) continue;
    const ref = t.columns.find((c) => c.references && families.has(c.references.table));
    if (ref) families.get(ref.references!.table)!.members.push({ table: t, key: ref.name });
    else orphans.push(t.name);
  }
  if (orphans.length > 0)
    throw new UsageError(
      `db copy does not know which run the rows of ${orphans.join(', ')} belong to: give the table a column REFERENCES runs(id) or rollouts(id), or teach src/store/pg/copy-runs.ts`,
    );
  return [...families.values()];
}

/** Copies the runs; returns what each copy wrote. Nothing is written when a check fails. */
export async function copyRuns(options: CopyRunsOptions): Promise<CopiedRun[]> {
  const from = describeDbLocation(options.from);
  const to = describeDbLocation(options.to);
  if (options.from.kind === options.to.kind && from === to)
    throw new UsageError(`db copy: --from and --to are the same store (${from})`);
  const families = runFamilies();
  const batchRows = Math.max(1, Math.floor(options.batchRows ?? 1000));
  const source = await openEndpoint(options.from, 'source');
  let target: CopyEndpoint | null = null;
  try {
    const ids = await selectIds(source, families, options.runIds);
    target = await openEndpoint(options.to, 'target');
    const existing = new Set<string>();
    for (const f of families) for (const id of await target.has(f.root, f.rootKey, ids)) existing.add(id);
    if (existing.size > 0 && !options.replace)
      throw new UsageError(
        `db copy: ${to} already has ${plural(existing.size, 'run')} ${[...existing].join(', ')}; pass --replace to overwrite`,
      );
    const copied: CopiedRun[] = [];
    for (const id of ids) {
      const run = await copyOne(source, target, families, id, existing.has(id), batchRows);
      copied.push(run);
      options.onRun?.(run);
    }
    return copied;
  } finally {
    await target?.close();
    await source.close();
  }
}

async function selectIds(
  source: CopyEndpoint,
  families: RunFamily[],
  wanted: readonly string[] | undefined,
): Promise<string[]> {
  if (wanted === undefined || wanted.length === 0) {
    const all: string[] = [];
    for (const f of families) all.push(...(await source.ids(f.root, f.rootKey)));
    return [...new Set(all)];
  }
  const ids = [...new Set(wanted)];
  const found = new Set<string>();
  for (const f of families) for (const id of await source.has(f.root, f.rootKey, ids)) found.add(id);
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0)
    throw new UsageError(
      `db copy: ${source.name} has no ${plural(missing.length, 'run')} ${missing.join(', ')}`,
    );
  return ids;
}

async function copyOne(
  source: CopyEndpoint,
  target: CopyEndpoint,
  families: RunFamily[],
  id: string,
  replace: boolean,
  batchRows: number,
): Promise<CopiedRun> {
  const rows: Record<string, number> = {};
  let at = 'the start';
  await source.begin();
  await target.begin();
  try {
    if (replace)
      for (const f of families) {
        for (const m of [...f.members].reverse()) await target.delete(m.table, m.key, id);
        await target.delete(f.root, f.rootKey, id);
      }
    for (const f of families) {
      if ((await source.has(f.root, f.rootKey, [id])).size === 0) continue;
      for (const { table, key } of [{ table: f.root, key: f.rootKey }, ...f.members]) {
        at = table.name;
        // A store-assigned key (rollout_events.id) is the target's to assign: ids from two sources would collide.
        const columns = table.columns.filter((c) => !c.generated).map((c) => c.name);
        for await (const batch of source.rows(table, columns, key, id, batchRows)) {
          await target.insert(table, columns, batch);
          rows[table.name] = (rows[table.name] ?? 0) + batch.length;
        }
      }
    }
    await target.commit();
    await source.commit();
  } catch (err) {
    await target.rollback().catch(() => {});
    await source.rollback().catch(() => {});
    if (isShadowgateError(err)) throw err;
    const detail = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new ShadowgateError(
      'copy_failed',
      `db copy: run ${id}, table ${at}: ${detail}; nothing of this run was written to ${target.name}`,
      { cause: err },
    );
  }
  return { id, rows, replaced: replace };
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
