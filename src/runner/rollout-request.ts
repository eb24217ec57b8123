import type { RolloutRequestRow, RoutedArm } from '../store/rollout-rows.js';
import {
  type ArmOutcome,
  type ArmRequest,
  type ArmRunContext,
  type ArmTarget,
  executeArm,
} from './arm-executor.js';

/** One request of the rehearsal, routed before it is sent. */
export interface RoutedRequest {
  rolloutId: string;
  stage: number;
  seq: number;
  promptId: string;
  stickyKeyHash: string;
  bucket: number;
  routedArm: RoutedArm;
}

/**
 * Serves one request as a production router would: on its routed arm only,
 * through the retry engine; with `fallback`, a request the candidate fails
 * after its retries is served by the baseline, unless a stream had already
 * delivered its first byte. Both outcomes are kept in the one row. Resolves
 * null when the rehearsal stopped it before its outcome (resume sends it).
 */
export async function serveRoutedRequest(
  ctx: ArmRunContext,
  targets: { baseline: ArmTarget; candidate: ArmTarget },
  routed: RoutedRequest,
  armRequest: (target: ArmTarget) => ArmRequest,
  fallback: boolean,
): Promise<RolloutRequestRow | null> {
  const first = routed.routedArm === 'candidate' ? targets.candidate : targets.baseline;
  const primary = await executeArm(ctx, first, armRequest(first));
  if (primary === null) return null;
  if (routed.routedArm === 'baseline') return rowFor(routed, primary, null);
  if (primary.row.outcome === 'ok' || !fallback || primary.streamStarted)
    return rowFor(routed, primary, null);
  const backup = await executeArm(ctx, targets.baseline, armRequest(targets.baseline));
  if (backup === null) return null;
  return rowFor(routed, primary, backup);
}

function rowFor(routed: RoutedRequest, primary: ArmOutcome, backup: ArmOutcome | null): RolloutRequestRow {
  const p = primary.row;
  const served = backup ? backup.row : p;
  const candidate = routed.routedArm === 'candidate';
  const sum = (a: number | null | undefined, b: number | null | undefined): number | null =>
    a === null || a === undefined || b === null || b === undefined ? null : a + b;
  const waited = backup ? (p.latency_ms ?? 0) : 0;
  return {
    rollout_id: routed.rolloutId,
    stage: routed.stage,
    seq: routed.seq,
    prompt_id: routed.promptId,
    sticky_key_hash: routed.stickyKeyHash,
    bucket: routed.bucket,
    routed_arm: routed.routedArm,
    served_arm: backup ? 'baseline' : routed.routedArm,
    fallback: backup ? 1 : 0,
    candidate_error_class: candidate && p.outcome === 'error' ? (p.error_class ?? 'unknown') : null,
    outcome: served.outcome,
    error_class: served.outcome === 'error' ? (served.error_class ?? 'unknown') : null,
    started_at: p.started_at,
    // What the client waited: the candidate's failed try, then the baseline's answer.
    latency_ms: backup ? sum(p.latency_ms, backup.row.latency_ms) : (p.latency_ms ?? null),
    ttft_ms: served.ttft_ms === null || served.ttft_ms === undefined ? null : served.ttft_ms + waited,
    input_tokens: served.input_tokens ?? null,
    output_tokens: served.output_tokens ?? null,
    cost_usd: backup ? sum(p.cost_usd, backup.row.cost_usd) : (p.cost_usd ?? null),
    attempts: p.attempts + (backup ? backup.row.attempts : 0),
    candidate_latency_ms: candidate ? (p.latency_ms ?? null) : null,
    candidate_cost_usd: candidate ? (p.cost_usd ?? null) : null,
  };
}
