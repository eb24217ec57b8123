/**
 * The store rows of an answer the proxy passed through: its attempts and its
 * final `requests` row, in the shape the replay writes, so `report shadow` and
 * `gate` read live traffic as they read a replay.
 */
import type { ModelConfig } from '../config/types.js';
import { costUsd, estimateInputTokens, maxOutputTokens } from '../pricing/cost.js';
import {
  type AttemptCostBasis,
  estimatedFailureCostUsd,
  type FailedAttempt,
} from '../pricing/failure-cost.js';
import type { ParsedAnswer } from '../providers/protocol-adapter.js';
import type { ChatRequest, Usage } from '../providers/types.js';
import { estimateUsage } from '../providers/usage.js';
import type { AttemptEvent } from '../retry/execute.js';
import { comparedAnswer } from '../runner/pair-similarity.js';
import { redactedErrorMessage, redactedToolCalls } from '../runner/redaction.js';
import type { ErrorClass } from '../shared/outcome-class.js';
import { sha256Hex } from '../shared/sha256-hex.js';
import { isValidJson } from '../stats/output-agreement.js';
import type { Arm, AttemptRow, RequestRow } from '../store/rows.js';
import type { TappedAnswer } from './answer-tap.js';
import type { OpenResult, RelayResult } from './pass-through.js';

export interface ServedAnswer {
  runId: string;
  promptId: string;
  arm: Arm;
  provider: string;
  model: string;
  request: ChatRequest;
  /** The answer was an event stream (TTFT is its first output event; else the whole answer). */
  streamed: boolean;
  prices: ModelConfig | null;
  redact: boolean;
  opened: OpenResult;
  /** Absent when the engine gave up (nothing relayed). */
  relay: RelayResult | null;
  tap: TappedAnswer | null;
  /** clock.now() - clock.monotonic(), to turn monotonic times into wall-clock ones. */
  wallOffsetMs: number;
}

export interface ServedRows {
  attempts: AttemptRow[];
  row: RequestRow;
  /** The answer compared with the mirrors (text, then tool calls); null when it failed. */
  answer: string | null;
  /**
   * What the answer's attempts cost, USD: reported usage, plus the estimate of each failed attempt the
   * provider may have billed (marked `attempts.cost_estimated`), as a replay books it. The run's spend.
   */
  spentUsd: number;
}

