/**
 * What `--redact` stores in place of text that may hold the prompt or the
 * answer. Providers echo prompts in error bodies, and tool-call arguments and
 * scenario metadata may quote them, so these keep only what cannot carry text
 * of the caller's: classes, statuses, identifier-like codes, names and hashes.
 */
import type { ToolCall } from '../providers/types.js';
import type { ProviderFailure } from '../shared/attempt-error.js';
import { sha256Hex } from '../shared/sha256-hex.js';

/** A provider error type or code kept as is: short and identifier-shaped (`invalid_request_error`, `rate_limit`). */
const IDENTIFIER = /^[a-z][a-z0-9_.-]{0,63}$/;

/**
 * The stored `error_message` of a failure under --redact: the class, the
 * HTTP status, the provider's error type and code when identifier-shaped (an
 * all-lower-case word cannot be a quoted prompt sentence; anything else is
 * dropped), and the first 16 hex digits of the message's sha256, so equal
 * messages still group. Example: `http_4xx HTTP 400 (invalid_request_error)
 * [message redacted, sha256 3f2a...]`.
 */
export function redactedErrorMessage(failure: ProviderFailure): string {
  const parts: string[] = [failure.errorClass];
  if (failure.status !== null) parts.push(`HTTP ${failure.status}`);
  const type = identifierOrNull(failure.providerErrorType);
  const code = identifierOrNull(failure.providerErrorCode);
  if (type) parts.push(`(${type})`);
  if (code) parts.push(`code ${code}`);
  parts.push(`[message redacted, sha256 ${sha256Hex(failure.message).slice(0, 16)}]`);
  return parts.join(' ');
}

function identifierOrNull(value: string | null | undefined): string | null {
  return value && IDENTIFIER.test(value) ? value : null;
}

/** Tool-call arguments may echo the prompt: keep only the names. */
export function redactedToolCalls(calls: ToolCall[]): string | null {
  return calls.length > 0 ? JSON.stringify(calls.map((c) => ({ name: c.name }))) : null;
}
