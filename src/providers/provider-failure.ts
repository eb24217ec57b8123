/**
 * Turns what went wrong in one attempt (an HTTP status, an undici error, a
 * broken body) into the retry engine's outcome classes, with secrets scrubbed.
 */
import { AttemptError, type ProviderFailure } from '../shared/attempt-error.js';
import type { ErrorClass } from '../shared/outcome-class.js';
import { InBandError, isObject, ProtocolViolation, stringOrNull } from './protocol-adapter.js';

/** Node and undici error codes that mean the connection failed: class `network`. */
export const NETWORK_ERROR_CODES: readonly string[] = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
];

/** undici error codes for its phase timeouts. */
export const TIMEOUT_ERROR_CODES: Readonly<Record<string, ErrorClass>> = {
  UND_ERR_CONNECT_TIMEOUT: 'timeout_connect',
  UND_ERR_HEADERS_TIMEOUT: 'timeout_headers',
  UND_ERR_BODY_TIMEOUT: 'timeout_body',
};

/** Longest body excerpt kept on a failure, characters. */
export const BODY_EXCERPT_CHARS = 300;

const REDACTED = '[redacted]';

/**
 * Removes the API key, and anything that looks like a bearer token or an
 * `sk-` key, from text that may reach errors, logs or the database. A server
 * that echoes the request's Authorization header must not leak it.
 */
