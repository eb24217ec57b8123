/**
 * The proxy's HTTP server: the API routes handed to the mode, `/health` and
 * `/metrics`, the inbound token check, and the drain on shutdown (stop
 * accepting, let answers in flight finish within the grace period, then drop
 * what is left, flush the store).
 */
import { timingSafeEqual } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExperimentConfig } from '../config/types.js';
import { preloadTokenizer } from '../providers/usage.js';
import type { Clock, Rng } from '../shared/clock.js';
import { UsageError } from '../shared/errors.js';
import { parseDbLocation } from '../store/db-url.js';
import { type OpenRunWriter, openRunWriter } from '../store/open-run-writer.js';
import { API_ROUTES, InboundError, type InboundRequest, parseInbound, readBody } from './inbound.js';
import { LiveRun } from './live-run.js';
import { ProxyMetrics } from './metrics.js';
import { MirrorQueue } from './mirror-queue.js';
import { proxyErrorBody } from './pass-through.js';
import type { ProxyOptions } from './proxy-options.js';
import { ProxyTargets } from './proxy-targets.js';
import { RecordMode } from './record-mode.js';
import { RolloutMode } from './rollout-mode.js';
import type { ServeContext } from './serve.js';
import { ShadowMode } from './shadow-mode.js';
import type { WireApi } from './upstream.js';

export interface ProxyDeps {
  clock: Clock;
  rng: Rng;
  env: Record<string, string | undefined>;
  /** One line per event worth an operator's eye; never a key or prompt text. */
  log?: (line: string) => void;
}

export interface ProxyServer {
  /** `http://HOST:PORT`; clients use `${url}/v1` as their base URL. */
  url: string;
  host: string;
  port: number;
  metrics: ProxyMetrics;
  /** The live shadow run's id (shadow mode). */
  runId: string | null;
  /**
   * Stops accepting, waits up to `graceMs` for answers and mirrors in flight (less if `cutNow` aborts
   * first: a second Ctrl-C), then closes everything.
   */
  close(cutNow?: AbortSignal): Promise<{ drained: boolean; inFlightDropped: number }>;
}

interface ModeHandler {
  handle(inbound: InboundRequest, res: ServerResponse): Promise<void>;
  /** The rollout percentage in force, for /metrics. */
  percentage?(): number | null;
  /** 1/0: this replica holds the gate lock, for /metrics; null when nothing leads. */
  leader?(): number | null;
  /** What /health adds under `rollout`. */
  health?(): Record<string, unknown>;
  close?(): void | Promise<void>;
}

