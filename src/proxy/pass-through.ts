/**
 * One answer passed through from a provider to the client: attempts go
 * through the retry engine until a provider answers 2xx (or the engine gives
 * up); from then on status, headers and body chunks are copied to the client
 * as they arrive, never buffered. A failure after that point is the client's:
 * no retry can take back bytes already sent.
 */
import type { ServerResponse } from 'node:http';
import { classifyThrown, type FailureContext, httpFailure } from '../providers/provider-failure.js';
import type { RetryBudget } from '../retry/budget.js';
import type { CircuitBreaker } from '../retry/circuit-breaker.js';
import { type AttemptEvent, executeWithRetry } from '../retry/execute.js';
import type { RetryPolicy } from '../retry/policy.js';
import type { ProviderFailure } from '../shared/attempt-error.js';
import type { Clock, Rng } from '../shared/clock.js';
import type { ErrorClass } from '../shared/outcome-class.js';
import { type DispatchedAnswer, dispatchAnswer } from './dispatched-answer.js';
import { HOP_BY_HOP_HEADERS, type Upstream, type WireApi } from './upstream.js';

/** The sending side of one provider: its raw upstream and the engine's per-provider state. */
export interface PassTarget {
  upstream: Upstream;
  policy: RetryPolicy;
  budget: RetryBudget;
  breaker: CircuitBreaker;
}

export interface PassRequest {
  api: WireApi;
  /** The body to send, as bytes (the client's own unless the model was mapped). */
  body: Buffer;
  headers: Record<string, string>;
  stream: boolean;
  /** Per-attempt timeout, ms. */
  attemptTimeoutMs: number;
}

type RawHeaders = Record<string, string | string[] | undefined>;

/** A provider's 2xx answer, headers read, body not yet. */
export interface OpenedAnswer {
  ok: true;
  status: number;
  headers: RawHeaders;
  body: DispatchedAnswer;
  attempts: AttemptEvent[];
  /** clock.monotonic() when the successful attempt was sent, and when its headers came. */
  sentAtMono: number;
  headersAtMono: number;
  /** clock.monotonic() when the first attempt was sent. */
  startMono: number;
}

/** The engine gave up; `response` is the provider's last error answer, when there was one, to pass on as is. */
export interface FailedAnswer {
  ok: false;
  errorClass: ErrorClass;
  failure: ProviderFailure;
  response: { status: number; headers: RawHeaders; body: string } | null;
  attempts: AttemptEvent[];
  startMono: number;
}

export type OpenResult = OpenedAnswer | FailedAnswer;

/** Sends until a 2xx answer's headers arrive, through the retry engine. */
export async function openAnswer(
  target: PassTarget,
  req: PassRequest,
  deps: { clock: Clock; rng: Rng; signal?: AbortSignal },
): Promise<OpenResult> {
  const { upstream, policy } = target;
  const { clock } = deps;
  const path = upstream.pathFor(req.api);
  let lastError: FailedAnswer['response'] = null;
  let sentAtMono = 0;
  let headersAtMono = 0;
  const startMono = clock.monotonic();
  const result = await executeWithRetry(
    async (attempt) => {
      lastError = null;
      sentAtMono = clock.monotonic();
      const ctx: FailureContext = {
        provider: upstream.provider.name,
        apiKey: upstream.apiKey,
        status: null,
        headers: {},
        requestId: null,
        headersMs: null,
        ttftMs: null,
        totalMs: 0,
      };
      let res: DispatchedAnswer;
      try {
        res = await dispatchAnswer(
          upstream.dispatcher,
          {
            path,
            method: 'POST',
            headers: req.headers,
            body: req.body,
            headersTimeout: policy.headersTimeoutMs,
            bodyTimeout: policy.bodyTimeoutMs,
          },
          attempt.signal,
        );
      } catch (e) {
        ctx.totalMs = clock.monotonic() - sentAtMono;
        throw classifyThrown(
          ctx,
          {
            abortedBy: attempt.signal.aborted ? 'caller' : null,
            totalTimeoutMs: attempt.timeoutMs,
            bodyStarted: false,
            streaming: req.stream,
          },
          e,
        );
      }
      headersAtMono = clock.monotonic();
      if (res.statusCode >= 200 && res.statusCode < 300) return res;
      let text = '';
      try {
        text = await res.text();
      } catch {
        // The status decides the class; a body that broke off changes nothing.
      }
      ctx.status = res.statusCode;
      ctx.headersMs = headersAtMono - sentAtMono;
      ctx.totalMs = clock.monotonic() - sentAtMono;
      ctx.headers = lowerCaseStrings(res.headers as RawHeaders);
      lastError = { status: res.statusCode, headers: res.headers as RawHeaders, body: text };
      throw httpFailure(ctx, res.statusCode, text);
    },
    {
      policy,
      clock,
      rng: deps.rng,
      budget: target.budget,
      breaker: target.breaker,
      attemptTimeoutMs: req.attemptTimeoutMs,
      ...(deps.signal ? { signal: deps.signal } : {}),
    },
  );
  if (result.ok) {
    const res = result.value;
    return {
      ok: true,
      status: res.statusCode,
      headers: res.headers as RawHeaders,
      body: res,
      attempts: result.attempts,
      sentAtMono,
      headersAtMono,
      startMono,
    };
  }
  const last = result.attempts[result.attempts.length - 1];
  // Only an answer from the attempt that ended the request is passed on as is.
  const response = last && last.status !== null && last.errorClass === result.errorClass ? lastError : null;
  return {
    ok: false,
    errorClass: result.errorClass,
    failure: result.failure,
    response,
    attempts: result.attempts,
    startMono,
  };
}

