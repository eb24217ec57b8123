/**
 * What a failed attempt may have cost. A provider bills what its model
 * processed, and a timeout, a broken stream or a dropped connection after
 * bytes arrived does not mean nothing was processed. Under a USD budget the
 * safe side is to book an upper-leaning estimate (marked estimated), never $0.
 */
import type { ModelConfig } from '../config/types.js';
import type { ErrorClass } from '../shared/outcome-class.js';
import { worstCaseCostUsd } from './cost.js';
import { estimateTextTokens } from './estimate-tokens.js';

/**
 * Failures a provider does not bill: it answered with an error status, or the
 * connection never opened, or our own engine did not send.
 */
export const UNBILLED_ERROR_CLASSES: readonly ErrorClass[] = [
  'http_429',
  'http_4xx',
  'http_5xx',
  'timeout_connect',
  'circuit_open',
  'retry_budget_exhausted',
];

/** What is known of one failed attempt. */
export interface FailedAttempt {
  errorClass: ErrorClass;
  /** Response headers or body bytes had arrived before the failure. */
  bytesArrived: boolean;
  /** The attempt asked for a streamed answer (output arrives as it is generated). */
  streamed: boolean;
  /** The engine moved on without the attempt (it ignored its abort): it may still be running. */
  abandoned: boolean;
  /** A broken stream's text so far (answer and tool-call arguments). */
  partialOutputText?: string | null;
}

/** The request's side of the estimate. */
export interface AttemptCostBasis {
  /** Upper-leaning input estimate of the request (estimateInputTokens). */
  estimatedInputTokens: number;
  /** The request's output cap (maxOutputTokens). */
  maxOutputTokens: number;
  prices: ModelConfig;
}

/**
 * The estimated cost of a failed attempt, USD, never above the attempt's
 * worst case (what the budget reserved for it):
 * - not billed (UNBILLED_ERROR_CLASSES, a network error before any byte): 0;
 * - abandoned: the worst case, as it may still run to its output cap;
 * - otherwise every input token at the dearest input price, plus output:
 *   for a stream, what had streamed (estimateTextTokens); for a whole (JSON)
 *   answer, or a stream that broke the protocol, the output cap, since the
 *   model may have finished it before the body broke or the timer fired.
 */
export function estimatedFailureCostUsd(f: FailedAttempt, basis: AttemptCostBasis): number {
  const worstUsd = worstCaseCostUsd(basis.estimatedInputTokens, basis.maxOutputTokens, basis.prices);
  if (f.abandoned) return worstUsd;
  if (UNBILLED_ERROR_CLASSES.includes(f.errorClass)) return 0;
  if (f.errorClass === 'network' && !f.bytesArrived) return 0;
  // A stream that broke the protocol may have gone on generating past what we could read.
  const partialIsAll = f.streamed && f.errorClass !== 'protocol';
  const outputTokens = partialIsAll ? estimateTextTokens(f.partialOutputText ?? '') : basis.maxOutputTokens;
  return Math.min(worstUsd, worstCaseCostUsd(basis.estimatedInputTokens, outputTokens, basis.prices));
}
