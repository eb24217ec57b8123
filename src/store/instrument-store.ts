/**
 * `runs.instrument_json`: what a shadow run measured of its own timing error
 * (src/runner/instrument.ts), one JSON object per run, rewritten at the end
 * of every session. NULL for runs made before schema 5 and for rollouts.
 */
import type { Database } from 'better-sqlite3';

/** Writes the run's instrument record (JSON text). */
export function saveInstrumentJson(db: Database, runId: string, json: string): void {
  db.prepare('UPDATE runs SET instrument_json = ? WHERE id = ?').run(json, runId);
}

/** The run's instrument record as stored, or null (none recorded: a run from before schema 5, a rollout). */
export function readInstrumentJson(db: Database, runId: string): string | null {
  const json = db.prepare('SELECT instrument_json FROM runs WHERE id = ?').pluck().get(runId);
  return typeof json === 'string' ? json : null;
}
