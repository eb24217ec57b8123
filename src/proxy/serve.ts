/**
 * Serving one inbound request from one provider: the model mapped, the
 * provider's headers, the retry engine up to the first byte, then the answer
 * relayed with `x-shadowgate-overhead-ms`, and the served path's metrics.
 */
import type { ServerResponse } from 'node:http';
import { resolveModel } from '../config/resolve-model.js';
import type { ModelConfig } from '../config/types.js';
import { attemptTimeoutForModel } from '../retry/policy.js';
import type { Clock, Rng } from '../shared/clock.js';
import { AnswerTap, type TappedAnswer } from './answer-tap.js';
import type { InboundRequest } from './inbound.js';
import type { ProxyMetrics } from './metrics.js';
import {
  type OpenedAnswer,
  type OpenResult,
  openAnswer,
  type PassTarget,
  proxyErrorBody,
  proxyErrorStatus,
  type RelayResult,
  relayAnswer,
  relayError,
} from './pass-through.js';
import { upstreamHeaders } from './upstream.js';

/** Response header with the proxy's own time for this answer, ms. */
export const OVERHEAD_HEADER = 'x-shadowgate-overhead-ms';

export interface ServeContext {
  clock: Clock;
  rng: Rng;
  metrics: ProxyMetrics;
  /** Aborted when the drain's grace period ends. */
  signal: AbortSignal;
}

export interface OpenedFrom {
  opened: OpenResult;
  model: string;
  prices: ModelConfig | null;
  openStartMono: number;
  /** clock.monotonic() when the engine returned. */
  openEndMono: number;
}

export interface ServeOutcome extends OpenedFrom {
  relay: RelayResult | null;
  tap: TappedAnswer | null;
}

/** Sends the request to `target` until a 2xx answer's headers (or the engine gives up). Nothing is written to the client. */
export async function openFrom(
  ctx: ServeContext,
  target: PassTarget,
  inbound: InboundRequest,
  passThroughAuth: boolean,
): Promise<OpenedFrom> {
  const { model, prices } = resolveModel(target.upstream.provider, inbound.model);
  const body =
    model === inbound.model ? inbound.body : Buffer.from(JSON.stringify({ ...inbound.json, model }), 'utf8');
  const openStartMono = ctx.clock.monotonic();
  const opened = await openAnswer(
    target,
    {
      api: inbound.api,
      body,
      headers: upstreamHeaders(target.upstream, inbound.headers, passThroughAuth),
      stream: inbound.stream,
      attemptTimeoutMs: attemptTimeoutForModel(target.policy, prices),
    },
    { clock: ctx.clock, rng: ctx.rng, signal: ctx.signal },
  );
  return { opened, model, prices, openStartMono, openEndMono: ctx.clock.monotonic() };
}

/**
 * Writes what `openFrom` got to the client: the answer relayed chunk by
 * chunk (read on the side when `tap`), the provider's error answer as it was,
 * or the proxy's own error when no provider answered.
 */
export async function relayFrom(
  ctx: ServeContext,
  from: OpenedFrom,
  inbound: InboundRequest,
  res: ServerResponse,
  arm: 'baseline' | 'candidate',
  tap: boolean,
  extraHeaders: Record<string, string> = {},
  /** Where the proxy's own time before this open starts: the body read, or a failed candidate's end (a fallback). */
  sinceMono: number = inbound.readAtMono,
): Promise<ServeOutcome> {
  const { clock, metrics } = ctx;
  const { opened } = from;
  const labels = { arm, path: 'served' } as const;
  metrics.requests.inc(labels);
  const before = from.openStartMono - sinceMono;
  if (!opened.ok) {
    const overheadMs = before + (clock.monotonic() - from.openEndMono);
    const headers = { ...extraHeaders, [OVERHEAD_HEADER]: formatMs(overheadMs) };
    if (opened.response) relayError(opened.response, res, headers);
    else {
      const body = proxyErrorBody(inbound.api, opened.errorClass, opened.failure.message);
      res.writeHead(proxyErrorStatus(opened.errorClass), {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      });
      res.end(body);
    }
    metrics.errors.inc({ ...labels, error_class: opened.errorClass });
    metrics.latency.observe(labels, (clock.monotonic() - from.openStartMono) / 1000);
    metrics.overhead.observe({}, overheadMs / 1000);
    return { ...from, relay: null, tap: null };
  }
  const now = () => clock.monotonic();
  const answerTap = tap ? new AnswerTap(inbound.api, isEventStream(opened), now) : null;
  let overheadMs = 0;
  const relay = await relayAnswer(
    opened,
    res,
    () => {
      overheadMs = before + (now() - opened.headersAtMono);
      return { ...extraHeaders, [OVERHEAD_HEADER]: formatMs(overheadMs) };
    },
    now,
    answerTap ? (chunk) => answerTap.push(chunk) : null,
  );
  metrics.overhead.observe({}, overheadMs / 1000);
  metrics.latency.observe(labels, (relay.endAtMono - from.openStartMono) / 1000);
  if (inbound.stream && relay.firstChunkAtMono !== null)
    metrics.ttft.observe(labels, (relay.firstChunkAtMono - from.openStartMono) / 1000);
  if (!relay.complete) metrics.errors.inc({ ...labels, error_class: 'stream_interrupted' });
  return { ...from, relay, tap: answerTap ? answerTap.result() : null };
}

export function isEventStream(opened: OpenedAnswer): boolean {
  const type = opened.headers['content-type'];
  return typeof type === 'string' && type.includes('text/event-stream');
}

function formatMs(ms: number): string {
  return String(Math.max(0, Math.round(ms * 1000) / 1000));
}