export function scrubSecrets(text: string, apiKey: string | null): string {
  let out = text;
  if (apiKey && apiKey.length > 0 && out.includes(apiKey)) out = out.split(apiKey).join(REDACTED);
  return out.replace(/(bearer\s+)[^\s"',;]+/gi, `$1${REDACTED}`).replace(/\bsk-[A-Za-z0-9_-]{8,}/g, REDACTED);
}

/** One line, whitespace collapsed, secrets scrubbed, at most `maxChars`. */
export function excerpt(text: string, apiKey: string | null, maxChars = BODY_EXCERPT_CHARS): string {
  const line = scrubSecrets(text.replace(/\s+/g, ' ').trim(), apiKey);
  return line.length > maxChars ? line.slice(0, maxChars) + '...' : line;
}

/** The provider's own error fields: OpenAI `{error:{message,type,code}}`, Anthropic `{type:'error', error:{type,message}}`. */
export interface ProviderErrorFields {
  message: string | null;
  type: string | null;
  code: string | null;
}

export function readProviderError(body: string): ProviderErrorFields {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { message: null, type: null, code: null };
  }
  if (!isObject(json)) return { message: null, type: null, code: null };
  const e = json.error;
  if (typeof e === 'string') return { message: e, type: null, code: null };
  if (isObject(e)) {
    return {
      message: stringOrNull(e.message),
      type: stringOrNull(e.type),
      code: e.code === undefined || e.code === null ? null : String(e.code),
    };
  }
  return { message: stringOrNull(json.message), type: null, code: null };
}

/** What the client knew about the attempt when it failed. */
export interface FailureContext {
  provider: string;
  apiKey: string | null;
  status: number | null;
  headers: Record<string, string>;
  requestId: string | null;
  headersMs: number | null;
  ttftMs: number | null;
  totalMs: number;
}

export function classifyStatus(status: number): ErrorClass {
  if (status === 429) return 'http_429';
  if (status >= 500) return 'http_5xx';
  if (status >= 400) return 'http_4xx';
  // 1xx/3xx as a final answer: we never follow redirects for an API call.
  return 'protocol';
}

function scrubHeaders(headers: Record<string, string>, apiKey: string | null): Record<string, string> {
  if (!apiKey) return headers;
  let out: Record<string, string> | null = null;
  for (const k in headers) {
    const v = headers[k]!;
    if (v.includes(apiKey)) {
      out ??= { ...headers };
      out[k] = scrubSecrets(v, apiKey);
    }
  }
  return out ?? headers;
}

/** Builds the AttemptError for one failed attempt, scrubbing message and headers. */
export function attemptFailure(
  ctx: FailureContext,
  errorClass: ErrorClass,
  message: string,
  extra: Partial<ProviderFailure> = {},
  cause?: unknown,
): AttemptError {
  const failure: ProviderFailure = {
    errorClass,
    status: ctx.status,
    headers: scrubHeaders(ctx.headers, ctx.apiKey),
    message: scrubSecrets(`${ctx.provider}: ${message}`, ctx.apiKey).replace(/\s+/g, ' '),
    requestId: ctx.requestId,
    headersMs: ctx.headersMs,
    ttftMs: ctx.ttftMs,
    totalMs: ctx.totalMs,
    providerErrorType: null,
    providerErrorCode: null,
    bodyExcerpt: null,
    ...extra,
  };
  // The cause is kept for debugging in-process only; its message may carry
  // nothing secret (undici errors never include request headers).
  return new AttemptError(failure, cause === undefined ? {} : { cause });
}

/** A non-2xx answer: the class from the status, the provider's error fields, an excerpt. */
export function httpFailure(ctx: FailureContext, status: number, body: string): AttemptError {
  const fields = readProviderError(body);
  const errorClass = classifyStatus(status);
  const detail = fields.message ?? (body.length > 0 ? excerpt(body, ctx.apiKey, 120) : 'empty body');
  const typeNote = fields.type ? ` (${fields.type})` : '';
  return attemptFailure(ctx, errorClass, `HTTP ${status}${typeNote}: ${detail}`, {
    providerErrorType: fields.type,
    providerErrorCode: fields.code,
    bodyExcerpt: body.length > 0 ? excerpt(body, ctx.apiKey) : null,
  });
}

/** A 2xx answer whose body broke the protocol. */
export function protocolFailure(ctx: FailureContext, message: string, body: string | null): AttemptError {
  return attemptFailure(ctx, 'protocol', message, {
    bodyExcerpt: body !== null && body.length > 0 ? excerpt(body, ctx.apiKey) : null,
  });
}

/** What the transport knew when an error was thrown. */
export interface ThrowContext {
  /** Who aborted our controller, if anyone. */
  abortedBy: 'caller' | 'total' | null;
  totalTimeoutMs: number;
  /** Body bytes had arrived before the error: a broken stream, not a failed connection. */
  bodyStarted: boolean;
  streaming: boolean;
}

function errorCode(e: unknown): string | null {
  if (!isObject(e) && !(e instanceof Error)) return null;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}

/** Classifies anything thrown while sending or reading an attempt. */
export function classifyThrown(ctx: FailureContext, t: ThrowContext, e: unknown): AttemptError {
  if (e instanceof AttemptError) return e;
  if (t.abortedBy === 'caller') return attemptFailure(ctx, 'canceled', 'canceled by the caller', {}, e);
  if (t.abortedBy === 'total') {
    return attemptFailure(ctx, 'timeout_total', `attempt exceeded ${t.totalTimeoutMs} ms`, {}, e);
  }
  if (e instanceof ProtocolViolation) return attemptFailure(ctx, 'protocol', e.message, {}, e);
  if (e instanceof InBandError) {
    return attemptFailure(
      ctx,
      e.errorClass,
      e.message,
      { providerErrorType: e.providerErrorType, providerErrorCode: e.providerErrorCode },
      e,
    );
  }
  const code = errorCode(e);
  const raw = e instanceof Error ? e.message : String(e);
  if (code !== null) {
    const timeoutClass = TIMEOUT_ERROR_CODES[code];
    if (timeoutClass)
      return attemptFailure(ctx, timeoutClass, `${timeoutClass.replace('_', ' ')} (${raw})`, {}, e);
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
      return attemptFailure(ctx, 'protocol', `response body over the size cap (${raw})`, {}, e);
    }
    if (NETWORK_ERROR_CODES.includes(code)) {
      if (t.streaming && t.bodyStarted) {
        return attemptFailure(ctx, 'stream_interrupted', `stream broke off: ${code} ${raw}`, {}, e);
      }
      return attemptFailure(ctx, 'network', `${code}: ${raw}`, {}, e);
    }
  }
  // AbortError not caused by us, or anything unknown from the socket layer.
  if (e instanceof Error && e.name === 'AbortError') return attemptFailure(ctx, 'canceled', raw, {}, e);
  if (t.streaming && t.bodyStarted)
    return attemptFailure(ctx, 'stream_interrupted', `stream broke off: ${raw}`, {}, e);
  return attemptFailure(ctx, 'network', code ? `${code}: ${raw}` : raw, {}, e);
}
