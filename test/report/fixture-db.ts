/**
 * A small hand-made shadow run, written through RunStore, whose every report
 * figure is worked out by hand in shadow-model.test.ts. Six prompts:
 *
 * | prompt | baseline                 | candidate                      | replica   |
 * | p1     | ok 100 ms, $0.010        | ok 150 ms, $0.005, sim 0.95    | ok, 0.98  |
 * | p2     | ok 200 ms, $0.020        | ok 180 ms, $0.010, sim 0.40    | ok, 0.90  |
 * | p3     | ok 300 ms, $0.030        | error timeout_headers          |           |
 * | p4     | ok 400 ms, $0.040, tool  | ok 500 ms, $0.020, sim 0.85    | ok, 0.80  |
 * | p5     | error 503 (3 attempts)   | ok 250 ms, $0.025              |           |
 * | p6     | ok 600 ms (2 attempts)   | error circuit_open             |           |
 *
 * p3's candidate timed out in two attempts booked at an estimated $0.003 and
 * $0.001 (spend on failures); p5's baseline 503 attempt is not billed.
 *
 * The candidate's breaker opened twice (10 s each, the second cut short by the
 * session's end: no half-open moment) and the replay paused 12.5 s.
 */
import type { Database } from 'better-sqlite3';
import { openStore } from '../../src/store/open-store.js';
import type { Arm, RequestRow } from '../../src/store/rows.js';
import { RunStore } from '../../src/store/run-store.js';

export const RUN_ID = 'r-test-1';

/** A candidate answer that tries every way out of its cell, tag and table. */
export const HOSTILE_OUTPUT =
  'pwn <script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> a | b </svg><b>bold</b> `tick`';

export const HOSTILE_LABEL = 'week 1 <i>label</i> | pipe';

export interface FixtureOptions {
  /** Add the baseline_replica arm (p1, p2, p4). Default true. */
  replica?: boolean;
  runId?: string;
  label?: string;
}

function request(promptId: string, arm: Arm, fields: Partial<RequestRow>, runId: string): RequestRow {
  return {
    run_id: runId,
    prompt_id: promptId,
    arm,
    provider: arm === 'candidate' ? 'candidate' : 'baseline',
    model: 'gpt-4.1',
    outcome: 'ok',
    attempts: 1,
    started_at: '2026-01-05T10:00:00.000Z',
    usage_source: 'reported',
    finish_reason: 'stop',
    response_model: 'gpt-4.1-2025-04-14',
    json_valid: 1,
    ...fields,
  };
}

