/**
 * The transport shared by every provider kind: one undici Pool per provider
 * (keep-alive, `connections` sized to the run's concurrency, no pipelining),
 * phase timeouts, timing, headers, failure classification. What differs per
 * kind lives in a ProtocolAdapter.
 */
import { Pool } from 'undici';
import type { Clock } from '../shared/clock.js';
import {
  type ParsedAnswer,
  type ProtocolAdapter,
  ProtocolViolation,
  parseJsonOrViolation,
  type StreamAccumulator,
} from './protocol-adapter.js';
import {
  attemptFailure,
  classifyThrown,
  type FailureContext,
  httpFailure,
  protocolFailure,
  type ThrowContext,
} from './provider-failure.js';
import { readEventStream, type StreamProgress } from './read-event-stream.js';
import type { AttemptTiming, ChatRequest, ProviderClient, ProviderResponse, SendOptions } from './types.js';
import { estimateUsage } from './usage.js';

/** Everything the transport needs; built by createProviderClient from the config. */
export interface UndiciProviderClientOptions {
  name: string;
  baseUrl: string;
  adapter: ProtocolAdapter;
  /** Sent on every request (auth, version, content-type, config headers). */
  headers: Record<string, string>;
  /** Header carrying the idempotency key, or null for none. */
  idempotencyHeader: string | null;
  /** Only used to scrub it from errors; never logged. */
  apiKey: string | null;
  /** Pool size: the most concurrent connections to this provider. */
  connections: number;
  /** Cap on one response body, bytes. */
  maxResponseBytes: number;
  clock?: Clock;
}

type UndiciHeaders = Record<string, string | string[] | undefined>;

const RATE_LIMIT_PREFIXES = ['x-ratelimit-', 'anthropic-ratelimit-'];

export class UndiciProviderClient implements ProviderClient {
  readonly name: string;
  private readonly origin: string;
  private readonly path: string;
  private readonly opts: UndiciProviderClientOptions;
  private readonly now: () => number;
  /**
   * The connect timeout is a property of undici's connector, not of a request,
   * so there is one pool per distinct connectMs (in practice exactly one).
   */
  private readonly pools = new Map<number, Pool>();
  private closed = false;

  constructor(opts: UndiciProviderClientOptions) {
    this.opts = opts;
    this.name = opts.name;
    const url = new URL(opts.baseUrl);
    this.origin = url.origin;
    this.path = url.pathname.replace(/\/+$/, '') + opts.adapter.path + url.search;
    const clock = opts.clock;
    this.now = clock ? () => clock.monotonic() : () => performance.now();
  }

  private pool(connectMs: number): Pool {
    let pool = this.pools.get(connectMs);
    if (!pool) {
      pool = new Pool(this.origin, {
        connections: this.opts.connections,
        pipelining: 1,
        connect: { timeout: connectMs },
        maxResponseSize: this.opts.maxResponseBytes,
      });
      this.pools.set(connectMs, pool);
    }
    return pool;
  }

