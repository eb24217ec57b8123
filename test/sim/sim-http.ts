import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** What a raw HTTP call saw, however it ended. */
export interface RawResult {
  status: number | null;
  headers: IncomingHttpHeaders;
  body: string;
  /** Body chunks as they arrived. */
  chunks: string[];
  /** The response finished normally. */
  ended: boolean;
  /** The request or response failed (reset, premature close). */
  error: Error | null;
  /** Nothing more happened within `timeoutMs` (hang, stall). */
  timedOut: boolean;
  /** ms from sending to the response headers, and to the first body chunk. */
  headersMs: number | null;
  firstChunkMs: number | null;
}

/**
 * A raw call on a fresh connection (no pool, so a reset or hang cannot leak
 * into another test). Resolves on end, error or timeout; never rejects.
 */
export function rawCall(
  baseUrl: string,
  path: string,
  options: { method?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RawResult> {
  const url = new URL(baseUrl.replace(/\/v1$/, '') + path);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const started = performance.now();
  const result: RawResult = {
    status: null,
    headers: {},
    body: '',
    chunks: [],
    ended: false,
    error: null,
    timedOut: false,
    headersMs: null,
    firstChunkMs: null,
  };
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      result.timedOut = true;
      finish();
    }, options.timeoutMs ?? 2000);
    const req = httpRequest(
      url,
      {
        method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
        agent: false,
        headers: { 'content-type': 'application/json', ...options.headers },
      },
      (res) => {
        result.status = res.statusCode ?? null;
        result.headers = res.headers;
        result.headersMs = performance.now() - started;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          result.firstChunkMs ??= performance.now() - started;
          result.chunks.push(chunk);
          result.body += chunk;
        });
        res.on('end', () => {
          result.ended = true;
          finish();
        });
        res.on('error', (err) => {
          result.error = err;
          finish();
        });
        res.on('aborted', () => {
          result.error ??= new Error('aborted');
        });
      },
    );
    req.on('error', (err) => {
      result.error ??= err;
      finish();
    });
    req.end(payload);
  });
}

/** An OpenAI SSE body's `data:` payloads: parsed chunks, whether `[DONE]` came last, and lines that did not parse. */
export function sseData(body: string): {
  // biome-ignore lint/suspicious/noExplicitAny: tests poke into chunk shapes freely
  chunks: Record<string, any>[];
  done: boolean;
  unparseable: string[];
} {
  const lines = body
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => line.slice(6));
  const out = {
    chunks: [] as Record<string, unknown>[],
    done: lines.at(-1) === '[DONE]',
    unparseable: [] as string[],
  };
  for (const data of lines) {
    if (data === '[DONE]') continue;
    try {
      out.chunks.push(JSON.parse(data));
    } catch {
      out.unparseable.push(data);
    }
  }
  return out;
}

/** Anthropic SSE events as `{ event, data }`. */
export function sseEvents(body: string): { event: string; data: Record<string, unknown> }[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
      return { event, data: JSON.parse(data) };
    });
}
