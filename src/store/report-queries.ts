/**
 * The read side of the store for reports. Every SQL string the shadow report
 * needs lives here. Counts and sums are aggregated in SQLite; per-request
 * series (latencies, paired deltas, similarities) are streamed with
 * `.raw().iterate()` straight into typed arrays, so a run of a million
 * requests never becomes a million objects.
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
}

const RUN_COLUMNS = `id, kind, label, status, started_at AS startedAt, finished_at AS finishedAt,
  scenario_path AS scenarioPath, scenario_sha256 AS scenarioSha256, seed, total_prompts AS totalPrompts,
  budget_usd AS budgetUsd, spent_usd AS spentUsd, config_json AS configJson, options_json AS optionsJson`;

export function findRun(db: Database, runId: string): RunRecord | undefined {
  return db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(runId) as RunRecord | undefined;
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
 * error class, status, requested model, response model): a few dozen rows
 * however large the run, from one pass over it. Token and cost sums skip NULLs.
 */
export interface RequestGroup {
  arm: ArmName;
  outcome: 'ok' | 'error';
  errorClass: string | null;
  httpStatus: number | null;
  requestedModel: string | null;
  responseModel: string | null;
  /** 1 when this group's response model is not the requested one (see MODEL_MATCH_SQL), for ok requests. */
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
const MODEL_MATCH_SQL = `(response_model = model OR (
  substr(response_model, 1, length(model) + 1) = model || '-'
  AND substr(response_model, length(model) + 2, 1) GLOB '[0-9]'))`;

export function requestGroups(db: Database, runId: string): RequestGroup[] {
  return db
    .prepare(
      `SELECT arm, outcome, error_class AS errorClass, http_status AS httpStatus,
        model AS requestedModel, response_model AS responseModel,
        (outcome = 'ok' AND response_model IS NOT NULL AND model IS NOT NULL AND NOT ${MODEL_MATCH_SQL})
          AS modelMismatch,
        COUNT(*) AS requests,
        TOTAL(attempts > 1) AS retried,
        TOTAL(attempts) AS attempts,
        TOTAL(input_tokens) AS inputTokens,
        TOTAL(cached_tokens) AS cachedTokens,
        TOTAL(cache_write_tokens) AS cacheWriteTokens,
        TOTAL(output_tokens) AS outputTokens,
        TOTAL(reasoning_tokens) AS reasoningTokens,
        TOTAL(usage_source = 'estimated') AS usageEstimated,
        TOTAL(usage_source IS NOT NULL) AS usageKnown,
        TOTAL(cost_usd) AS costUsd,
        TOTAL(cost_usd IS NOT NULL) AS costed
      FROM requests WHERE run_id = ?
      GROUP BY arm, outcome, error_class, http_status, model, response_model`,
    )
    .all(runId) as RequestGroup[];
}

/** One arm's timings over its ok requests, unsorted, NULLs skipped. All ms. */
export interface ArmTimings {
  latencyMs: Float64Array;
  serviceMs: Float64Array;
  ttftMs: Float64Array;
  tpotMs: Float64Array;
}

/** Streams the timings of one arm's ok requests; `okCount` sizes the arrays (from armTotals). */
export function armTimings(db: Database, runId: string, arm: ArmName, okCount: number): ArmTimings {
  const columns = [
    new Float64Array(okCount),
    new Float64Array(okCount),
    new Float64Array(okCount),
    new Float64Array(okCount),
  ];
  const filled = [0, 0, 0, 0];
  const rows = db
    .prepare(
      `SELECT latency_ms, service_ms, ttft_ms, tpot_ms FROM requests
      WHERE run_id = ? AND arm = ? AND outcome = 'ok'`,
    )
    .raw()
    .iterate(runId, arm) as IterableIterator<(number | null)[]>;
  for (const row of rows) {
    for (let i = 0; i < 4; i++) {
      const v = row[i];
      if (v !== null && v !== undefined && filled[i]! < okCount) columns[i]![filled[i]!++] = v;
    }
  }
  return {
    latencyMs: columns[0]!.subarray(0, filled[0]),
    serviceMs: columns[1]!.subarray(0, filled[1]),
    ttftMs: columns[2]!.subarray(0, filled[2]),
    tpotMs: columns[3]!.subarray(0, filled[3]),
  };
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
];

/**
 * Streams every prompt both the baseline and `other` recorded, driven from
 * the other arm's rows (so a 10% replica costs 10% of a pass) and joined to
 * the baseline through the primary key. One pass serves the paired outcome
 * table, the latency deltas, the usage ratio, cost, agreement and the
 * divergent prompts; aggregating each in its own SQL query would join the
 * arms once per figure.
 */
export function pairedRows(db: Database, runId: string, other: PairedArm): IterableIterator<PairedRow> {
  const anyTool = `(COALESCE(b.tool_calls_json, '[]') <> '[]' OR COALESCE(o.tool_calls_json, '[]') <> '[]')`;
  return db
    .prepare(
      `SELECT o.prompt_id, b.outcome = 'ok', o.outcome = 'ok', b.latency_ms, o.latency_ms,
        b.input_tokens, o.input_tokens, o.similarity, b.cost_usd, o.cost_usd,
        COALESCE(b.input_tokens, 0) + COALESCE(b.output_tokens, 0),
        b.json_valid = o.json_valid, b.finish_reason = o.finish_reason,
        CASE WHEN ${anyTool} THEN b.tool_calls_json END, CASE WHEN ${anyTool} THEN o.tool_calls_json END
      FROM requests o JOIN requests b
        ON b.run_id = o.run_id AND b.prompt_id = o.prompt_id AND b.arm = 'baseline'
      WHERE o.run_id = ? AND o.arm = ?`,
    )
    .raw()
    .iterate(runId, other) as IterableIterator<PairedRow>;
}

export interface DivergentTexts {
  promptId: string;
  /** The recorded request body, cut to `requestChars`. */
  requestJson: string | null;
  baselineText: string | null;
  candidateText: string | null;
  baselineToolCalls: string | null;
  candidateToolCalls: string | null;
}

/** Prompt and answers of a few prompts, texts cut to `excerptChars` (the request to `requestChars`). */
export function divergentTexts(
  db: Database,
  runId: string,
  promptIds: string[],
  excerptChars: number,
  requestChars = 4000,
): DivergentTexts[] {
  const statement = db.prepare(
    `SELECT k.prompt_id AS promptId, substr(p.request_json, 1, ?) AS requestJson,
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
    const row = statement.get(
      requestChars,
      excerptChars,
      excerptChars,
      excerptChars,
      excerptChars,
      runId,
      id,
    ) as DivergentTexts | undefined;
    return { ...(row ?? emptyTexts(id)), promptId: id };
  });
}

function emptyTexts(promptId: string): DivergentTexts {
  return {
    promptId,
    requestJson: null,
    baselineText: null,
    candidateText: null,
    baselineToolCalls: null,
    candidateToolCalls: null,
  };
}
