/**
 * Pairs whose similarity was never computed: both arms answered ok, but in
 * different sessions of a resumed run (an interruption or a budget refusal
 * came between them), so no session held both answers in memory.
 */
import type Database from 'better-sqlite3';
import type { Arm } from './rows.js';

export interface UnscoredPair {
  promptId: string;
  /** `candidate` or `baseline_replica`. */
  arm: Arm;
  /** NULL when the run is redacted: the similarity cannot be computed from the db. */
  text: string | null;
  toolCallsJson: string | null;
  baselineText: string | null;
  baselineToolCallsJson: string | null;
}

/** Every ok non-baseline row of the run with NULL similarity whose baseline row is ok too. */
export function unscoredPairs(db: Database.Database, runId: string): UnscoredPair[] {
  return db
    .prepare(
      `SELECT o.prompt_id AS promptId, o.arm AS arm, o.output_text AS text, o.tool_calls_json AS toolCallsJson,
              b.output_text AS baselineText, b.tool_calls_json AS baselineToolCallsJson
       FROM requests o JOIN requests b
         ON b.run_id = o.run_id AND b.prompt_id = o.prompt_id AND b.arm = 'baseline'
       WHERE o.run_id = ? AND o.arm != 'baseline' AND o.similarity IS NULL
         AND o.outcome = 'ok' AND b.outcome = 'ok'`,
    )
    .all(runId) as UnscoredPair[];
}

/** Writes the similarities in one transaction. */
export function setSimilarities(
  db: Database.Database,
  runId: string,
  scores: { promptId: string; arm: Arm; similarity: number }[],
): void {
  if (scores.length === 0) return;
  const stmt = db.prepare(
    'UPDATE requests SET similarity = ? WHERE run_id = ? AND prompt_id = ? AND arm = ?',
  );
  db.transaction(() => {
    for (const s of scores) stmt.run(s.similarity, runId, s.promptId, s.arm);
  })();
}
