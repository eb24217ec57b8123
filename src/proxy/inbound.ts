/**
 * An inbound API request, read and checked once: its route's protocol, its
 * body as bytes (sent on unchanged unless a model is mapped) and as JSON.
 */
import type { IncomingMessage } from 'node:http';
import type { WireApi } from './upstream.js';

export interface InboundRequest {
  api: WireApi;
  /** The body as received. */
  body: Buffer;
  json: Record<string, unknown>;
  model: string;
  stream: boolean;
  headers: IncomingMessage['headers'];
  /** clock.now() when the body was read. */
  receivedAtMs: number;
  /** clock.monotonic() when the body was read: the proxy's overhead counts from here. */
  readAtMono: number;
}

/** The routes the proxy serves, by path. */
export const API_ROUTES: Readonly<Record<string, WireApi>> = {
  '/v1/chat/completions': 'openai',
  '/v1/messages': 'anthropic',
};

export class InboundError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads the whole request body, refusing one over `maxBytes` (413). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      reject(new InboundError(413, `request body over ${maxBytes} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxBytes) chunks.push(c);
    });
    req.on('end', () => {
      if (size > maxBytes) reject(new InboundError(413, `request body over ${maxBytes} bytes`));
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** The JSON body's `model` and `stream`; an InboundError (400) when it has no model. */
export function parseInbound(
  api: WireApi,
  body: Buffer,
  headers: IncomingMessage['headers'],
  receivedAtMs: number,
  readAtMono: number,
): InboundRequest {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InboundError(400, 'the request body is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new InboundError(400, 'the request body must be a JSON object');
  const o = json as Record<string, unknown>;
  if (typeof o.model !== 'string' || o.model === '') throw new InboundError(400, 'the request has no model');
  return {
    api,
    body,
    json: o,
    model: o.model,
    stream: o.stream === true,
    headers,
    receivedAtMs,
    readAtMono,
  };
}
