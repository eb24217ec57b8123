/**
 * The read side of the store for reports. Every SQL string the shadow report
 * needs lives here. Rows are streamed with `.raw().iterate()` and aggregated
 * as they pass (counts into a few dozen groups, per-request series straight
 * into typed arrays), so a run of a million requests never becomes a million
 * objects.
 */
import type { Database } from 'better-sqlite3';
import type { Arm } from './rows.js';

export { ARMS } from './rows.js';
export type ArmName = Arm;

/** An arm compared with the baseline prompt by prompt. */
export type PairedArm = 'candidate' | 'baseline_replica';

export interface RunRecord {
  id: string;
  kind: 'shadow' | 'rollout';
  label: string | null;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  scenarioPath: string | null;
  scenarioSha256: string | null;
  seed: number;
  totalPrompts: number | null;
  budgetUsd: number | null;
  spentUsd: number;
  configJson: string;
  optionsJson: string | null;
  /** Time the replay held dispatch while a circuit breaker was open, ms. */
  pausedMs: number;
}

const RUN_COLUMNS = `id, kind, label, status, started_at AS startedAt, finished_at AS finishedAt,
  scenario_path AS scenarioPath, scenario_sha256 AS scenarioSha256, seed, total_prompts AS totalPrompts,
  budget_usd AS budgetUsd, spent_usd AS spentUsd, config_json AS configJson, options_json AS optionsJson,
  paused_ms AS pausedMs`;

export function findRun(db: Database, runId: string): RunRecord | undefined {
  return db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(runId) as RunRecord | undefined;
}

/** A provider's circuit-breaker openings during a run (the replica shares the baseline's breaker). */
export interface BreakerOpenings {
  arm: 'baseline' | 'candidate';
  count: number;
  /** Open time summed over the openings whose cooldown ended within a session, ms. */
  openMs: number;
}

export function breakerOpenings(db: Database, runId: string): BreakerOpenings[] {
  return db
    .prepare(
      `SELECT arm, COUNT(*) AS count, COALESCE(SUM(open_ms), 0) AS openMs
       FROM breaker_events WHERE run_id = ? GROUP BY arm ORDER BY arm`,
    )
    .all(runId) as BreakerOpenings[];
}

/** Ids of runs of one kind, newest first. */
export function listRunIds(db: Database, kind: 'shadow' | 'rollout'): string[] {
  return db
    .prepare('SELECT id FROM runs WHERE kind = ? ORDER BY started_at DESC, rowid DESC')
    .pluck()
    .all(kind) as string[];
}

/**
 * Counts and sums over a run's logical requests, one row per (arm, outcome,
 * error class, status, requested model, response model): a few dozen groups
 * however large the run, from one pass over it. Token and cost sums skip NULLs.
 */
export interface RequestGroup {
  arm: ArmName;
  outcome: 'ok' | 'error';
  errorClass: string | null;
  httpStatus: number | null;
  requestedModel: string | null;
  responseModel: string | null;
  /** 1 when this group's response model is not the requested one (see responseModelMatches), for ok requests. */
  modelMismatch: 0 | 1;
  requests: number;
  /** Requests that took more than one attempt. */
  retried: number;
  attempts: number;
  inputTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  /** Requests whose usage was estimated with a tokenizer. */
  usageEstimated: number;
  /** Requests with any usage recorded (reported or estimated). */
  usageKnown: number;
  costUsd: number;
  /** Requests with a known cost (NULL when the price table lacks the model). */
  costed: number;
}

/**
 * A response model matches the requested one when equal, or when it is the
 * requested name followed by `-` and a digit: a dated snapshot
 * (`gpt-4.1-2025-04-14` for `gpt-4.1`, `claude-3-5-haiku-20241022`). A bare
 * prefix would also let `gpt-4.1-mini` pass for `gpt-4.1`, which is exactly
 * the silent substitution this check is for.
 */
export function responseModelMatches(requested: string, response: string): boolean {
  if (response === requested) return true;
  if (response.length < requested.length + 2 || !response.startsWith(requested)) return false;
  const dash = response.charCodeAt(requested.length);
  const digit = response.charCodeAt(requested.length + 1);
  return dash === 45 /* - */ && digit >= 48 && digit <= 57;
}

/** One arm's timings over its ok requests, unsorted, NULLs skipped. All ms. */
export interface ArmTimings {
  latencyMs: Float64Array;
  serviceMs: Float64Array;
  ttftMs: Float64Array;
  tpotMs: Float64Array;
}

/** What one pass over a run's requests gives: the count groups and each arm's timings. */
export interface RequestScan {
  groups: RequestGroup[];
  timings: Map<ArmName, ArmTimings>;
}

/**
 * One prompt as seen by the baseline and another arm, as streamed by pairedRows.
 * Flags are 0/1; a NULL flag means one side lacks the value.
 */
