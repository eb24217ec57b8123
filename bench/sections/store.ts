/**
 * Store: rows/s through RunStore's own write path (buffer, batched
 * transactions, prepared statements), into a fresh file with the run's pragmas.
 */
import { join } from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import type { AttemptRow, RequestRow } from '../../src/store/rows.js';
import { RunStore } from '../../src/store/run-store.js';
import { type BenchContext, fmt, type SectionOutcome } from '../bench-context.js';
import { round } from '../summary-stats.js';

export interface StoreJson {
  /** Attempts and requests together, as a run writes them (1 prompt, 2 attempts, 2 requests per prompt). */
  rows_per_s: number;
  attempts_rows_per_s: number;
  requests_rows_per_s: number;
  mixed_rows_per_s: number;
  rows: number;
  /** Bytes of output_text per request row (a short answer, like the steady sim's). */
  output_chars: number;
}

const OUTPUT_TEXT =
  'Sure. Here is a short answer that looks like what the simulator sends back for a bench prompt.';

function attemptRow(runId: string, i: number, arm: 'baseline' | 'candidate'): AttemptRow {
  return {
    run_id: runId,
    prompt_id: `p-${i}`,
    arm,
    attempt: 1,
    started_at: '2026-11-27T09:00:00.000Z',
    duration_ms: 1.234 + (i % 7),
    headers_ms: 0.9,
    ttft_ms: 1.1,
    http_status: 200,
    error_class: null,
    error_message: null,
    hint: null,
    delay_before_ms: 0,
    request_id: `req-${arm}-${i}`,
    input_tokens: 21,
    output_tokens: 16,
    cost_usd: 0.0000123,
  };
}

function requestRow(runId: string, i: number, arm: 'baseline' | 'candidate'): RequestRow {
  return {
    run_id: runId,
    prompt_id: `p-${i}`,
    arm,
    provider: arm,
    model: 'gpt-4.1-mini',
    outcome: 'ok',
    http_status: 200,
    attempts: 1,
    started_at: '2026-11-27T09:00:00.000Z',
    latency_ms: 1.5,
    service_ms: 1.5,
    headers_ms: 0.9,
    ttft_ms: 1.1,
    tpot_ms: 0.01,
    input_tokens: 21,
    cached_tokens: 0,
    cache_write_tokens: 0,
    output_tokens: 16,
    reasoning_tokens: 0,
    usage_source: 'reported',
    cost_usd: 0.0000123,
    finish_reason: 'stop',
    response_model: 'gpt-4.1-mini',
    output_text: OUTPUT_TEXT,
    output_hash: 'f'.repeat(64),
    json_valid: null,
    similarity: arm === 'candidate' ? 0.97 : null,
    idempotency_key: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  };
}

type Kind = 'attempts' | 'requests' | 'mixed';

/** Writes `rows` rows of one kind through a fresh RunStore; returns rows/s including the final flush. */
function timeWrites(dbPath: string, kind: Kind, rows: number): number {
  const db = openStore(dbPath);
  const store = new RunStore(db);
  const runId = `bench-${kind}`;
  store.createRun({
    id: runId,
    kind: 'shadow',
    startedAt: '2026-11-27T09:00:00.000Z',
    configJson: '{}',
    seed: 1,
  });
  const started = performance.now();
  let written = 0;
  for (let i = 0; written < rows; i++) {
    if (kind === 'attempts') {
      store.insertAttempt(attemptRow(runId, i, i % 2 === 0 ? 'baseline' : 'candidate'));
      written++;
    } else if (kind === 'requests') {
      store.insertRequest(requestRow(runId, i >> 1, i % 2 === 0 ? 'baseline' : 'candidate'));
      written++;
    } else {
      store.insertPrompt({
        run_id: runId,
        prompt_id: `p-${i}`,
        seq: i,
        model: 'gpt-4.1-mini',
        prompt_hash: 'a'.repeat(64),
        request_json: '{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"hello"}]}',
      });
      for (const arm of ['baseline', 'candidate'] as const) {
        store.insertAttempt(attemptRow(runId, i, arm));
        store.insertRequest(requestRow(runId, i, arm));
      }
      written += 5;
    }
  }
  store.close();
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return written / seconds;
}

export async function benchStore(ctx: BenchContext): Promise<SectionOutcome<StoreJson>> {
  const rows = ctx.options.sizes.storeRows;
  const attempts = timeWrites(join(ctx.workDir, 'store-attempts.db'), 'attempts', rows);
  const requests = timeWrites(join(ctx.workDir, 'store-requests.db'), 'requests', rows);
  const mixed = timeWrites(join(ctx.workDir, 'store-mixed.db'), 'mixed', rows);
  ctx.log(
    `store: attempts ${fmt(attempts)} rows/s, requests ${fmt(requests)} rows/s, mixed ${fmt(mixed)} rows/s`,
  );
  const json: StoreJson = {
    rows_per_s: round(mixed, 0)!,
    attempts_rows_per_s: round(attempts, 0)!,
    requests_rows_per_s: round(requests, 0)!,
    mixed_rows_per_s: round(mixed, 0)!,
    rows,
    output_chars: OUTPUT_TEXT.length,
  };
  return {
    json,
    rows: [
      { section: 'store', metric: 'attempts rows/s (RunStore)', value: fmt(attempts) },
      { section: 'store', metric: 'requests rows/s (RunStore)', value: fmt(requests) },
      { section: 'store', metric: 'mixed rows/s (prompt + 2 attempts + 2 requests)', value: fmt(mixed) },
    ],
  };
}