  async send(request: ChatRequest, options: SendOptions): Promise<ProviderResponse> {
    const t0 = this.now();
    const { timeouts, signal } = options;
    const ctx: FailureContext = {
      provider: this.name,
      apiKey: this.opts.apiKey,
      status: null,
      headers: {},
      requestId: null,
      headersMs: null,
      ttftMs: null,
      totalMs: 0,
    };
    const thrown: ThrowContext = {
      abortedBy: null,
      totalTimeoutMs: timeouts.totalMs,
      bodyStarted: false,
      streaming: options.stream,
    };
    if (this.closed || signal?.aborted) {
      thrown.abortedBy = 'caller';
      throw classifyThrown(ctx, thrown, signal?.reason ?? new Error('client closed'));
    }
    // When the caller's signal already enforces the total timeout (the retry
    // engine's), undici gets that signal as is: no second controller, listener
    // and timer per attempt. Its abort can then only be the caller's.
    let requestSignal: AbortSignal | undefined = signal;
    let onCallerAbort: (() => void) | null = null;
    let totalTimer: ReturnType<typeof setTimeout> | null = null;
    if (!(options.signalEnforcesTotal && signal)) {
      const controller = new AbortController();
      requestSignal = controller.signal;
      onCallerAbort = () => {
        thrown.abortedBy ??= 'caller';
        controller.abort();
      };
      signal?.addEventListener('abort', onCallerAbort, { once: true });
      totalTimer = setTimeout(() => {
        thrown.abortedBy ??= 'total';
        controller.abort();
      }, timeouts.totalMs);
    }
    const aborted = (): boolean => {
      if (thrown.abortedBy === null && onCallerAbort === null && signal?.aborted) thrown.abortedBy = 'caller';
      return thrown.abortedBy !== null;
    };

    const key = options.idempotencyKey;
    const idem = this.opts.idempotencyHeader;
    const headers = idem !== null && key ? { ...this.opts.headers, [idem]: key } : this.opts.headers;
    let progressRef: StreamProgress | null = null;
    let streamRef: StreamAccumulator | null = null;
    try {
      const res = await this.pool(timeouts.connectMs).request({
        path: this.path,
        method: 'POST',
        headers,
        body: this.opts.adapter.buildBody(request, options.model, options.stream),
        signal: requestSignal,
        headersTimeout: timeouts.headersMs,
        bodyTimeout: timeouts.bodyMs,
      });
      ctx.headersMs = this.now() - t0;
      ctx.status = res.statusCode;
      const { all, rateLimit, requestId } = normaliseHeaders(res.headers as UndiciHeaders);
      ctx.headers = all;
      ctx.requestId = requestId;

      if (res.statusCode < 200 || res.statusCode >= 300) {
        // The status decides the class: a 503 whose body then stalls is still a 503.
        let body = '';
        try {
          body = await res.body.text();
        } catch (e) {
          if (aborted()) throw e;
        }
        ctx.totalMs = this.now() - t0;
        throw httpFailure(ctx, res.statusCode, body);
      }

      const contentType = all['content-type'] ?? '';
      if (contentType.includes('html')) {
        const body = await res.body.text();
        ctx.totalMs = this.now() - t0;
        throw protocolFailure(ctx, `expected ${options.stream ? 'an event stream' : 'JSON'}, got HTML`, body);
      }

      let answer: ParsedAnswer;
      let ttftMs: number | null;
      let endMs: number | null;
      let totalMs: number;
      // A server that ignores `stream: true` and answers JSON is still read.
      const streamed = options.stream && !contentType.includes('json');
      if (streamed) {
        const progress: StreamProgress = { bodyStarted: false, ttftMs: null, endMs: null };
        progressRef = progress;
        streamRef = this.opts.adapter.newStream();
        const s = await readEventStream(res.body, streamRef, this.now, t0, progress);
        totalMs = this.now() - t0;
        ctx.totalMs = totalMs;
        ctx.ttftMs = progress.ttftMs;
        if (!s.complete) {
          if (!progress.bodyStarted) throw protocolFailure(ctx, 'event stream was empty', null);
          throw attemptFailure(ctx, 'stream_interrupted', 'stream ended without its end marker');
        }
        answer = s.answer;
        ttftMs = progress.ttftMs;
        endMs = progress.endMs;
      } else {
        // The end is read when the stream emits it, not a promise hop later.
        let endedAt = Number.NaN;
        res.body.once('end', () => {
          endedAt = this.now();
        });
        const body = await res.body.text();
        totalMs = (Number.isNaN(endedAt) ? this.now() : endedAt) - t0;
        ctx.totalMs = totalMs;
        try {
          answer = this.opts.adapter.parseAnswer(parseJsonOrViolation(body, 'response body'));
        } catch (e) {
          if (e instanceof ProtocolViolation) throw protocolFailure(ctx, e.message, body);
          throw e;
        }
        ttftMs = totalMs;
        endMs = totalMs;
      }

      let usage = answer.usage;
      let usageSource: ProviderResponse['usageSource'] = 'reported';
      if (usage === null) {
        usage = estimateUsage(request, outputForEstimate(answer));
        usageSource = 'estimated';
      }
      const timing: AttemptTiming = {
        headersMs: ctx.headersMs,
        ttftMs,
        endMs,
        totalMs,
        tpotMs:
          streamed && ttftMs !== null && endMs !== null && usage.outputTokens >= 2
            ? (endMs - ttftMs) / (usage.outputTokens - 1)
            : null,
      };
      return {
        status: res.statusCode,
        text: answer.text,
        toolCalls: answer.toolCalls,
        finishReason: answer.finishReason,
        responseModel: answer.responseModel,
        systemFingerprint: answer.systemFingerprint,
        requestId,
        usage,
        usageSource,
        timing,
        rateLimit,
        headers: all,
      };
    } catch (e) {
      if (ctx.totalMs === 0) ctx.totalMs = this.now() - t0;
      if (progressRef) {
        thrown.bodyStarted = progressRef.bodyStarted;
        ctx.ttftMs = progressRef.ttftMs;
      }
      aborted();
      const err = classifyThrown(ctx, thrown, e);
      if (streamRef && progressRef?.bodyStarted) err.failure.partialOutputText ??= partialOutput(streamRef);
      throw err;
    } finally {
      if (totalTimer !== null) clearTimeout(totalTimer);
      if (onCallerAbort !== null) signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }
}

/** What a broken stream had delivered, for the runner's estimate of its cost. */
function partialOutput(stream: StreamAccumulator): string {
  try {
    return outputForEstimate(stream.result());
  } catch {
    return '';
  }
}

function outputForEstimate(answer: ParsedAnswer): string {
  if (answer.toolCalls.length === 0) return answer.text;
  let out = answer.text;
  for (const call of answer.toolCalls) out += call.name + call.arguments;
  return out;
}

/**
 * One pass over undici's header object: joins repeated headers (undici gives
 * arrays for those) in place rather than copying, and picks out the rate-limit
 * headers and the request id. Names are already lower-cased by undici.
 */
export function normaliseHeaders(raw: UndiciHeaders): {
  all: Record<string, string>;
  rateLimit: Record<string, string>;
  requestId: string | null;
} {
  const rateLimit: Record<string, string> = {};
  for (const k in raw) {
    let v = raw[k];
    if (v === undefined) {
      delete raw[k];
      continue;
    }
    if (typeof v !== 'string') {
      v = v.join(', ');
      raw[k] = v;
    }
    if (k.startsWith(RATE_LIMIT_PREFIXES[0]!) || k.startsWith(RATE_LIMIT_PREFIXES[1]!)) rateLimit[k] = v;
  }
  const all = raw as Record<string, string>;
  return { all, rateLimit, requestId: all['x-request-id'] ?? all['request-id'] ?? null };
}