/** The rows of one served answer. */
export function servedRows(s: ServedAnswer): ServedRows {
  const { opened, relay, tap } = s;
  const attempts = opened.attempts;
  const first = attempts[0];
  const startedAt = new Date(first ? first.startedAtMs : opened.startMono + s.wallOffsetMs).toISOString();
  const base: RequestRow = {
    run_id: s.runId,
    prompt_id: s.promptId,
    arm: s.arm,
    provider: s.provider,
    model: s.model,
    outcome: 'error',
    attempts: attempts.length,
    started_at: startedAt,
    latency_ms: (relay ? relay.endAtMono : opened.startMono) - opened.startMono,
    cost_usd: s.prices ? 0 : null,
    idempotency_key: null,
  };
  let failureBasis: AttemptCostBasis | null = null;
  const basis = (prices: ModelConfig): AttemptCostBasis =>
    (failureBasis ??= {
      estimatedInputTokens: estimateInputTokens(s.request),
      maxOutputTokens: maxOutputTokens(s.request),
      prices,
    });
  const failureCost = (f: FailedAttempt): number | null =>
    s.prices ? estimatedFailureCostUsd(f, basis(s.prices)) : null;
  const attemptRows = attempts.map((e) =>
    attemptRow(
      s,
      e,
      e.failure
        ? failureCost({
            errorClass: e.failure.errorClass,
            bytesArrived: e.failure.headersMs != null || e.failure.ttftMs != null,
            streamed: s.request.stream === true,
            abandoned: e.abandoned,
            partialOutputText: e.failure.partialOutputText,
          })
        : null,
    ),
  );
  const spent = () => attemptRows.reduce((t, a) => t + (a.cost_usd ?? 0), 0);
  if (!opened.ok) {
    const f = opened.failure;
    base.error_class = opened.errorClass;
    base.error_message = s.redact ? redactedErrorMessage(f) : f.message;
    base.http_status = f.status;
    base.latency_ms = attempts.reduce((t, a) => t + a.durationMs + a.delayBeforeMs, 0);
    return { attempts: attemptRows, row: base, answer: null, spentUsd: spent() };
  }
  base.http_status = opened.status;
  const last = attemptRows[attemptRows.length - 1];
  const answer: ParsedAnswer | null = tap?.answer ?? null;
  const endMono = relay ? relay.endAtMono : opened.headersAtMono;
  const ttftMono = s.streamed ? (tap?.firstOutputAtMono ?? null) : endMono;
  if (last) {
    last.http_status = opened.status;
    last.headers_ms = opened.headersAtMono - opened.sentAtMono;
    last.ttft_ms = ttftMono === null ? null : ttftMono - opened.sentAtMono;
    last.duration_ms = endMono - opened.sentAtMono;
  }
  if (!relay?.complete || answer === null) {
    base.error_class = relay?.complete ? 'protocol' : 'stream_interrupted';
    base.error_message = relay?.complete
      ? `answer could not be read back: ${tap?.problem ?? 'unknown'}`
      : `the answer broke off after ${relay?.bytes ?? 0} bytes`;
    if (last) {
      last.error_class = base.error_class;
      // The provider answered 2xx and sent bytes: what it generated is billed even though the answer broke.
      const cost = failureCost({
        errorClass: base.error_class as ErrorClass,
        bytesArrived: true,
        streamed: s.streamed,
        abandoned: false,
        partialOutputText: tap?.partialOutputText ?? null,
      });
      last.cost_usd = cost;
      last.cost_estimated = cost === null ? null : cost > 0;
    }
    return { attempts: attemptRows, row: base, answer: null, spentUsd: spent() };
  }
  let usage: Usage | null = answer.usage;
  let usageSource = 'reported';
  if (usage === null) {
    usage = estimateUsage(s.request, outputForEstimate(answer));
    usageSource = 'estimated';
  }
  const cost = s.prices ? costUsd(usage, s.prices) : null;
  const toolCallsJson = answer.toolCalls.length > 0 ? JSON.stringify(answer.toolCalls) : null;
  const compared = comparedAnswer(answer.text, toolCallsJson);
  base.outcome = 'ok';
  base.service_ms = endMono - opened.sentAtMono;
  base.headers_ms = opened.headersAtMono - opened.sentAtMono;
  base.ttft_ms = ttftMono === null ? null : ttftMono - opened.sentAtMono;
  const lastOutput = tap?.lastOutputAtMono ?? null;
  base.tpot_ms =
    s.streamed && ttftMono !== null && lastOutput !== null && usage.outputTokens >= 2
      ? (lastOutput - ttftMono) / (usage.outputTokens - 1)
      : null;
  base.input_tokens = usage.inputTokens;
  base.cached_tokens = usage.cachedTokens;
  base.cache_write_tokens = usage.cacheWriteTokens;
  base.output_tokens = usage.outputTokens;
  base.reasoning_tokens = usage.reasoningTokens;
  base.usage_source = usageSource;
  base.cost_usd = cost;
  base.finish_reason = answer.finishReason;
  base.response_model = answer.responseModel;
  base.system_fingerprint = answer.systemFingerprint;
  base.output_text = s.redact ? null : answer.text;
  base.output_hash = sha256Hex(compared);
  base.tool_calls_json = s.redact ? redactedToolCalls(answer.toolCalls) : toolCallsJson;
  base.json_valid = asksForJson(s.request) ? isValidJson(answer.text) : null;
  if (last) {
    last.input_tokens = usage.inputTokens;
    last.output_tokens = usage.outputTokens;
    last.cost_usd = cost;
    last.cost_estimated = cost === null ? null : false;
  }
  return { attempts: attemptRows, row: base, answer: compared, spentUsd: spent() };
}

/** `failureCostUsd`: the failed attempt's estimate (null without prices or for a success). */
function attemptRow(s: ServedAnswer, e: AttemptEvent, failureCostUsd: number | null): AttemptRow {
  const f = e.failure;
  return {
    run_id: s.runId,
    prompt_id: s.promptId,
    arm: s.arm,
    attempt: e.attempt,
    started_at: new Date(e.startedAtMs).toISOString(),
    duration_ms: e.durationMs,
    headers_ms: f?.headersMs ?? null,
    ttft_ms: f?.ttftMs ?? null,
    http_status: e.status,
    error_class: e.errorClass,
    error_message: f ? (s.redact ? redactedErrorMessage(f) : f.message) : null,
    hint: e.hint,
    delay_before_ms: e.delayBeforeMs,
    request_id: f?.requestId ?? null,
    input_tokens: null,
    output_tokens: null,
    cost_usd: failureCostUsd,
    cost_estimated: failureCostUsd === null ? null : failureCostUsd > 0,
  };
}

function outputForEstimate(answer: ParsedAnswer): string {
  let out = answer.text;
  for (const call of answer.toolCalls) out += call.name + call.arguments;
  return out;
}

export function asksForJson(request: ChatRequest): boolean {
  const format = request.response_format as { type?: unknown } | undefined;
  return format?.type === 'json_object' || format?.type === 'json_schema';
}
