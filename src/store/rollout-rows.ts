/**
 * Row types of the rollout tables (migration 2 in ./schema.ts), keyed by
 * column name like ./rows.ts. A public contract: users write SQL against them.
 */

export type RolloutStatus = 'running' | 'completed' | 'rolled_back' | 'held' | 'interrupted' | 'failed';
export type RoutedArm = 'baseline' | 'candidate';
export type StageDecision = 'promote' | 'hold' | 'rollback';

export const ROLLOUT_STATUSES: readonly RolloutStatus[] = [
  'running',
  'completed',
  'rolled_back',
  'held',
  'interrupted',
  'failed',
];

/** A `rollouts` row. */
export interface RolloutRow {
  id: string;
  label: string | null;
  status: RolloutStatus;
  /** The candidate's current share of traffic, percent (0 after a rollback). */
  percentage: number;
  salt: string;
  hash_version: number;
  /** Bumped on every change of percentage or status, so a router polling the state sees a change. */
  version: number;
  plan_json: string;
  config_json: string | null;
  prices_json: string | null;
  scenario_path: string | null;
  scenario_sha256: string | null;
  /** Valid prompts in the scenario: one pass over it is one cycle. */
  scenario_prompts: number | null;
  seed: number;
  options_json: string | null;
  shadow_run_id: string | null;
  /** The week-1 verdict the rollout started from (`promote`, or what --force overrode). */
  shadow_decision: string | null;
  /** 1 when --force started it without a promote verdict. */
  forced: number;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** A `rollout_stages` row: one attempt at one stage (an extended stage has several). */
export interface RolloutStageRow {
  rollout_id: string;
  /** 1-based ordinal of the stage attempt within the rollout (extensions count). */
  stage: number;
  /** Index into the plan's `stages`. */
  stage_index: number;
  /** 0 for the first attempt at a percentage, 1.. for extensions. */
  attempt: number;
  percentage: number;
  /** First request seq of the attempt. */
  start_seq: number;
  /** One past its last request seq; NULL while it runs. */
  end_seq: number | null;
  started_at: string;
  finished_at: string | null;
  requests: number | null;
  candidate_requests: number | null;
  /** Candidate-routed requests of the attempt the baseline served after a candidate failure. */
  fallbacks: number | null;
  decision: StageDecision | null;
  reasons_json: string | null;
  gates_json: string | null;
  srm_json: string | null;
}

/** A `rollout_requests` row: one request served during the rehearsal. */
export interface RolloutRequestRow {
  rollout_id: string;
  stage: number;
  /** Position in the rehearsal's request stream (0-based); the prompt is scenario line seq mod N. */
  seq: number;
  prompt_id: string;
  /** sha256 of the sticky key, hex (the key itself may be a user id). */
  sticky_key_hash: string;
  /** routeFor's bucket, [0, 100000). */
  bucket: number;
  routed_arm: RoutedArm;
  served_arm: RoutedArm;
  /** 1 when the candidate failed and the baseline served the request. */
  fallback: number;
  /** The candidate's error class when it was routed there and failed; NULL otherwise. */
  candidate_error_class: string | null;
  /** The outcome the client saw. */
  outcome: 'ok' | 'error';
  error_class: string | null;
  started_at: string;
  /** What the client waited, ms: the candidate's failed try plus the fallback, for a fallback. */
  latency_ms: number | null;
  ttft_ms: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  /** Everything spent on the request, fallback included; NULL when a model has no prices. */
  cost_usd: number | null;
  /** Attempts across both arms. */
  attempts: number;
  /** The candidate's own latency when it was routed there (ok or not). */
  candidate_latency_ms: number | null;
  /** The candidate's own spend when it was routed there. */
  candidate_cost_usd: number | null;
}

export const ROLLOUT_REQUEST_COLUMNS = [
  'rollout_id',
  'stage',
  'seq',
  'prompt_id',
  'sticky_key_hash',
  'bucket',
  'routed_arm',
  'served_arm',
  'fallback',
  'candidate_error_class',
  'outcome',
  'error_class',
  'started_at',
  'latency_ms',
  'ttft_ms',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'attempts',
  'candidate_latency_ms',
  'candidate_cost_usd',
] as const satisfies readonly (keyof RolloutRequestRow)[];

/** A `rollout_events` row: one change of percentage or status, the audit trail. */
export interface RolloutEventRow {
  id: number;
  rollout_id: string;
  at: string;
  /** `--actor`, else the OS user; `shadowgate` for automatic moves. */
  actor: string;
  /** 1 for a move the gates made, 0 for a manual one. */
  automatic: number;
  from_percentage: number | null;
  to_percentage: number | null;
  from_status: string | null;
  to_status: string | null;
  reason: string;
  /** The gate results behind an automatic move. */
  evidence_json: string | null;
}

export type NewRolloutEvent = Omit<RolloutEventRow, 'id' | 'rollout_id'>;
