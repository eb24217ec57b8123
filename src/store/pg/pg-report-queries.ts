/**
 * The shadow report's request scan on PostgreSQL: the same RequestScan that
 * scanRequests (src/store/report-queries.ts) builds from one pass over a
 * SQLite file, with the work moved into SQL. The groups are one GROUP BY (a
 * few dozen rows come back, however large the run), and each arm's ok
 * timings come back as one comma-joined text per column, parsed straight into
 * Float64Arrays: no row per request crosses the wire.
 *
 * The groups come back in the same canonical order (compareGroups). Two
 * things differ from the SQLite scan, and neither changes a figure beyond the
 * last bits of a float: each group's cost is summed in PostgreSQL's order
 * (`SUM(cost_usd ORDER BY prompt_id)` would match SQLite's bits, but its sort
 * made the scan 3x slower: 1.4 s against 0.5 s at 200,000 requests), and the
 * timings are in PostgreSQL's order (documented as unordered: the report
 * sorts them).
 */
import type pg from 'pg';
import type { FailureSpendRow } from '../failure-spend-queries.js';
import {
  type ArmName,
  type ArmTimings,
  type BreakerOpenings,
  type DivergentTexts,
  type PairedArm,
  type PairedRow,
  type RequestGroup,
  type RequestScan,
  type RunRecord,
  responseModelMatches,
} from '../report-queries.js';
import { compareGroups } from '../request-scan.js';

interface GroupRow {
  arm: ArmName;
  outcome: 'ok' | 'error';
  error_class: string | null;
  http_status: number | null;
  model: string | null;
  response_model: string | null;
  requests: number;
  retried: number;
  attempts: number;
  input_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  usage_estimated: number;
  usage_known: number;
  cost_usd: number;
  costed: number;
}

interface TimingRow {
  arm: ArmName;
  latency_ms: string | null;
  service_ms: string | null;
  ttft_ms: string | null;
  tpot_ms: string | null;
}

export async function pgScanRequests(client: pg.ClientBase, runId: string): Promise<RequestScan> {
  // SUM of a BIGINT is NUMERIC in PostgreSQL: cast back, so it reads as a number.
  const groups = await client.query<GroupRow>(
    `SELECT arm, outcome, error_class, http_status, model, response_model,
       COUNT(*) AS requests,
       COUNT(*) FILTER (WHERE attempts > 1) AS retried,
       SUM(attempts)::bigint AS attempts,
       COALESCE(SUM(input_tokens), 0)::bigint AS input_tokens,
       COALESCE(SUM(cached_tokens), 0)::bigint AS cached_tokens,
       COALESCE(SUM(cache_write_tokens), 0)::bigint AS cache_write_tokens,
       COALESCE(SUM(output_tokens), 0)::bigint AS output_tokens,
       COALESCE(SUM(reasoning_tokens), 0)::bigint AS reasoning_tokens,
       COUNT(*) FILTER (WHERE usage_source = 'estimated') AS usage_estimated,
       COUNT(usage_source) AS usage_known,
       COALESCE(SUM(cost_usd), 0) AS cost_usd,
       COUNT(cost_usd) AS costed
     FROM requests WHERE run_id = $1
     GROUP BY arm, outcome, error_class, http_status, model, response_model`,
    [runId],
  );
  const timings = await client.query<TimingRow>(
    `SELECT arm,
       string_agg(latency_ms::text, ',') AS latency_ms,
       string_agg(service_ms::text, ',') AS service_ms,
       string_agg(ttft_ms::text, ',') AS ttft_ms,
       string_agg(tpot_ms::text, ',') AS tpot_ms
     FROM requests WHERE run_id = $1 AND outcome = 'ok'
     GROUP BY arm ORDER BY arm`,
    [runId],
  );
  const byArm = new Map<ArmName, ArmTimings>();
  for (const t of timings.rows)
    byArm.set(t.arm, {
      latencyMs: parseSeries(t.latency_ms),
      serviceMs: parseSeries(t.service_ms),
      ttftMs: parseSeries(t.ttft_ms),
      tpotMs: parseSeries(t.tpot_ms),
    });
  return { groups: groups.rows.map(toGroup).sort(compareGroups), timings: byArm };
}

function toGroup(r: GroupRow): RequestGroup {
  return {
    arm: r.arm,
    outcome: r.outcome,
    errorClass: r.error_class,
    httpStatus: r.http_status,
    requestedModel: r.model,
    responseModel: r.response_model,
    modelMismatch:
      r.outcome === 'ok' &&
      r.model !== null &&
      r.response_model !== null &&
      !responseModelMatches(r.model, r.response_model)
        ? 1
        : 0,
    requests: r.requests,
    retried: r.retried,
    attempts: r.attempts,
    inputTokens: r.input_tokens,
    cachedTokens: r.cached_tokens,
    cacheWriteTokens: r.cache_write_tokens,
    outputTokens: r.output_tokens,
    reasoningTokens: r.reasoning_tokens,
    usageEstimated: r.usage_estimated,
    usageKnown: r.usage_known,
    costUsd: r.cost_usd,
    costed: r.costed,
  };
}