/** What the client was sent, for metrics and the store. */
export interface RelayResult {
  /** The whole body reached the client. */
  complete: boolean;
  /** clock.monotonic() of the first body chunk written, null when none was. */
  firstChunkAtMono: number | null;
  endAtMono: number;
  bytes: number;
  /** Why the body broke off (the provider's stream broke, or the client went away). */
  error: unknown;
}

/**
 * Copies a 2xx answer to the client: status and headers (hop-by-hop ones
 * dropped, `extraHeaders` added), then each chunk as it arrives, each also
 * given to `onChunk` after it was written. Backpressure from a slow client
 * pauses the provider's body. A client that goes away destroys it.
 */
export function relayAnswer(
  opened: OpenedAnswer,
  res: ServerResponse,
  extraHeaders: () => Record<string, string>,
  now: () => number,
  onChunk: ((chunk: Buffer) => void) | null,
): Promise<RelayResult> {
  res.writeHead(opened.status, { ...copyHeaders(opened.headers), ...extraHeaders() });
  const body = opened.body;
  // Headers go out before the first token, as the provider sent them: at the end of this turn, unless a
  // chunk that came with them carries them in the same write (one syscall, not two).
  setImmediate(() => {
    if (!res.headersSent && !res.destroyed) res.flushHeaders();
  });
  return new Promise((resolve) => {
    let firstChunkAtMono: number | null = null;
    let bytes = 0;
    let settled = false;
    const finish = (complete: boolean, error: unknown) => {
      if (settled) return;
      settled = true;
      res.off('close', onClose);
      resolve({ complete, firstChunkAtMono, endAtMono: now(), bytes, error });
    };
    const onClose = () => {
      if (!res.writableFinished) {
        body.abort(new Error('the client went away'));
        finish(false, new Error('the client went away'));
      }
    };
    const onDrain = () => body.resume();
    res.on('close', onClose);
    body.attach({
      data: (chunk) => {
        if (settled) return;
        if (firstChunkAtMono === null) firstChunkAtMono = now();
        bytes += chunk.length;
        if (!res.write(chunk)) {
          body.pause();
          res.once('drain', onDrain);
        }
        onChunk?.(chunk);
      },
      end: () => {
        if (settled) return;
        res.end(() => finish(true, null));
      },
      error: (err) => {
        // Bytes were sent: the client sees its stream break, as it would from the provider.
        res.destroy(err);
        finish(false, err);
      },
    });
  });
}

/** Sends a provider's error answer on as it was. */
export function relayError(
  response: NonNullable<FailedAnswer['response']>,
  res: ServerResponse,
  extraHeaders: Record<string, string>,
): void {
  const headers = copyHeaders(response.headers);
  headers['content-length'] = String(Buffer.byteLength(response.body));
  res.writeHead(response.status, { ...headers, ...extraHeaders });
  res.end(response.body);
}

/** The proxy's own error, in the client's API's error shape. */
export function proxyErrorBody(api: WireApi, errorClass: string, message: string): string {
  return api === 'anthropic'
    ? JSON.stringify({ type: 'error', error: { type: 'api_error', message } })
    : JSON.stringify({ error: { message, type: 'proxy_error', code: errorClass } });
}

/** 504 when the provider was too slow, 502 when it failed otherwise, 503 when our own engine refused. */
export function proxyErrorStatus(errorClass: ErrorClass): number {
  if (errorClass === 'circuit_open' || errorClass === 'retry_budget_exhausted') return 503;
  if (errorClass.startsWith('timeout') || errorClass === 'deadline_exceeded') return 504;
  return 502;
}

export function copyHeaders(raw: RawHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in raw) {
    const v = raw[k];
    if (v === undefined || HOP_BY_HOP_HEADERS.has(k)) continue;
    out[k] = v;
  }
  return out;
}

function lowerCaseStrings(raw: RawHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in raw) {
    const v = raw[k];
    if (v !== undefined) out[k.toLowerCase()] = typeof v === 'string' ? v : v.join(', ');
  }
  return out;
}
