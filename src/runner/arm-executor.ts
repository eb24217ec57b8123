import type { ModelConfig, ProviderConfig } from '../config/types.js';
import { costUsd, estimateInputTokens, maxOutputTokens } from '../pricing/cost.js';
import { type AttemptCostBasis, estimatedFailureCostUsd } from '../pricing/failure-cost.js';
import type { ChatRequest, ProviderClient, ProviderResponse } from '../providers/types.js';
import type { RetryBudget } from '../retry/budget.js';
import type { CircuitBreaker } from '../retry/circuit-breaker.js';
import { type AttemptEvent, executeWithRetry, type LateSettleEvent } from '../retry/execute.js';
import type { RetryPolicy } from '../retry/policy.js';
import type { Clock } from '../shared/clock.js';
import { sha256Hex } from '../shared/sha256-hex.js';
import { isValidJson } from '../stats/output-agreement.js';
import type { RunWriter } from '../store/async-run-store.js';
import type { AttemptRow, RequestRow } from '../store/rows.js';
import type { Arm } from './arms.js';
import type { BudgetGuard, BudgetReservation } from './budget-guard.js';
import type { RunInstrument } from './instrument.js';
import type { JitterRngFactory } from './jitter-rng.js';
import { comparedAnswer } from './pair-similarity.js';
import { redactedErrorMessage, redactedToolCalls } from './redaction.js';

/** One arm's sending side: its provider, client, policy, and the provider's own retry budget and breaker. */
export interface ArmTarget {
  arm: Arm;
  provider: ProviderConfig;
  client: ProviderClient;
  /** The top-level policy with the provider's overrides merged in. */
  policy: RetryPolicy;
  budget: RetryBudget;
  breaker: CircuitBreaker;
}

/** What every arm of a run shares. */
export interface ArmRunContext {
  runId: string;
  clock: Clock;
  /** Each (prompt, arm)'s own jitter stream. */
  jitterRngFor: JitterRngFactory;
  stream: boolean;
  redact: boolean;
  /**
   * Where attempt rows and spend go: the run store, or a rollout's own sink.
   * `reserveSpend`, when there, puts each attempt's reservation on disk before it is sent
   * (a promise is awaited first: PostgreSQL's commit).
   */
  store: Pick<RunWriter, 'insertAttempt' | 'addSpend'> & {
    reserveSpend?: (runId: string, usd: number) => void | Promise<void>;
  };
  guard: BudgetGuard;
  /** Aborts attempts in flight (Ctrl-C after the grace period, a second Ctrl-C, a fatal error). */
  signal: AbortSignal;
  /** SHADOWGATE_DEBUG: one line per event worth a developer's eye (an abandoned attempt settling late). */
  debug?: (line: string) => void;
  /** Bounds each attempt's timing error (`attempts.timing_error_bound_ms`); absent: NULL. */
  instrument?: Pick<RunInstrument, 'attemptBoundMs'> | null;
}

/** One (prompt, arm) to send, with what was resolved for it. */
export interface ArmRequest {
  promptId: string;
  request: ChatRequest;
  /** The model name sent to this arm's provider (after modelMap). */
  model: string;
  /** null when the config has no prices for the model: cost_usd NULL (unknown), budget refused at start. */
  prices: ModelConfig | null;
  /** Per-attempt timeout, ms: the model's `timeoutMs`, else the policy's. */
  attemptTimeoutMs: number;
  /** Reserved before each attempt, USD (0 without a budget). */
  worstCaseUsd: number;
  /** Upper-leaning input estimate, for the estimated cost of a failed attempt. Default estimateInputTokens(request). */
  estimatedInputTokens?: number;
  /** The request's output cap. Default maxOutputTokens(request). */
  maxOutputTokens?: number;
  idempotencyKey: string;
  /** The request asked for JSON output (`response_format`), so `json_valid` is meaningful. */
  wantsJson: boolean;
}

/** An arm that reached its final outcome. The caller fills `row.similarity` and writes the row. */
export interface ArmOutcome {
  row: RequestRow;
  /** The answer compared across arms (text, then tool calls): kept in memory even when redacted. */
  answer: string | null;
  /** A failed stream whose last attempt had delivered its first byte: too late for a fallback. */
  streamStarted: boolean;
}

/** Thrown from beforeAttempt when the USD budget refuses the attempt; never leaves this module. */
class BudgetRefusal extends Error {}

/**
 * Sends one logical request for one arm through the retry engine: records an
 * `attempts` row per try (appended to the store's batch), books each attempt's
 * cost against the budget guard, and builds the final `requests` row.
 *
 * Resolves null when the arm was stopped before its outcome (budget refused an
 * attempt, or the run aborted it): no final row, so a resume sends it again.
 */
