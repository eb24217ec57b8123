/**
 * A synthetic shadow run of any size with plausible shapes (log-normal
 * latencies, a few percent of errors, a replica noise floor, cheaper
 * candidate), written through RunStore. For the report's timing script and
 * for looking at the HTML with realistic data; tests use fixture-db.ts,
 * whose numbers are worked out by hand.
 */
import type { Database } from 'better-sqlite3';
import { seededRng } from '../../src/shared/clock.js';
import type { Arm, RequestRow } from '../../src/store/rows.js';
import { RunStore } from '../../src/store/run-store.js';

export interface SyntheticRunOptions {
  runId: string;
  prompts: number;
  /** Share of prompts also sent to the baseline replica. Default 0.1. */
  replicaShare?: number;
  seed?: number;
}

const SENTENCES = [
  'The invoice total is 42.50 EUR including VAT.',
  'Paris is the capital of France.',
  '{"status": "ok", "items": 3}',
  'I cannot help with that request.',
  'Step 1: open the settings. Step 2: choose Accounts.',
  'The function returns the sorted list in place.',
];

export function writeSyntheticRun(db: Database, options: SyntheticRunOptions): void {
  const rng = seededRng(options.seed ?? 42);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const logNormal = (medianMs: number, sigma: number) => medianMs * Math.exp(sigma * normal());
  const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
  const store = new RunStore(db, { batchSize: 20_000, flushIntervalMs: 0 });
  const replicaShare = options.replicaShare ?? 0.1;
  store.createRun({
    id: options.runId,
    kind: 'shadow',
    label: 'week 1: gpt-4.1 → relay gpt-4.1',
    startedAt: '2026-01-05T08:00:00.000Z',
    configJson: '{}',
    scenarioPath: 'scenarios/support-week1.jsonl',
    seed: options.seed ?? 42,
    optionsJson: JSON.stringify({ stream: true }),
    totalPrompts: options.prompts,
  });

  const row = (promptId: string, arm: Arm, fields: Partial<RequestRow>): RequestRow => ({
    run_id: options.runId,
    prompt_id: promptId,
    arm,
    model: 'gpt-4.1',
    outcome: 'ok',
    attempts: 1,
    started_at: '2026-01-05T08:00:00.000Z',
    usage_source: 'reported',
    finish_reason: 'stop',
    response_model: 'gpt-4.1-2025-04-14',
    json_valid: 0,
    tool_calls_json: '[]',
    ...fields,
  });

  const answer = (arm: Arm, sim: number) => {
    const text = SENTENCES[Math.floor(rng() * SENTENCES.length)]!;
    return sim < 0.6 ? `${arm === 'candidate' ? 'Sorry, ' : ''}${text.split('').reverse().join('')}` : text;
  };

  for (let i = 0; i < options.prompts; i++) {
    const id = `p${String(i).padStart(7, '0')}`;
    const input = 200 + Math.floor(rng() * 1800);
    const output = 20 + Math.floor(rng() * 400);
    store.insertPrompt({
      run_id: options.runId,
      prompt_id: id,
      seq: i,
      model: 'gpt-4.1',
      prompt_hash: id,
      request_json: JSON.stringify({
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: `Question ${i}: ${SENTENCES[i % SENTENCES.length]}` }],
      }),
    });

    const baseFails = rng() < 0.012;
    const baseAttempts = rng() < 0.03 ? 2 : 1;
    const baseLatency = logNormal(850, 0.45) + (baseAttempts - 1) * 400;
    store.insertRequest(
      baseFails
        ? row(id, 'baseline', {
            outcome: 'error',
            error_class: rng() < 0.6 ? 'http_429' : 'http_5xx',
            http_status: rng() < 0.5 ? 503 : 502,
            attempts: 3,
            response_model: null,
          })
        : row(id, 'baseline', {
            attempts: baseAttempts,
            latency_ms: baseLatency,
            service_ms: baseLatency * 0.95,
            ttft_ms: logNormal(280, 0.35),
            tpot_ms: logNormal(12, 0.2),
            input_tokens: input,
            output_tokens: output,
            cached_tokens: Math.floor(input * 0.2),
            reasoning_tokens: 0,
            cost_usd: (input * 2 + output * 8) / 1e6,
            output_text: answer('baseline', 1),
          }),
    );

    const candRoll = rng();
    const candFails = candRoll < 0.02;
    const candLatency = logNormal(760, 0.55);
    const sim = clamp01(rng() < 0.06 ? 0.3 + rng() * 0.4 : 0.93 + 0.04 * normal());
    store.insertRequest(
      candFails
        ? row(id, 'candidate', {
            outcome: 'error',
            error_class:
              candRoll < 0.008
                ? 'timeout_headers'
                : candRoll < 0.014
                  ? 'http_5xx'
                  : candRoll < 0.017
                    ? 'circuit_open'
                    : 'network',
            http_status: candRoll >= 0.008 && candRoll < 0.014 ? 500 : null,
            attempts: 3,
            response_model: null,
          })
        : row(id, 'candidate', {
            latency_ms: candLatency,
            service_ms: candLatency * 0.97,
            ttft_ms: logNormal(240, 0.45),
            tpot_ms: logNormal(10, 0.25),
            input_tokens: Math.round(input * 1.02),
            output_tokens: output,
            cached_tokens: 0,
            reasoning_tokens: 0,
            cost_usd: (input * 1.02 * 0.4 + output * 1.6) / 1e6,
            similarity: baseFails ? null : sim,
            output_text: answer('candidate', sim),
            response_model: rng() < 0.003 ? 'gpt-4.1-mini' : 'gpt-4.1-2025-04-14',
          }),
    );

    if (!baseFails && rng() < replicaShare) {
      const replicaLatency = logNormal(850, 0.45);
      store.insertRequest(
        row(id, 'baseline_replica', {
          latency_ms: replicaLatency,
          service_ms: replicaLatency * 0.95,
          ttft_ms: logNormal(280, 0.35),
          input_tokens: input,
          output_tokens: output,
          cost_usd: (input * 2 + output * 8) / 1e6,
          similarity: clamp01(0.95 + 0.03 * normal()),
          output_text: answer('baseline_replica', 1),
        }),
      );
    }
  }
  store.setRunStatus(options.runId, 'completed', '2026-01-12T08:00:00.000Z');
  store.close();
}
