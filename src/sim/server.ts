import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from '../shared/clock.js';
import {
  FAULT_KINDS,
  type FaultKind,
  HTTP_ERROR_FAULTS,
  isFaultKind,
  LIMITER_FAULTS,
  type SimFault,
} from './faults.js';
import { planResponse, promptKey, type ResponsePlan } from './plan.js';
import type { SimProfile } from './profiles.js';
import { type LimitSnapshot, RateLimiter } from './rate-limiter.js';
import {
  parseChatCompletionsRequest,
  parseMessagesRequest,
  type SimApi,
  type SimRequest,
} from './sim-request.js';
import {
  anthropicErrorBody,
  anthropicMessageBody,
  anthropicStreamEvents,
  HTML_ERROR_PAGE,
  invalidRequestBody,
  openaiCompletionBody,
  openaiErrorBody,
  openaiStreamEvents,
  type ResponseIds,
  type TimedEvent,
} from './wire-format.js';

export interface SimServerOptions {
  profile: SimProfile;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /**
   * Content seed: the same seed gives the same base answers whatever the
   * profile, so a baseline and a candidate are comparable. Default 1.
   */
  seed?: number;
  /** The limiter's clock (tests); default the system clock. */
  clock?: Pick<Clock, 'monotonic'>;
}

export interface SimServer {
  /** `http://HOST:PORT/v1`: the base URL a provider client is given. */
  url: string;
  port: number;
  /** Stops listening and drops every open connection (hung and stalled ones included). */
  close(): Promise<void>;
  /** Counts: `requests` (completion requests), and one per `x-sim-fault` value. */
  stats(): Record<string, number>;
  /**
   * How many times each `Idempotency-Key` arrived: what the server actually
   * received, so a test can count re-sends (retries carry the same key).
   */
  idempotencyKeys(): Map<string, number>;
  /**
   * Tokens this server served, as a provider would bill them: the reported
   * prompt tokens of every request its model worked on (an answer, a broken
   * or stalled one, a hang), never of an error status, a reset or an HTML
   * page; and the output tokens it generated: a whole (JSON) answer at once,
   * a stream piece by piece as written. The truth a budget test holds spend to.
   */
  servedTokens(): ServedTokens;
}

export interface ServedTokens {
  inputTokens: number;
  outputTokens: number;
}

/** Faults whose request the model worked on, so its prompt tokens are billed. */
const BILLED_FAULTS: ReadonlySet<SimFault> = new Set<SimFault>([
  'none',
  'missing-usage',
  'malformed-json',
  'stall',
  'cutoff',
  'hang',
]);

/** Request header that forces a fault for one request (tests): a fault kind or `none`. */
export const FORCE_FAULT_HEADER = 'x-sim-force-fault';

/** Request bodies above this are refused (413): the simulator is not a target for upload tests. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Stream events due within this many ms of each other go out in one write. */
const BATCH_WINDOW_MS = 1;
/** A plausible request limit to show in `x-ratelimit-*` headers of an injected 429 when no real limit is set. */
const NOMINAL_RPM = 500;

const JSON_TYPE = 'application/json';

function round3(ms: number): string {
  return String(Math.round(ms * 1000) / 1000);
}

/** OpenAI's reset format: `250ms`, `1.5s`, `2m3s`. */
function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${Math.round(seconds * 1000) / 1000}s`;
  return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s`;
}

function isoAfter(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}

/** One in-flight response's timers, cleared when the response closes for any reason. */
class Timers {
  private readonly handles = new Set<NodeJS.Timeout>();

  at(delayMs: number, fn: () => void): void {
    const handle = setTimeout(() => {
      this.handles.delete(handle);
      fn();
    }, delayMs);
    this.handles.add(handle);
  }

  clear(): void {
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
  }
}

class Simulator {
  private readonly profile: SimProfile;
  private readonly seed: number;
  private readonly limiter: RateLimiter;
  private readonly samples = new Map<number, number>();
  private readonly counts: Record<string, number> = { requests: 0 };
  private readonly keys = new Map<string, number>();
  private readonly served: ServedTokens = { inputTokens: 0, outputTokens: 0 };
  private nextId = 0;
  private readonly idPrefix: string;