export type PairedRow = [
  promptId: string,
  baselineOk: 0 | 1,
  otherOk: 0 | 1,
  baselineLatencyMs: number | null,
  otherLatencyMs: number | null,
  baselineInputTokens: number | null,
  otherInputTokens: number | null,
  /** The other arm's `requests.similarity`: its answer against the baseline's, 0..1. */
  similarity: number | null,
  baselineCostUsd: number | null,
  otherCostUsd: number | null,
  /** Baseline input + output tokens. */
  baselineTokens: number,
  jsonAgree: 0 | 1 | null,
  finishAgree: 0 | 1 | null,
  /** Tool-call JSON of both arms, only when at least one arm called a tool (else NULL, to keep the stream light). */
  baselineToolCalls: string | null,
  otherToolCalls: string | null,
  baselineErrorClass: string | null,
  otherErrorClass: string | null,
  baselineAttempts: number,
  otherAttempts: number,
  baselineTtftMs: number | null,
  otherTtftMs: number | null,
];

/**
 * Streams every prompt both the baseline and `other` recorded, in the
 * canonical order (by prompt_id, as requestsInPromptOrder), joined to the
 * baseline through the primary key. One pass serves the paired outcome
 * table, the latency deltas, the usage ratio, cost, agreement and the
 * divergent prompts. The report itself pairs the arms within its one
 * ordered pass (src/report/request-pass.ts) and gives the same rows; this
 * join is the reference the tests hold that pass and pgPairedRows to.
 */
export function pairedRows(db: Database, runId: string, other: PairedArm): IterableIterator<PairedRow> {
  const anyTool = `(COALESCE(b.tool_calls_json, '[]') <> '[]' OR COALESCE(o.tool_calls_json, '[]') <> '[]')`;
  return db
    .prepare(
      `SELECT o.prompt_id, b.outcome = 'ok', o.outcome = 'ok', b.latency_ms, o.latency_ms,
        b.input_tokens, o.input_tokens, o.similarity, b.cost_usd, o.cost_usd,
        COALESCE(b.input_tokens, 0) + COALESCE(b.output_tokens, 0),
        b.json_valid = o.json_valid, b.finish_reason = o.finish_reason,
        CASE WHEN ${anyTool} THEN b.tool_calls_json END, CASE WHEN ${anyTool} THEN o.tool_calls_json END,
        b.error_class, o.error_class, b.attempts, o.attempts, b.ttft_ms, o.ttft_ms
      FROM requests o JOIN requests b
        ON b.run_id = o.run_id AND b.prompt_id = o.prompt_id AND b.arm = 'baseline'
      WHERE o.run_id = ? AND o.arm = ?
      ORDER BY o.prompt_id`,
    )
    .raw()
    .iterate(runId, other) as IterableIterator<PairedRow>;
}

export interface DivergentTexts {
  promptId: string;
  /**
   * The content of the request's last user message (else its last message),
   * whole, however long the request: a string, or the JSON of a content-part
   * list. Null when the prompt text was redacted or is not JSON.
   */
  lastUserContent: string | null;
  baselineText: string | null;
  candidateText: string | null;
  baselineToolCalls: string | null;
  candidateToolCalls: string | null;
}

/** Prompt and answers of a few prompts, answer texts cut to `excerptChars`. */
export function divergentTexts(
  db: Database,
  runId: string,
  promptIds: string[],
  excerptChars: number,
): DivergentTexts[] {
  // The last user message is picked in SQL, so a prompt whose system prompt or
  // context runs to megabytes still shows what the user asked.
  const statement = db.prepare(
    `SELECT k.prompt_id AS promptId,
      CASE WHEN json_valid(p.request_json) THEN COALESCE(
        (SELECT json_extract(m.value, '$.content') FROM json_each(p.request_json, '$.messages') m
          WHERE json_extract(m.value, '$.role') = 'user' ORDER BY m.key DESC LIMIT 1),
        (SELECT json_extract(m.value, '$.content') FROM json_each(p.request_json, '$.messages') m
          ORDER BY m.key DESC LIMIT 1)) END AS lastUserContent,
      (SELECT substr(output_text, 1, ?) FROM requests WHERE run_id = k.run_id AND prompt_id = k.prompt_id AND arm = 'baseline')
        AS baselineText,
      (SELECT substr(output_text, 1, ?) FROM requests WHERE run_id = k.run_id AND prompt_id = k.prompt_id AND arm = 'candidate')
        AS candidateText,
      (SELECT substr(tool_calls_json, 1, ?) FROM requests WHERE run_id = k.run_id AND prompt_id = k.prompt_id AND arm = 'baseline')
        AS baselineToolCalls,
      (SELECT substr(tool_calls_json, 1, ?) FROM requests WHERE run_id = k.run_id AND prompt_id = k.prompt_id AND arm = 'candidate')
        AS candidateToolCalls
    FROM (SELECT ? AS run_id, ? AS prompt_id) k LEFT JOIN prompts p ON p.run_id = k.run_id AND p.prompt_id = k.prompt_id`,
  );
  return promptIds.map((id) => {
    const row = statement.get(excerptChars, excerptChars, excerptChars, excerptChars, runId, id) as
      | DivergentTexts
      | undefined;
    return { ...(row ?? emptyTexts(id)), promptId: id };
  });
}

function emptyTexts(promptId: string): DivergentTexts {
  return {
    promptId,
    lastUserContent: null,
    baselineText: null,
    candidateText: null,
    baselineToolCalls: null,
    candidateToolCalls: null,
  };
}