/** Writes the fixture run into `db` (an open, migrated store). */
export function writeFixture(db: Database, options: FixtureOptions = {}): void {
  const runId = options.runId ?? RUN_ID;
  const store = new RunStore(db, { flushIntervalMs: 0 });
  store.createRun({
    id: runId,
    kind: 'shadow',
    label: options.label ?? HOSTILE_LABEL,
    startedAt: '2026-01-05T10:00:00.000Z',
    configJson: '{}',
    scenarioPath: 'scenarios/week1.jsonl',
    seed: 7,
    optionsJson: JSON.stringify({ stream: true, seed: 7 }),
    totalPrompts: 6,
  });
  for (const [i, id] of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].entries()) {
    store.insertPrompt({
      run_id: runId,
      prompt_id: id,
      seq: i,
      model: 'gpt-4.1',
      prompt_hash: `h${i}`,
      request_json: JSON.stringify({
        model: 'gpt-4.1',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: `question ${id} <b>?</b>` },
        ],
      }),
    });
  }
  const tool = (args: string) => JSON.stringify([{ name: 'lookup', arguments: args }]);
  const rows: RequestRow[] = [
    // Baseline: ok latencies 100, 200, 300, 400, 600; p5 fails with a 503 after 3 attempts.
    ...[
      ['p1', 100, 10, 5, 0.01],
      ['p2', 200, 20, 10, 0.02],
      ['p3', 300, 30, 15, 0.03],
      ['p4', 400, 30, 15, 0.04],
      ['p6', 600, 10, 5, 0.06],
    ].map(([id, latency, input, output, cost]) =>
      request(
        id as string,
        'baseline',
        {
          latency_ms: latency as number,
          service_ms: (latency as number) / 2,
          ttft_ms: (latency as number) / 10,
          tpot_ms: 2,
          input_tokens: input as number,
          output_tokens: output as number,
          cached_tokens: 0,
          reasoning_tokens: 0,
          cost_usd: cost as number,
          output_text: `baseline answer ${id}`,
          attempts: id === 'p6' ? 2 : 1,
          tool_calls_json: id === 'p4' ? tool('{"id":1}') : '[]',
        },
        runId,
      ),
    ),
    request(
      'p5',
      'baseline',
      {
        outcome: 'error',
        error_class: 'http_5xx',
        http_status: 503,
        attempts: 3,
        response_model: null,
        json_valid: null,
        finish_reason: null,
      },
      runId,
    ),
    // Candidate.
    request(
      'p1',
      'candidate',
      {
        latency_ms: 150,
        ttft_ms: 30,
        input_tokens: 12,
        output_tokens: 6,
        cost_usd: 0.005,
        similarity: 0.95,
        response_model: 'gpt-4.1-mini',
        output_text: 'candidate answer p1',
      },
      runId,
    ),
    request(
      'p2',
      'candidate',
      {
        latency_ms: 180,
        ttft_ms: 18,
        input_tokens: 22,
        output_tokens: 9,
        cost_usd: 0.01,
        similarity: 0.4,
        json_valid: 0,
        finish_reason: 'length',
        output_text: HOSTILE_OUTPUT,
        usage_source: 'estimated',
      },
      runId,
    ),
    request(
      'p3',
      'candidate',
      {
        outcome: 'error',
        error_class: 'timeout_headers',
        attempts: 2,
        response_model: null,
        finish_reason: null,
        json_valid: null,
      },
      runId,
    ),
    request(
      'p4',
      'candidate',
      {
        latency_ms: 500,
        ttft_ms: 50,
        input_tokens: 33,
        output_tokens: 14,
        cost_usd: 0.02,
        similarity: 0.85,
        response_model: 'gpt-4.1',
        output_text: 'candidate answer p4',
        tool_calls_json: tool('{"id": 2}'),
      },
      runId,
    ),
    request(
      'p5',
      'candidate',
      {
        latency_ms: 250,
        ttft_ms: 25,
        input_tokens: 9,
        output_tokens: 3,
        cost_usd: 0.025,
        response_model: null,
      },
      runId,
    ),
    request(
      'p6',
      'candidate',
      {
        outcome: 'error',
        error_class: 'circuit_open',
        response_model: null,
        finish_reason: null,
        json_valid: null,
      },
      runId,
    ),
  ];
  if (options.replica ?? true) {
    for (const [id, sim] of [
      ['p1', 0.98],
      ['p2', 0.9],
      ['p4', 0.8],
    ] as const) {
      rows.push(
        request(
          id,
          'baseline_replica',
          {
            latency_ms: 100,
            similarity: sim,
            cost_usd: 0.01,
            output_text: `replica ${id}`,
            tool_calls_json: id === 'p4' ? tool('{"id":1}') : '[]',
          },
          runId,
        ),
      );
    }
  }
  for (const row of rows) store.insertRequest(row);
  // p3's candidate timed out twice after its headers: each attempt booked at an estimate.
  for (const [attempt, usd] of [
    [1, 0.003],
    [2, 0.001],
  ] as const) {
    store.insertAttempt({
      run_id: runId,
      prompt_id: 'p3',
      arm: 'candidate',
      attempt,
      started_at: '2026-01-05T10:00:00.000Z',
      error_class: 'timeout_total',
      cost_usd: usd,
      cost_estimated: true,
    });
  }
  // p5's baseline 503s: not billed, not estimated.
  store.insertAttempt({
    run_id: runId,
    prompt_id: 'p5',
    arm: 'baseline',
    attempt: 1,
    started_at: '2026-01-05T10:00:00.000Z',
    error_class: 'http_5xx',
    cost_usd: 0,
    cost_estimated: false,
  });
  store.insertBreakerEvent({
    run_id: runId,
    arm: 'candidate',
    seq: 1,
    opened_at: '2026-01-05T10:10:00.000Z',
    half_open_at: '2026-01-05T10:10:10.000Z',
    open_ms: 10_000,
  });
  store.insertBreakerEvent({
    run_id: runId,
    arm: 'candidate',
    seq: 2,
    opened_at: '2026-01-05T10:20:00.000Z',
  });
  store.addPausedMs(runId, 12_500);
  store.setRunStatus(runId, 'completed', '2026-01-05T11:00:00.000Z');
  store.close();
}

/** An in-memory store holding the fixture run. */
export function fixtureDb(options: FixtureOptions = {}): Database {
  const db = openStore(':memory:');
  writeFixture(db, options);
  return db;
}

/** A database file at `path` holding the fixture run. */
export function writeFixtureFile(path: string, options: FixtureOptions = {}): void {
  const db = openStore(path);
  try {
    writeFixture(db, options);
  } finally {
    db.close();
  }
}