/** `1.5,2,NaN` -> Float64Array. PostgreSQL prints a double as the shortest text that reads back to it exactly. */
function parseSeries(text: string | null): Float64Array {
  if (text === null || text === '') return new Float64Array(0);
  const parts = text.split(',');
  const out = new Float64Array(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = Number(parts[i]);
  return out;
}

/** RUN_COLUMNS of report-queries.ts, the aliases quoted: PostgreSQL folds unquoted names to lower case. */
const RUN_COLUMNS = `id, kind, label, status, started_at AS "startedAt", finished_at AS "finishedAt",
  scenario_path AS "scenarioPath", scenario_sha256 AS "scenarioSha256", seed, total_prompts AS "totalPrompts",
  budget_usd AS "budgetUsd", spent_usd AS "spentUsd", config_json AS "configJson", options_json AS "optionsJson",
  paused_ms AS "pausedMs"`;

export async function pgFindRun(client: pg.ClientBase, runId: string): Promise<RunRecord | undefined> {
  return (await client.query<RunRecord>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1`, [runId])).rows[0];
}

export async function pgBreakerOpenings(client: pg.ClientBase, runId: string): Promise<BreakerOpenings[]> {
  const r = await client.query<BreakerOpenings>(
    `SELECT arm, COUNT(*) AS count, COALESCE(SUM(open_ms), 0) AS "openMs"
     FROM breaker_events WHERE run_id = $1 GROUP BY arm ORDER BY arm`,
    [runId],
  );
  return r.rows;
}

/**
 * Ids of runs of one kind, newest first. SQLite breaks a tie of started_at
 * by rowid (the later insert first); PostgreSQL has no such order, so the
 * larger id goes first (run ids carry their start time, so this agrees
 * unless two runs started in the same millisecond).
 */
export async function pgListRunIds(client: pg.ClientBase, kind: 'shadow' | 'rollout'): Promise<string[]> {
  const r = await client.query({
    text: 'SELECT id FROM runs WHERE kind = $1 ORDER BY started_at DESC, id DESC',
    values: [kind],
    rowMode: 'array',
  });
  return r.rows.map((row: string[]) => row[0]!);
}

/**
 * pairedRows of report-queries.ts: every prompt both the baseline and
 * `other` recorded, as the same positional rows (flags 0/1), `batchRows` at
 * a time through a cursor, in the same canonical order: by prompt_id in byte
 * order (COLLATE "C", SQLite's BINARY on UTF-8). The order matters: the
 * bootstrap resamples the paired series by index, so the same run must give
 * its rows in the same order from either store to give the same intervals.
 * The client is in a read-only transaction until the iteration ends; use it
 * for nothing else meanwhile.
 */
export async function* pgPairedRows(
  client: pg.ClientBase,
  runId: string,
  other: PairedArm,
  batchRows = 10_000,
): AsyncIterable<PairedRow[]> {
  const anyTool = `(COALESCE(b.tool_calls_json, '[]') <> '[]' OR COALESCE(o.tool_calls_json, '[]') <> '[]')`;
  await client.query('BEGIN READ ONLY');
  let open = true;
  try {
    // Right after a copy or a run the table has no statistics yet (autovacuum analyzes it later), and the
    // planner, expecting a handful of rows, nests a loop over all of the other arm: minutes at 100,000 prompts
    // (measured). A hash join is the right plan at any size; the setting ends with the transaction.
    await client.query('SET LOCAL enable_nestloop = off');
    // The canonical order is a sort of the other arm's pairs (COLLATE "C" cannot use the primary key's order
    // unless the database's collation is "C"); at the default 4 MB it spills to disk (measured: 15 MB
    // spilled at 100,000 pairs). Also for this transaction only.
    await client.query("SET LOCAL work_mem = '128MB'");
    await client.query({
      text: `DECLARE paired NO SCROLL CURSOR FOR
        SELECT o.prompt_id, (b.outcome = 'ok')::int, (o.outcome = 'ok')::int, b.latency_ms, o.latency_ms,
          b.input_tokens, o.input_tokens, o.similarity, b.cost_usd, o.cost_usd,
          COALESCE(b.input_tokens, 0) + COALESCE(b.output_tokens, 0),
          (b.json_valid = o.json_valid)::int, (b.finish_reason = o.finish_reason)::int,
          CASE WHEN ${anyTool} THEN b.tool_calls_json END, CASE WHEN ${anyTool} THEN o.tool_calls_json END,
          b.error_class, o.error_class, b.attempts, o.attempts, b.ttft_ms, o.ttft_ms
        FROM requests o JOIN requests b
          ON b.run_id = o.run_id AND b.prompt_id = o.prompt_id AND b.arm = 'baseline'
        WHERE o.run_id = $1 AND o.arm = $2
        ORDER BY o.prompt_id COLLATE "C"`,
      values: [runId, other],
    });
    for (;;) {
      const r = await client.query({ text: `FETCH ${Math.max(1, batchRows)} FROM paired`, rowMode: 'array' });
      if (r.rows.length > 0) yield r.rows as PairedRow[];
      if (r.rows.length < batchRows) break;
    }
    await client.query('COMMIT');
    open = false;
  } finally {
    // A failure, or an iteration stopped early (break, return), ends the transaction too.
    if (open) await client.query('ROLLBACK').catch(() => {});
  }
}

/**
 * divergentTexts of report-queries.ts. The answers are cut in SQL; the last
 * user message is picked in JS from the request (SQLite does it with
 * json_each, which PostgreSQL 15 cannot do safely on text that may not be
 * JSON): a string, the JSON of a content-part list, or null.
 */
export async function pgDivergentTexts(
  client: pg.ClientBase,
  runId: string,
  promptIds: string[],
  excerptChars: number,
): Promise<DivergentTexts[]> {
  const r = await client.query<{
    prompt_id: string;
    request_json: string | null;
    baseline_text: string | null;
    candidate_text: string | null;
    baseline_tools: string | null;
    candidate_tools: string | null;
  }>(
    `SELECT k.prompt_id, p.request_json,
       substr(b.output_text, 1, $3) AS baseline_text, substr(c.output_text, 1, $3) AS candidate_text,
       substr(b.tool_calls_json, 1, $3) AS baseline_tools, substr(c.tool_calls_json, 1, $3) AS candidate_tools
     FROM unnest($2::text[]) AS k(prompt_id)
     LEFT JOIN prompts p ON p.run_id = $1 AND p.prompt_id = k.prompt_id
     LEFT JOIN requests b ON b.run_id = $1 AND b.prompt_id = k.prompt_id AND b.arm = 'baseline'
     LEFT JOIN requests c ON c.run_id = $1 AND c.prompt_id = k.prompt_id AND c.arm = 'candidate'`,
    [runId, promptIds, excerptChars],
  );
  const byId = new Map(r.rows.map((row) => [row.prompt_id, row]));
  return promptIds.map((id) => {
    const row = byId.get(id);
    return {
      promptId: id,
      lastUserContent: row ? lastUserContent(row.request_json) : null,
      baselineText: row?.baseline_text ?? null,
      candidateText: row?.candidate_text ?? null,
      baselineToolCalls: row?.baseline_tools ?? null,
      candidateToolCalls: row?.candidate_tools ?? null,
    };
  });
}

/** The content of the last `user` message, else of the last message, as SQLite's json_extract gives it. */
function lastUserContent(requestJson: string | null): string | null {
  if (requestJson === null) return null;
  let request: unknown;
  try {
    request = JSON.parse(requestJson);
  } catch {
    return null;
  }
  const messages = (request as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages) || messages.length === 0) return null;
  const isUser = (m: unknown) => (m as { role?: unknown } | null)?.role === 'user';
  const picked = [...messages].reverse().find(isUser) ?? messages[messages.length - 1];
  const content = (picked as { content?: unknown } | null)?.content;
  if (content === undefined || content === null) return null;
  return typeof content === 'string' ? content : JSON.stringify(content);
}

/** failureSpend of src/store/failure-spend-queries.ts: per arm, the attempts booked at an estimated cost. */
export async function pgFailureSpend(client: pg.ClientBase, runId: string): Promise<FailureSpendRow[]> {
  const r = await client.query<FailureSpendRow>(
    `SELECT arm, COALESCE(SUM(cost_usd), 0) AS usd, COUNT(*) AS attempts
     FROM attempts WHERE run_id = $1 AND cost_estimated = 1 GROUP BY arm ORDER BY arm`,
    [runId],
  );
  return r.rows;
}

/** readInstrumentJson of src/store/instrument-store.ts: the run's instrument record, or null. */
export async function pgInstrumentJson(client: pg.ClientBase, runId: string): Promise<string | null> {
  const r = await client.query<{ instrument_json: unknown }>(
    'SELECT instrument_json FROM runs WHERE id = $1',
    [runId],
  );
  const json = r.rows[0]?.instrument_json;
  return typeof json === 'string' ? json : null;
}
