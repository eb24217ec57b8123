import { ShadowgateError } from './errors.js';
import type { ErrorClass } from './outcome-class.js';

/** What a failed attempt carries to the retry engine and the store. */
export interface ProviderFailure {
  errorClass: ErrorClass;
  /** HTTP status when the server answered (the 5xx code is kept for `http_5xx`). */
  status: number | null;
  /** Lower-cased response headers, when there was a response (retry hints live here). */
  headers: Record<string, string>;
  /** One line, never containing an API key. */
  message: string;
  providerErrorType?: string | null;
  providerErrorCode?: string | null;
  requestId?: string | null;
  /** A short excerpt of the response body (secrets scrubbed). */
  bodyExcerpt?: string | null;
  /** Timing up to the failure, ms since the attempt was sent. */
  headersMs?: number | null;
  ttftMs?: number | null;
  totalMs?: number | null;
  /**
   * A streamed answer that broke off: the text (and tool-call arguments) that
   * arrived before the failure, for estimating what the attempt cost. Never stored.
   */
  partialOutputText?: string | null;
}

/**
 * Thrown by a provider client for a failed attempt. The retry engine reads
 * `failure.errorClass` and `failure.headers` to decide what happens next.
 */
export class AttemptError extends ShadowgateError {
  readonly failure: ProviderFailure;

  constructor(failure: ProviderFailure, options: { cause?: unknown } = {}) {
    super(failure.errorClass, failure.message, options);
    this.failure = failure;
  }
}

export function isAttemptError(e: unknown): e is AttemptError {
  return e instanceof AttemptError;
}