export async function executeArm(
  ctx: ArmRunContext,
  target: ArmTarget,
  req: ArmRequest,
): Promise<ArmOutcome | null> {
  const { store, guard, runId } = ctx;
  const { client, policy, arm } = target;
  const sendOptions = {
    model: req.model,
    stream: ctx.stream,
    timeouts: {
      connectMs: policy.connectTimeoutMs,
      headersMs: policy.headersTimeoutMs,
      bodyMs: policy.bodyTimeoutMs,
      totalMs: req.attemptTimeoutMs,
    },
    signal: undefined as AbortSignal | undefined,
    // The engine's attempt timer aborts `signal` at timeouts.totalMs.
    signalEnforcesTotal: true,
    idempotencyKey: req.idempotencyKey,
  };
  const startedAtMs = ctx.clock.now();
  let reservation: BudgetReservation | null = null;
  let totalCostUsd = 0;
  let refused = false;
  const prices = req.prices;
  // Only a failure needs the request's side of the estimate: the answered path never counts characters.
  let failureBasis: AttemptCostBasis | null = null;
  const basis = (p: ModelConfig): AttemptCostBasis =>
    (failureBasis ??= {
      estimatedInputTokens: req.estimatedInputTokens ?? estimateInputTokens(req.request),
      maxOutputTokens: req.maxOutputTokens ?? maxOutputTokens(req.request),
      prices: p,
    });

  // The engine hands each attempt its own answer: an abandoned attempt that
  // resolves late never lends its usage to the attempt after it.
  const onAttempt = (e: AttemptEvent, response: ProviderResponse | null): void => {
    // First: the bound is read at the moment the attempt's end is known, before this turn does more work.
    const readings = response
      ? [response.timing.headersMs, response.timing.ttftMs, response.timing.endMs]
      : [e.failure?.headersMs ?? null, e.failure?.ttftMs ?? null];
    const boundMs = ctx.instrument ? ctx.instrument.attemptBoundMs(e.durationMs, readings) : null;
    let attemptCostUsd = 0;
    let estimated = false;
    if (prices && response) attemptCostUsd = costUsd(response.usage, prices);
    else if (prices && e.failure) {
      attemptCostUsd = estimatedFailureCostUsd(
        {
          errorClass: e.failure.errorClass,
          bytesArrived: e.failure.headersMs != null || e.failure.ttftMs != null,
          streamed: ctx.stream,
          abandoned: e.abandoned,
          partialOutputText: e.failure.partialOutputText,
        },
        basis(prices),
      );
      estimated = attemptCostUsd > 0;
    }
    const releasedUsd = reservation ? reservation.amountUsd : 0;
    if (reservation) {
      guard.settle(reservation, attemptCostUsd);
      reservation = null;
    }
    // The final row's cost stays reported usage; estimates live in the attempt rows and the run's spend.
    if (!estimated) totalCostUsd += attemptCostUsd;
    // Before the row: spend and the reservation's release commit in the row's transaction.
    store.addSpend(runId, attemptCostUsd, releasedUsd);
    const row = attemptRow(
      runId,
      req.promptId,
      arm,
      e,
      response,
      prices ? attemptCostUsd : null,
      estimated,
      ctx.redact,
    );
    row.timing_error_bound_ms = boundMs;
    store.insertAttempt(row);
  };
  const onLateSettle = (late: LateSettleEvent<ProviderResponse>): void => {
    if (!ctx.debug) return;
    const what =
      late.status === 'fulfilled'
        ? `answered (HTTP ${late.value.status}, ${late.value.usage.outputTokens} output tokens); its cost was booked as the worst case`
        : `failed: ${late.reason instanceof Error ? late.reason.message : String(late.reason)}`;
    ctx.debug(`${arm} ${req.promptId} attempt ${late.attempt}: abandoned after its abort, it later ${what}`);
  };

  let result: Awaited<ReturnType<typeof executeWithRetry<ProviderResponse>>>;
  try {
    result = await executeWithRetry<ProviderResponse>(
      (attempt) => {
        sendOptions.signal = attempt.signal;
        sendOptions.timeouts.totalMs = attempt.timeoutMs;
        return client.send(req.request, sendOptions);
      },
      {
        policy,
        clock: ctx.clock,
        rng: ctx.jitterRngFor(req.promptId, arm),
        signal: ctx.signal,
        budget: target.budget,
        breaker: target.breaker,
        attemptTimeoutMs: req.attemptTimeoutMs,
        beforeAttempt: () => {
          reservation = guard.reserve(req.worstCaseUsd);
          if (reservation === null) {
            refused = true;
            throw new BudgetRefusal('budget exhausted');
          }
          // On disk before the attempt goes out: a kill -9 cannot lose what it may cost.
          return store.reserveSpend?.(runId, reservation.amountUsd);
        },
        onAttempt,
        onLateSettle,
      },
    );
  } catch (err) {
    if (refused || err instanceof BudgetRefusal) return null;
    throw err;
  } finally {
    // An attempt that never reported (refused by the breaker, a throw inside the engine) must not hold money.
    if (reservation) releaseUnsent(ctx, reservation);
  }
  // Cut short by the run itself (Ctrl-C, a fatal error): no outcome to record, a resume sends it again.
  if (refused || (!result.ok && result.errorClass === 'canceled' && ctx.signal.aborted)) return null;

  const attempts = result.attempts;
  const first = attempts[0];
  const base: RequestRow = {
    run_id: runId,
    prompt_id: req.promptId,
    arm,
    provider: target.provider.name,
    model: req.model,
    outcome: 'error',
    attempts: attempts.length,
    started_at: new Date(first ? first.startedAtMs : startedAtMs).toISOString(),
    latency_ms: result.latencyMs,
    // Unknown, not free: a model without prices must not read as costing nothing in the report.
    cost_usd: req.prices ? totalCostUsd : null,
    idempotency_key: req.idempotencyKey,
  };
  if (!result.ok) {
    const f = result.failure;
    base.error_class = result.errorClass;
    base.error_message = ctx.redact ? redactedErrorMessage(f) : f.message;
    base.http_status = f.status;
    return { row: base, answer: null, streamStarted: typeof f.ttftMs === 'number' };
  }

  const res = result.value;
  const toolCallsJson = res.toolCalls.length > 0 ? JSON.stringify(res.toolCalls) : null;
  const answer = comparedAnswer(res.text, toolCallsJson);
  base.outcome = 'ok';
  base.http_status = res.status;
  base.service_ms = res.timing.totalMs;
  base.headers_ms = res.timing.headersMs;
  base.ttft_ms = res.timing.ttftMs;
  base.tpot_ms = res.timing.tpotMs;
  base.input_tokens = res.usage.inputTokens;
  base.cached_tokens = res.usage.cachedTokens;
  base.cache_write_tokens = res.usage.cacheWriteTokens;
  base.output_tokens = res.usage.outputTokens;
  base.reasoning_tokens = res.usage.reasoningTokens;
  base.usage_source = res.usageSource;
  base.finish_reason = res.finishReason;
  base.response_model = res.responseModel;
  base.system_fingerprint = res.systemFingerprint;
  base.output_text = ctx.redact ? null : res.text;
  base.output_hash = sha256Hex(answer);
  base.tool_calls_json = ctx.redact ? redactedToolCalls(res.toolCalls) : toolCallsJson;
  base.json_valid = req.wantsJson ? isValidJson(res.text) : null;
  return { row: base, answer, streamStarted: false };
}