  constructor(options: SimServerOptions) {
    this.profile = options.profile;
    this.seed = options.seed ?? 1;
    this.limiter = new RateLimiter(options.profile.limits, options.clock ?? systemClock);
    this.idPrefix = (this.seed >>> 0).toString(36);
    for (const fault of ['none', ...FAULT_KINDS, ...LIMITER_FAULTS]) this.counts[fault] = 0;
  }

  idempotencyKeys(): Map<string, number> {
    return new Map(this.keys);
  }

  stats(): Record<string, number> {
    return { ...this.counts };
  }

  servedTokens(): ServedTokens {
    return { ...this.served };
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const path = url.includes('?') ? url.slice(0, url.indexOf('?')) : url;
    if (req.method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/messages')) {
      this.readBody(req, res, path === '/v1/messages' ? 'anthropic' : 'openai');
      return;
    }
    req.resume();
    if (req.method === 'GET' && path === '/health') {
      this.sendJson(res, 200, JSON.stringify({ status: 'ok', profile: this.profile.name }));
    } else if (req.method === 'GET' && path === '/v1/models') {
      const data = this.profile.models.map((id) => ({
        id,
        object: 'model',
        created: 0,
        owned_by: 'shadowgate-sim',
      }));
      this.sendJson(res, 200, JSON.stringify({ object: 'list', data }));
    } else {
      this.sendJson(res, 404, invalidRequestBody('openai', `no route for ${req.method} ${path}`));
    }
  }

