/**
 * A loopback HTTP server scripted per test: one handler, port 0, every socket
 * destroyed on close so a handler that hangs cannot keep the test alive.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ScriptedServer {
  baseUrl: string;
  /** Every request received so far, body read in full. */
  requests: ReceivedRequest[];
  /** TCP connections accepted so far (keep-alive reuse shows here). */
  connections(): number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

export async function startScriptedServer(handler: Handler): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  const requests: ReceivedRequest[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      void handler(req, res, body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    connections++;
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes an SSE stream of `data:` events (JSON-encoded unless a string), then ends. */
export function sseBody(events: (unknown | string)[], done = true): string {
  let out = '';
  for (const e of events) out += `data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`;
  if (done) out += 'data: [DONE]\n\n';
  return out;
}

/** An OpenAI chat.completion.chunk with a content delta. */
export function contentChunk(content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    model: 'served-model',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
    ...extra,
  };
}