/** A reservation whose attempt was never sent: nothing spent, the hold released in memory and on disk. */
function releaseUnsent(ctx: ArmRunContext, reservation: BudgetReservation): void {
  const held = reservation.settled ? 0 : reservation.amountUsd;
  ctx.guard.settle(reservation, 0);
  ctx.store.addSpend(ctx.runId, 0, held);
}

function attemptRow(
  runId: string,
  promptId: string,
  arm: Arm,
  e: AttemptEvent,
  response: ProviderResponse | null,
  attemptCostUsd: number | null,
  estimated: boolean,
  redact: boolean,
): AttemptRow {
  const f = e.failure;
  return {
    run_id: runId,
    prompt_id: promptId,
    arm,
    attempt: e.attempt,
    started_at: new Date(e.startedAtMs).toISOString(),
    duration_ms: e.durationMs,
    headers_ms: response ? response.timing.headersMs : (f?.headersMs ?? null),
    ttft_ms: response ? response.timing.ttftMs : (f?.ttftMs ?? null),
    http_status: response ? response.status : e.status,
    error_class: e.errorClass,
    error_message: f ? (redact ? redactedErrorMessage(f) : f.message) : null,
    hint: e.hint,
    delay_before_ms: e.delayBeforeMs,
    request_id: response ? response.requestId : (f?.requestId ?? null),
    input_tokens: response ? response.usage.inputTokens : null,
    output_tokens: response ? response.usage.outputTokens : null,
    cost_usd: attemptCostUsd,
    cost_estimated: attemptCostUsd === null ? null : estimated,
  };
}
