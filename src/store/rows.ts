/**
 * Row types, one per table, with the column names of ./schema.ts as keys, so
 * a row binds to its INSERT without any renaming on the hot path. Optional
 * fields are stored as NULL; booleans as 0/1.
 */

export type RunKind = 'shadow' | 'rollout';
export type RunStatus = 'running' | 'completed' | 'interrupted' | 'budget_exhausted' | 'failed';
export type Arm = 'baseline' | 'candidate' | 'baseline_replica';

export const RUN_STATUSES: readonly RunStatus[] = [
  'running',
  'completed',
  'interrupted',
  'budget_exhausted',
  'failed',
];
export const ARMS: readonly Arm[] = ['baseline', 'candidate', 'baseline_replica'];

/** What `RunStore.createRun` needs to start a run. Timestamps are ISO-8601 strings. */
export interface NewRun {
  id: string;
  kind: RunKind;
  label?: string | null;
  startedAt: string;
  /** The experiment config without secrets (see `redactedConfigJson`). */
  configJson: string;
  /** The prices in force, so later price changes do not rewrite history. */
  pricesJson?: string | null;
  scenarioPath?: string | null;
  scenarioSha256?: string | null;
  seed: number;
  /** The run's options (flags), so `--resume` can restore them. */
  optionsJson?: string | null;
  budgetUsd?: number | null;
  totalPrompts?: number | null;
}

/** A `runs` row as read back. */
export interface RunRow {
  id: string;
  kind: RunKind;
  label: string | null;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  config_json: string;
  prices_json: string | null;
  scenario_path: string | null;
  scenario_sha256: string | null;
  seed: number;
  options_json: string | null;
  budget_usd: number | null;
  spent_usd: number;
  total_prompts: number | null;
  /** Time the shadow replay held dispatch while a circuit breaker was open, ms, every session. */
  paused_ms: number;
  /**
   * Worst-case cost of attempts sent whose rows have not committed yet, USD
   * (schema 4). Non-zero after a crash: a resume books it as spent.
   */
  reserved_usd: number;
  /** The run's own timing error, JSON (schema 5; see store/instrument-store.ts); NULL for older runs and rollouts. */
  instrument_json: string | null;
}

/**
 * A `breaker_events` row: one opening of a provider's circuit breaker during a
 * shadow run. `arm` is the provider's arm (`baseline` or `candidate`; the
 * replica shares the baseline's breaker). `half_open_at` and `open_ms` stay
 * NULL when the session ended before the cooldown did.
 */
export interface BreakerEventRow {
  run_id: string;
  arm: 'baseline' | 'candidate';
  /** 1, 2, ... per (run, arm), across sessions. */
  seq: number;
  opened_at: string;
  half_open_at?: string | null;
  open_ms?: number | null;
}

/** A `prompts` row: one per selected prompt of a run. */
export interface PromptRow {
  run_id: string;
  prompt_id: string;
  /** Position in the scenario (0-based), to keep the report's order stable. */
  seq: number;
  model: string;
  /** sha256 of the request JSON, hex; kept even when the text is redacted. */
  prompt_hash: string;
  /** NULL when the run is redacted. */
  request_json?: string | null;
  metadata_json?: string | null;
  /** ISO-8601, from a recorded-traffic line's timestamp. */
  recorded_at?: string | null;
}

/** A `requests` row: the final outcome of one (prompt, arm). */
export interface RequestRow {
  run_id: string;
  prompt_id: string;
  arm: Arm;
  provider?: string | null;
  model?: string | null;
  outcome: 'ok' | 'error';
  error_class?: string | null;
  error_message?: string | null;
  http_status?: number | null;
  attempts: number;
  started_at: string;
  /** First send to final outcome, waits included, ms. */
  latency_ms?: number | null;
  /** The successful attempt alone, ms. */
  service_ms?: number | null;
  headers_ms?: number | null;
  ttft_ms?: number | null;
  tpot_ms?: number | null;
  input_tokens?: number | null;
  cached_tokens?: number | null;
  cache_write_tokens?: number | null;
  output_tokens?: number | null;
  reasoning_tokens?: number | null;
  usage_source?: string | null;
  cost_usd?: number | null;
  finish_reason?: string | null;
  response_model?: string | null;
  system_fingerprint?: string | null;
  /** NULL when the run is redacted. */
  output_text?: string | null;
  output_hash?: string | null;
  tool_calls_json?: string | null;
  json_valid?: boolean | number | null;
  similarity?: number | null;
  idempotency_key?: string | null;
}

/** An `attempts` row: one try of one (prompt, arm). */
export interface AttemptRow {
  run_id: string;
  prompt_id: string;
  arm: Arm;
  /** 1-based. */
  attempt: number;
  started_at: string;
  duration_ms?: number | null;
  headers_ms?: number | null;
  ttft_ms?: number | null;
  http_status?: number | null;
  error_class?: string | null;
  error_message?: string | null;
  /** 'x-should-retry', 'retry-after-ms', 'retry-after' or NULL: the hint that decided the wait before this attempt. */
  hint?: string | null;
  delay_before_ms?: number | null;
  request_id?: string | null;
  input_tokens?: number | null;
  output_tokens?: number | null;
  cost_usd?: number | null;
  /** 1: `cost_usd` is an estimate (a failed attempt that may have been billed); 0: from usage (schema 4). */
  cost_estimated?: boolean | number | null;
  /** Upper bound of this attempt's timing error: the harness's event-loop delay around it, ms (schema 4). */
  timing_error_bound_ms?: number | null;
}

export const PROMPT_COLUMNS = [
  'run_id',
  'prompt_id',
  'seq',
  'model',
  'prompt_hash',
  'request_json',
  'metadata_json',
  'recorded_at',
] as const satisfies readonly (keyof PromptRow)[];

export const REQUEST_COLUMNS = [
  'run_id',
  'prompt_id',
  'arm',
  'provider',
  'model',
  'outcome',
  'error_class',
  'error_message',
  'http_status',
  'attempts',
  'started_at',
  'latency_ms',
  'service_ms',
  'headers_ms',
  'ttft_ms',
  'tpot_ms',
  'input_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
  'usage_source',
  'cost_usd',
  'finish_reason',
  'response_model',
  'system_fingerprint',
  'output_text',
  'output_hash',
  'tool_calls_json',
  'json_valid',
  'similarity',
  'idempotency_key',
] as const satisfies readonly (keyof RequestRow)[];

export const ATTEMPT_COLUMNS = [
  'run_id',
  'prompt_id',
  'arm',
  'attempt',
  'started_at',
  'duration_ms',
  'headers_ms',
  'ttft_ms',
  'http_status',
  'error_class',
  'error_message',
  'hint',
  'delay_before_ms',
  'request_id',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'cost_estimated',
  'timing_error_bound_ms',
] as const satisfies readonly (keyof AttemptRow)[];