  private sendJson(
    res: ServerResponse,
    status: number,
    body: string,
    headers: OutgoingHttpHeaders = {},
  ): void {
    res.writeHead(status, {
      ...headers,
      'content-type': JSON_TYPE,
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  private readBody(req: IncomingMessage, res: ServerResponse, api: SimApi): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        this.sendJson(res, 413, invalidRequestBody(api, `request body over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      this.handleCompletion(api, req, res, text);
    });
  }

  private handleCompletion(api: SimApi, req: IncomingMessage, res: ServerResponse, bodyText: string): void {
    const id = `${this.idPrefix}-${(this.nextId++).toString(36)}`;
    const headers: OutgoingHttpHeaders = {
      'x-request-id': `req_sim_${id}`,
      'x-sim-profile': this.profile.name,
    };
    if (api === 'anthropic') headers['request-id'] = `req_sim_${id}`;
    const idempotencyKey = req.headers['idempotency-key'];
    if (typeof idempotencyKey === 'string') {
      headers['x-sim-idempotency-key'] = idempotencyKey;
      this.keys.set(idempotencyKey, (this.keys.get(idempotencyKey) ?? 0) + 1);
    }

    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      this.sendJson(res, 400, invalidRequestBody(api, 'the request body is not valid JSON'), headers);
      return;
    }
    const request = api === 'openai' ? parseChatCompletionsRequest(body) : parseMessagesRequest(body);
    if (typeof request === 'string') {
      this.sendJson(res, 400, invalidRequestBody(api, request), headers);
      return;
    }
    const forced = req.headers[FORCE_FAULT_HEADER];
    let forcedFault: FaultKind | 'none' | undefined;
    if (typeof forced === 'string') {
      if (forced !== 'none' && !isFaultKind(forced)) {
        const message = `${FORCE_FAULT_HEADER}: unknown fault '${forced}' (one of none, ${FAULT_KINDS.join(', ')})`;
        this.sendJson(res, 400, invalidRequestBody(api, message), headers);
        return;
      }
      forcedFault = forced;
    }
    this.counts.requests = (this.counts.requests ?? 0) + 1;

    if (this.limiter.enabled) {
      const tokenCost = request.promptTokens + (request.maxTokens ?? this.profile.output.medianTokens);
      const decision = this.limiter.take(tokenCost);
      Object.assign(headers, this.limitHeaders(api, this.limiter.snapshot()));
      if (!decision.ok) {
        this.count(decision.fault);
        Object.assign(headers, this.retryHeaders(decision.retryAfterMs), {
          'x-sim-fault': decision.fault,
          'x-sim-latency-ms': '0',
          'x-sim-ttft-ms': '0',
        });
        const message = `Rate limit reached (simulated ${decision.fault === 'limit-rpm' ? 'requests' : 'tokens'} per minute).`;
        const errorBody =
          api === 'openai' ? openaiErrorBody('limit', message) : anthropicErrorBody('limit', message);
        this.sendJson(res, 429, errorBody, headers);
        return;
      }
    }

    const key = promptKey(request);
    const sample = this.samples.get(key) ?? 0;
    this.samples.set(key, sample + 1);
    const plan = planResponse(this.profile, this.seed, request, sample, forcedFault);
    this.count(plan.fault);
    if (BILLED_FAULTS.has(plan.fault)) {
      this.served.inputTokens += plan.promptTokens;
      // A whole answer is generated before its body goes out; a stream counts its pieces as written.
      if (!request.stream && plan.fault !== 'hang') this.served.outputTokens += plan.completionTokens;
    }

    Object.assign(headers, {
      'x-sim-fault': plan.fault,
      'x-sim-latency-ms': Number.isFinite(plan.latencyMs) ? round3(plan.latencyMs) : 'inf',
      'x-sim-ttft-ms': round3(plan.fault === '429' ? 0 : plan.ttftMs),
      'x-sim-tpot-ms': round3(plan.tpotMs),
      'x-sim-sample': String(sample),
      'x-sim-content': plan.answer.kind,
      'x-sim-output-tokens': String(plan.completionTokens),
    });
    if (plan.answer.varied) headers['x-sim-varied'] = '1';
    if (plan.fault === '429') Object.assign(headers, this.injected429Headers(api, plan.retryAfterMs));
    const misreport: string[] = [];
    if (this.profile.misreport.model) misreport.push('model');
    if ((this.profile.misreport.promptTokenFactor ?? 1) !== 1) misreport.push('prompt-tokens');
    if (misreport.length > 0) headers['x-sim-misreport'] = misreport.join(',');

    const ids: ResponseIds = {
      id: api === 'openai' ? `chatcmpl-sim-${id}` : `msg_sim_${id}`,
      toolCallId: api === 'openai' ? `call_sim_${id}` : `toolu_sim_${id}`,
      created: Math.floor(Date.now() / 1000),
    };
    new ResponsePlayer(res, api, request, plan, ids, headers, (pieces) => {
      this.served.outputTokens += pieces;
    }).play();
  }

  private count(fault: SimFault): void {
    this.counts[fault] = (this.counts[fault] ?? 0) + 1;
  }

  private limitHeaders(api: SimApi, s: LimitSnapshot): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = {};
    if (s.limitRequests > 0) {
      out['x-ratelimit-limit-requests'] = String(s.limitRequests);
      out['x-ratelimit-remaining-requests'] = String(s.remainingRequests);
      out['x-ratelimit-reset-requests'] = formatReset(s.resetRequestsMs);
      if (api === 'anthropic') {
        out['anthropic-ratelimit-requests-limit'] = String(s.limitRequests);
        out['anthropic-ratelimit-requests-remaining'] = String(s.remainingRequests);
        out['anthropic-ratelimit-requests-reset'] = isoAfter(s.resetRequestsMs);
      }
    }
    if (s.limitTokens > 0) {
      out['x-ratelimit-limit-tokens'] = String(s.limitTokens);
      out['x-ratelimit-remaining-tokens'] = String(s.remainingTokens);
      out['x-ratelimit-reset-tokens'] = formatReset(s.resetTokensMs);
      if (api === 'anthropic') {
        out['anthropic-ratelimit-tokens-limit'] = String(s.limitTokens);
        out['anthropic-ratelimit-tokens-remaining'] = String(s.remainingTokens);
        out['anthropic-ratelimit-tokens-reset'] = isoAfter(s.resetTokensMs);
      }
    }
    return out;
  }

  /** Retry hints as the profile asks: `Retry-After` in whole seconds (rounded up) and/or `retry-after-ms`. */
  private retryHeaders(retryAfterMs: number): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = {};
    const which = this.profile.retryAfterHeaders;
    if (which === 'seconds' || which === 'both') out['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
    if (which === 'ms' || which === 'both') out['retry-after-ms'] = String(Math.ceil(retryAfterMs));
    return out;
  }

  /** The `x-ratelimit-*` headers of an injected 429 (an exhausted budget, not the real limiter's state). */
  private injected429Headers(api: SimApi, retryAfterMs: number): OutgoingHttpHeaders {
    const limit = this.profile.limits.requestsPerMinute || NOMINAL_RPM;
    const headers: OutgoingHttpHeaders = {
      ...this.retryHeaders(retryAfterMs),
      'x-ratelimit-limit-requests': String(limit),
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': formatReset(retryAfterMs),
    };
    if (api === 'anthropic') {
      headers['anthropic-ratelimit-requests-limit'] = String(limit);
      headers['anthropic-ratelimit-requests-remaining'] = '0';
      headers['anthropic-ratelimit-requests-reset'] = isoAfter(retryAfterMs);
    }
    return headers;
  }
}

/** Plays one planned response onto the wire, on timers measured from when the request was read. */
class ResponsePlayer {
  private readonly startMs = performance.now();
  private readonly timers = new Timers();

  constructor(
    private readonly res: ServerResponse,
    private readonly api: SimApi,
    private readonly request: SimRequest,
    private readonly plan: ResponsePlan,
    private readonly ids: ResponseIds,
    private readonly headers: OutgoingHttpHeaders,
    /** Answer pieces (output tokens) written to the stream. */
    private readonly onPiecesWritten: (pieces: number) => void,
  ) {
    res.on('close', () => this.timers.clear());
  }

  /** Runs `fn` when `atMs` (from the start) is due: at once when it already is. */
  private at(atMs: number, fn: () => void): void {
    const delay = this.startMs + atMs - performance.now();
    if (delay <= 0 || atMs <= 0) fn();
    else this.timers.at(delay, fn);
  }

  play(): void {
    const { plan, res } = this;
    const fault = plan.fault;
    switch (fault) {
      case 'hang':
        return; // Nothing is ever sent; the socket is freed when the client gives up or the server closes.
      case 'reset':
        this.at(plan.ttftMs, () => res.socket?.resetAndDestroy());
        return;
      case '429':
        this.sendError('429');
        return;
      case '500':
      case '502':
      case '503':
      case '504':
      case '529':
        this.at(plan.ttftMs, () => this.sendError(fault));
        return;
      case 'html':
        this.at(plan.ttftMs, () => {
          res.writeHead(200, {
            ...this.headers,
            'content-type': 'text/html; charset=utf-8',
            'content-length': Buffer.byteLength(HTML_ERROR_PAGE),
          });
          res.end(HTML_ERROR_PAGE);
        });
        return;
    }
    if (this.request.stream) this.playStream();
    else this.playJson();
  }

  private sendError(fault: keyof typeof HTTP_ERROR_FAULTS): void {
    const body = this.api === 'openai' ? openaiErrorBody(fault) : anthropicErrorBody(fault);
    this.res.writeHead(HTTP_ERROR_FAULTS[fault].status, {
      ...this.headers,
      'content-type': JSON_TYPE,
      'content-length': Buffer.byteLength(body),
    });
    this.res.end(body);
  }

  private playJson(): void {
    const { plan, res } = this;
    const withUsage = plan.fault !== 'missing-usage';
    const full =
      this.api === 'openai'
        ? openaiCompletionBody(plan, this.ids, withUsage)
        : anthropicMessageBody(plan, this.ids, withUsage);
    const partial = full.slice(0, Math.max(1, Math.floor(full.length / 2)));
    switch (plan.fault) {
      case 'stall':
        // Headers and half the body, then silence: no content-length, so the client waits for more.
        this.at(plan.latencyMs, () => {
          res.writeHead(200, { ...this.headers, 'content-type': JSON_TYPE });
          res.write(partial);
        });
        return;
      case 'cutoff':
        // The full length is promised, half is sent, then the connection drops.
        this.at(plan.latencyMs, () => {
          res.writeHead(200, {
            ...this.headers,
            'content-type': JSON_TYPE,
            'content-length': Buffer.byteLength(full),
          });
          res.write(partial, () => res.socket?.destroy());
        });
        return;
      case 'malformed-json':
        this.at(plan.latencyMs, () => {
          res.writeHead(200, {
            ...this.headers,
            'content-type': JSON_TYPE,
            'content-length': Buffer.byteLength(partial),
          });
          res.end(partial);
        });
        return;
      default:
        this.at(plan.latencyMs, () => {
          res.writeHead(200, {
            ...this.headers,
            'content-type': JSON_TYPE,
            'content-length': Buffer.byteLength(full),
          });
          res.end(full);
        });
    }
  }

  private playStream(): void {
    const { plan, res } = this;
    const fault = plan.fault;
    const brokenPiece = fault === 'malformed-json' ? plan.faultAfterPieces - 1 : -1;
    const withUsage = fault !== 'missing-usage' && this.request.includeUsage;
    let events =
      this.api === 'openai'
        ? openaiStreamEvents(plan, this.ids, { withUsage, brokenPiece })
        : anthropicStreamEvents(plan, this.ids, { withUsage, brokenPiece });
    const stops = fault === 'stall' || fault === 'cutoff';
    if (stops) {
      const lastPiece = plan.faultAfterPieces - 1;
      events = events.slice(0, events.findIndex((e) => e.piece === lastPiece) + 1);
    }
    res.writeHead(200, {
      ...this.headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    });
    const groups = groupEvents(events);
    // Headers go out at once, as real APIs send them before the first token; unpaced streams save the extra write.
    if ((groups[0]?.atMs ?? 0) > 0) res.flushHeaders();
    // One group at a time: timers with different fractional delays may fire out of order,
    // which would put the usage chunk and [DONE] before the content, or write after end().
    const playFrom = (i: number): void => {
      const group = groups[i];
      if (!group) return;
      this.at(group.atMs, () => {
        if (res.writableEnded || res.destroyed) return;
        if (group.pieces > 0) this.onPiecesWritten(group.pieces);
        if (i === groups.length - 1) {
          if (fault !== 'stall') res.end(group.text);
          else res.write(group.text);
          return;
        }
        res.write(group.text);
        playFrom(i + 1);
      });
    };
    playFrom(0);
  }
}

/** Coalesces events due within BATCH_WINDOW_MS of a group's first one into one write. */
function groupEvents(events: TimedEvent[]): { atMs: number; text: string; pieces: number }[] {
  const groups: { atMs: number; text: string; pieces: number }[] = [];
  for (const event of events) {
    const piece = event.piece >= 0 ? 1 : 0;
    const current = groups[groups.length - 1];
    if (current && event.atMs - current.atMs < BATCH_WINDOW_MS) {
      current.text += event.text;
      current.pieces += piece;
    } else groups.push({ atMs: event.atMs, text: event.text, pieces: piece });
  }
  return groups;
}

/**
 * Starts a simulated provider on a loopback port. Resolves once listening;
 * `close()` drops every connection, including hung and stalled ones.
 */
export async function startSimServer(options: SimServerOptions): Promise<SimServer> {
  const sim = new Simulator(options);
  const server = createServer({ keepAlive: true }, (req, res) => sim.handle(req, res));
  server.keepAliveTimeout = 60_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    stats: () => sim.stats(),
    idempotencyKeys: () => sim.idempotencyKeys(),
    servedTokens: () => sim.servedTokens(),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
