/**
 * The SQLite schema. Tables and columns are a public contract: users write SQL
 * against them. Extend with new migrations; never rename or drop.
 */

export const SCHEMA_VERSION = 6;

/** Migrations in order; migration i brings the schema from version i to i + 1. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('shadow', 'rollout')),
    label TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'budget_exhausted', 'failed')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    config_json TEXT NOT NULL,
    prices_json TEXT,
    scenario_path TEXT,
    scenario_sha256 TEXT,
    seed INTEGER NOT NULL,
    options_json TEXT,
    budget_usd REAL,
    spent_usd REAL NOT NULL DEFAULT 0,
    total_prompts INTEGER
  );

  CREATE TABLE prompts (
    run_id TEXT NOT NULL REFERENCES runs(id),
    prompt_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    model TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    request_json TEXT,
    metadata_json TEXT,
    recorded_at TEXT,
    PRIMARY KEY (run_id, prompt_id)
  );

  CREATE TABLE requests (
    run_id TEXT NOT NULL REFERENCES runs(id),
    prompt_id TEXT NOT NULL,
    arm TEXT NOT NULL CHECK (arm IN ('baseline', 'candidate', 'baseline_replica')),
    provider TEXT,
    model TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
    error_class TEXT,
    error_message TEXT,
    http_status INTEGER,
    attempts INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    latency_ms REAL,
    service_ms REAL,
    headers_ms REAL,
    ttft_ms REAL,
    tpot_ms REAL,
    input_tokens INTEGER,
    cached_tokens INTEGER,
    cache_write_tokens INTEGER,
    output_tokens INTEGER,
    reasoning_tokens INTEGER,
    usage_source TEXT,
    cost_usd REAL,
    finish_reason TEXT,
    response_model TEXT,
    system_fingerprint TEXT,
    output_text TEXT,
    output_hash TEXT,
    tool_calls_json TEXT,
    json_valid INTEGER,
    similarity REAL,
    idempotency_key TEXT,
    PRIMARY KEY (run_id, prompt_id, arm)
  );

  CREATE TABLE attempts (
    run_id TEXT NOT NULL REFERENCES runs(id),
    prompt_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    duration_ms REAL,
    headers_ms REAL,
    ttft_ms REAL,
    http_status INTEGER,
    error_class TEXT,
    error_message TEXT,
    hint TEXT,
    delay_before_ms REAL,
    request_id TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost_usd REAL,
    PRIMARY KEY (run_id, prompt_id, arm, attempt)
  );

  -- outcome is in the index so per-arm ok/error counts (shadowgate runs, reports) never touch the table.
  CREATE INDEX requests_by_run_arm ON requests (run_id, arm, outcome);
  CREATE INDEX attempts_by_run ON attempts (run_id, arm);
  `,
  // 2: week 2, the staged rollout (src/runner/rollout-run.ts) and its audit trail.
  `
  CREATE TABLE rollouts (
    id TEXT PRIMARY KEY,
    label TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'rolled_back', 'held', 'interrupted', 'failed')),
    percentage REAL NOT NULL,
    salt TEXT NOT NULL,
    hash_version INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    plan_json TEXT NOT NULL,
    config_json TEXT,
    prices_json TEXT,
    scenario_path TEXT,
    scenario_sha256 TEXT,
    scenario_prompts INTEGER,
    seed INTEGER NOT NULL,
    options_json TEXT,
    shadow_run_id TEXT,
    shadow_decision TEXT,
    forced INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
  );

  CREATE TABLE rollout_stages (
    rollout_id TEXT NOT NULL REFERENCES rollouts(id),
    stage INTEGER NOT NULL,
    stage_index INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    percentage REAL NOT NULL,
    start_seq INTEGER NOT NULL,
    end_seq INTEGER,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    requests INTEGER,
    candidate_requests INTEGER,
    fallbacks INTEGER,
    decision TEXT CHECK (decision IN ('promote', 'hold', 'rollback')),
    reasons_json TEXT,
    gates_json TEXT,
    srm_json TEXT,
    PRIMARY KEY (rollout_id, stage)
  );

  CREATE TABLE rollout_requests (
    rollout_id TEXT NOT NULL REFERENCES rollouts(id),
    stage INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    prompt_id TEXT NOT NULL,
    sticky_key_hash TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    routed_arm TEXT NOT NULL CHECK (routed_arm IN ('baseline', 'candidate')),
    served_arm TEXT NOT NULL CHECK (served_arm IN ('baseline', 'candidate')),
    fallback INTEGER NOT NULL,
    candidate_error_class TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
    error_class TEXT,
    started_at TEXT NOT NULL,
    latency_ms REAL,
    ttft_ms REAL,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost_usd REAL,
    attempts INTEGER NOT NULL,
    candidate_latency_ms REAL,
    candidate_cost_usd REAL,
    PRIMARY KEY (rollout_id, seq)
  );

  CREATE TABLE rollout_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rollout_id TEXT NOT NULL REFERENCES rollouts(id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    automatic INTEGER NOT NULL,
    from_percentage REAL,
    to_percentage REAL,
    from_status TEXT,
    to_status TEXT,
    reason TEXT NOT NULL,
    evidence_json TEXT
  );

  CREATE INDEX rollout_requests_by_stage ON rollout_requests (rollout_id, stage);
  CREATE INDEX rollout_events_by_rollout ON rollout_events (rollout_id, id);
  `,
  // 3: the shadow replay pauses dispatch while a breaker is open (src/runner/breaker-pause.ts).
  `
  ALTER TABLE runs ADD COLUMN paused_ms REAL NOT NULL DEFAULT 0;

  CREATE TABLE breaker_events (
    run_id TEXT NOT NULL REFERENCES runs(id),
    arm TEXT NOT NULL,
    seq INTEGER NOT NULL,
    opened_at TEXT NOT NULL,
    half_open_at TEXT,
    open_ms REAL,
    PRIMARY KEY (run_id, arm, seq)
  );
  `,
  // 4: spend is never undercounted: failed attempts that may have been billed carry an
  // estimated cost, and the reservation of each attempt in flight is on disk (src/runner/arm-executor.ts).
  `
  ALTER TABLE attempts ADD COLUMN cost_estimated INTEGER;
  ALTER TABLE runs ADD COLUMN reserved_usd REAL NOT NULL DEFAULT 0;
  `,
  // 5: the run measures its own timing error (src/runner/instrument.ts).
  `
  ALTER TABLE runs ADD COLUMN instrument_json TEXT;
  ALTER TABLE attempts ADD COLUMN timing_error_bound_ms REAL;
  `,
  // 6: a run replayed in shards (run --shard I/N): each shard's progress, budget share and spend.
  `
  CREATE TABLE run_shards (
    run_id TEXT NOT NULL REFERENCES runs(id),
    shard INTEGER NOT NULL,
    shards INTEGER NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    spent_usd REAL NOT NULL DEFAULT 0,
    reserved_usd REAL NOT NULL DEFAULT 0,
    budget_usd REAL,
    PRIMARY KEY (run_id, shard)
  );
  `,
];
