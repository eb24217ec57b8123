/**
 * The shadow report's request scan on PostgreSQL: the same RequestScan that
 * scanRequests (src/store/report-queries.ts) builds from one pass over a
 * SQLite file, with the work moved into SQL. The groups are one GROUP BY (a
 * few dozen rows come back, however large the run), and each arm's ok
 * timings come back as one comma-joined text per column, parsed straight into
 * Float64Arrays: no row per request crosses the wire.
 *
 * Two things differ from the SQLite scan, and neither changes a figure
 * beyond the last bits of a float: the groups come back sorted by their key,
 * not in the order first met, and the timings are in PostgreSQL's order,
 * not the table's (both are documented as unordered).
 */
import type pg from 'pg';
import {
  type ArmName,
  type ArmTimings,
  type RequestGroup,
  type RequestScan,
  responseModelMatches,
} from '../report-queries.js';

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
     GROUP BY arm, outcome, error_class, http_status, model, response_model
     ORDER BY arm, outcome, error_class, http_status, model, response_model`,
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
  return { groups: groups.rows.map(toGroup), timings: byArm };
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