export async function startProxy(
  options: ProxyOptions,
  config: ExperimentConfig,
  deps: ProxyDeps,
): Promise<ProxyServer> {
  const { clock } = deps;
  const log = deps.log ?? (() => {});
  // Before the first request: loaded on the first usage estimate, it would stall every stream in flight.
  preloadTokenizer();
  let inboundToken: Buffer | null = null;
  if (options.authEnv) {
    const v = deps.env[options.authEnv];
    if (!v) throw new UsageError(`--auth-env: environment variable ${options.authEnv} is not set`);
    inboundToken = Buffer.from(v, 'utf8');
  }
  const baselineApi: WireApi = config.providers.baseline.kind;
  const targets = new ProxyTargets(config, {
    connections: options.connections,
    mirrorConnections: options.mirrorConcurrency * (options.replica > 0 ? 2 : 1),
    env: deps.env,
    clock,
  });
  const abortAll = new AbortController();
  // One listener per request in flight (the retry engine's), by design: no leak warning.
  setMaxListeners(0, abortAll.signal);
  const queue = new MirrorQueue(
    {
      concurrency: options.mirrorConcurrency,
      capacity: options.mirrorQueue,
      maxBytes: options.mirrorQueueBytes,
    },
    (err) => log(`mirror failed: ${(err as Error).message}`),
  );
  let inFlight = 0;
  let mode: ModeHandler | null = null;
  const metrics = new ProxyMetrics({
    mirrorQueueDepth: () => queue.depth,
    mirrorQueueBytes: () => queue.heldBytes,
    mirrorInFlight: () => queue.inFlight,
    inFlight: () => inFlight,
    percentage: () => mode?.percentage?.() ?? null,
    leader: () => mode?.leader?.() ?? null,
    shed: () => ({ ...queue.shed }),
  });
  const ctx: ServeContext = { clock, rng: deps.rng, metrics, signal: abortAll.signal };

  let store: OpenRunWriter | null = null;
  let run: LiveRun | null = null;
  try {
    if (options.mode === 'shadow') {
      const location = parseDbLocation(options.dbPath, process.cwd());
      store = await openRunWriter(location);
      run = await LiveRun.open(
        store.writer,
        config,
        {
          label: options.label,
          redact: options.redact,
          seed: options.seed,
          mirrorBudgetUsd: options.mirrorBudgetUsd,
          optionsJson: JSON.stringify(storedOptions(options)),
          onStoreError: (op, err) => {
            metrics.storeErrors.inc({ op });
            log(`writing the live run to ${store?.label ?? 'the store'} failed: ${(err as Error).message}`);
          },
          ...(location.kind === 'postgres'
            ? {
                reopen: async () => {
                  const next = await openRunWriter(location);
                  const old = store;
                  store = next;
                  void old?.close().catch(() => {});
                  log(`live run: writing to ${next.label} again, on a new connection`);
                  return next.writer;
                },
              }
            : {}),
        },
        clock,
        deps.rng,
        abortAll.signal,
      );
      mode = new ShadowMode({
        ctx,
        targets,
        queue,
        run,
        rng: deps.rng,
        mirror: options.mirror,
        replica: options.replica,
        mirrorMaxBytes: options.mirrorMaxBytes,
        seed: options.seed,
        redact: options.redact,
        passThroughAuth: options.passThroughAuth,
      });
    } else if (options.mode === 'record') {
      if (!options.record) throw new UsageError('record mode needs --record FILE');
      mode = new RecordMode({
        ctx,
        targets,
        record: options.record,
        rng: deps.rng,
        passThroughAuth: options.passThroughAuth,
      });
    } else {
      if (!options.rollout) throw new UsageError('rollout mode needs --rollout ID or --state-file FILE');
      mode = await RolloutMode.start({
        ctx,
        targets,
        rollout: options.rollout,
        db: parseDbLocation(options.dbPath, process.cwd()),
        passThroughAuth: options.passThroughAuth,
        log,
      });
    }
  } catch (err) {
    await targets.close(true);
    await store?.close().catch(() => {});
    throw err;
  }
  const handler = mode;

  let draining = false;
  /** Resolved when no client request is in flight (the drain waits on them). */
  const idleWaiters: (() => void)[] = [];
  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    void onRequest(req, res);
  });
  server.keepAliveTimeout = 65_000;
  // Long streams: never cut a request for taking long (the providers' timeouts apply).
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const path = url.includes('?') ? url.slice(0, url.indexOf('?')) : url;
    if (draining) res.setHeader('connection', 'close');
    const api = req.method === 'POST' ? API_ROUTES[path] : undefined;
    if (api === undefined) {
      req.resume();
      if (req.method === 'GET' && path === '/health') {
        sendJson(
          res,
          draining ? 503 : 200,
          JSON.stringify({
            status: draining ? 'draining' : 'ok',
            mode: options.mode,
            run_id: run?.runId ?? null,
            ...(handler.health ? { rollout: handler.health() } : {}),
          }),
        );
      } else if (req.method === 'GET' && path === '/metrics') {
        const text = metrics.render();
        res.writeHead(200, {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
          'content-length': String(Buffer.byteLength(text)),
        });
        res.end(text);
      } else {
        sendJson(res, 404, proxyErrorBody('openai', 'not_found', `no route for ${req.method} ${path}`));
      }
      return;
    }
    if (inboundToken && !authorized(req, inboundToken)) {
      req.resume();
      metrics.inbound.inc({ route: path, status: '401' });
      sendJson(res, 401, proxyErrorBody(api, 'unauthorized', 'missing or wrong proxy token'));
      return;
    }
    if (draining) {
      req.resume();
      metrics.inbound.inc({ route: path, status: '503' });
      sendJson(res, 503, proxyErrorBody(api, 'draining', 'the proxy is shutting down'));
      return;
    }
    inFlight++;
    try {
      const body = await readBody(req, options.maxBodyBytes);
      const inbound = parseInbound(api, body, req.headers, clock.now(), clock.monotonic());
      if (api !== baselineApi)
        throw new InboundError(
          404,
          `${path} is not served: the baseline provider speaks the ${baselineApi === 'openai' ? 'OpenAI Chat Completions' : 'Anthropic Messages'} API`,
        );
      await handler.handle(inbound, res);
      metrics.inbound.inc({ route: path, status: String(res.statusCode) });
    } catch (err) {
      const status = err instanceof InboundError ? err.status : 500;
      metrics.inbound.inc({ route: path, status: String(status) });
      if (!(err instanceof InboundError)) log(`internal error: ${(err as Error).message}`);
      if (!res.headersSent)
        sendJson(
          res,
          status,
          proxyErrorBody(api, status === 500 ? 'internal' : 'invalid_request', (err as Error).message),
        );
      else res.destroy();
    } finally {
      inFlight--;
      if (inFlight === 0) for (const w of idleWaiters.splice(0)) w();
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err) => {
    await Promise.resolve(handler.close?.()).catch(() => {});
    await targets.close(true);
    await run?.finish('failed').catch(() => {});
    await store?.close().catch(() => {});
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
      throw new UsageError(`cannot listen on ${options.host}:${options.port} (${code})`);
    throw err;
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;

  let closing: Promise<{ drained: boolean; inFlightDropped: number }> | null = null;
  const close = (cutNow?: AbortSignal) => {
    closing ??= (async () => {
      draining = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const idle = inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r));
      const graceOver = new Promise<'timeout'>((r) => {
        const t = setTimeout(() => r('timeout'), options.graceMs);
        t.unref();
        if (cutNow?.aborted) r('timeout');
        else cutNow?.addEventListener('abort', () => r('timeout'), { once: true });
      });
      const servedInTime = (await Promise.race([idle.then(() => 'idle' as const), graceOver])) === 'idle';
      // Mirrors waiting in the queue are dropped; those running get what is left of the grace period.
      queue.clear();
      const mirrorsInTime =
        servedInTime &&
        (await Promise.race([queue.idle().then(() => 'idle' as const), graceOver])) === 'idle';
      const dropped = inFlight;
      abortAll.abort(new Error('proxy shutting down'));
      server.closeAllConnections();
      await Promise.race([queue.idle(), new Promise((r) => setTimeout(r, 1000).unref())]);
      await closed;
      await Promise.resolve(handler.close?.()).catch((err) => log(`closing: ${(err as Error).message}`));
      await targets.close(!(servedInTime && mirrorsInTime));
      if (run)
        await run.finish('completed').catch((err) => {
          metrics.storeErrors.inc({ op: 'finish_run' });
          log(`marking the live run finished failed: ${(err as Error).message}`);
        });
      await store?.close().catch((err) => log(`closing the store failed: ${(err as Error).message}`));
      return { drained: servedInTime && mirrorsInTime, inFlightDropped: dropped };
    })();
    return closing;
  };

  return {
    url: `http://${urlHost}:${port}`,
    host: options.host,
    port,
    metrics,
    runId: run?.runId ?? null,
    close,
  };
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/** `Authorization: Bearer TOKEN` or `x-api-key: TOKEN` (what the OpenAI and Anthropic SDKs send). */
function authorized(req: IncomingMessage, token: Buffer): boolean {
  const auth = req.headers.authorization;
  const presented =
    typeof auth === 'string' && /^bearer\s+/i.test(auth)
      ? auth.replace(/^bearer\s+/i, '')
      : typeof req.headers['x-api-key'] === 'string'
        ? req.headers['x-api-key']
        : null;
  if (presented === null) return false;
  const given = Buffer.from(presented, 'utf8');
  return given.length === token.length && timingSafeEqual(given, token);
}

/** The options stored with the live run: no secrets (the auth env var's name at most). */
function storedOptions(o: ProxyOptions): Record<string, unknown> {
  return {
    source: 'proxy',
    mode: o.mode,
    mirror: o.mirror,
    replica: o.replica,
    mirror_concurrency: o.mirrorConcurrency,
    mirror_queue: o.mirrorQueue,
    mirror_max_bytes: o.mirrorMaxBytes,
    mirror_queue_bytes: o.mirrorQueueBytes,
    mirror_budget_usd: o.mirrorBudgetUsd,
    redact: o.redact,
    seed: o.seed,
  };
}
