/** Read side of the spend on failures: attempts whose cost is an estimate (schema 4). */
import type { Database } from 'better-sqlite3';
import type { Arm } from './rows.js';

export interface FailureSpendRow {
  arm: Arm;
  /** Estimated cost of the arm's failed attempts that may have been billed, USD. */
  usd: number;
  /** How many such attempts. */
  attempts: number;
}

/** Per arm: the attempts of `runId` booked at an estimated cost (`cost_estimated = 1`). */
export function failureSpend(db: Database, runId: string): FailureSpendRow[] {
  return db
    .prepare(
      `SELECT arm, COALESCE(SUM(cost_usd), 0) AS usd, COUNT(*) AS attempts
       FROM attempts WHERE run_id = ? AND cost_estimated = 1 GROUP BY arm ORDER BY arm`,
    )
    .all(runId) as FailureSpendRow[];
}
