/**
 * The raw side of a provider, for passing answers through as they are: one
 * undici Pool per provider, the provider's own auth and headers (never the
 * client's), and the path of each inbound route on the provider's base URL.
 */
import { Pool } from 'undici';
import type { ProviderConfig } from '../config/types.js';
import { DEFAULT_ANTHROPIC_VERSION } from '../providers/anthropic-messages.js';
import { UsageError } from '../shared/errors.js';

/** The wire protocol an inbound route speaks: the provider kinds. */
export type WireApi = 'openai' | 'anthropic';

/** Client request headers passed on to the baseline (an allowlist: everything else stays at the proxy). */
export const FORWARDED_REQUEST_HEADERS: readonly string[] = [
  'accept',
  'user-agent',
  'openai-beta',
  'anthropic-beta',
  'idempotency-key',
];

/** Client headers that carry credentials: forwarded to the baseline only with --pass-through-auth. */
export const CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'x-api-key'];

/** Response headers that describe one hop, not the answer: not copied to the client. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
]);

export interface UpstreamOptions {
  /** Most connections to this provider. */
  connections: number;
  /** Connect timeout, ms (a property of the pool's connector). */
  connectTimeoutMs: number;
  env: Record<string, string | undefined>;
}

export class Upstream {
  readonly provider: ProviderConfig;
  readonly api: WireApi;
  /** Sent on every request: content-type, the provider's key and version, its config headers. */
  readonly headers: Record<string, string>;
  /** Scrubbed from anything that reaches errors or logs. */
  readonly apiKey: string | null;
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly search: string;

  constructor(provider: ProviderConfig, o: UpstreamOptions) {
    this.provider = provider;
    this.api = provider.kind;
    let apiKey: string | null = null;
    if (provider.apiKeyEnv) {
      const value = o.env[provider.apiKeyEnv];
      if (value === undefined || value.length === 0)
        throw new UsageError(
          `provider ${provider.name}: environment variable ${provider.apiKeyEnv} is not set (it should hold the API key)`,
        );
      apiKey = value;
    }
    this.apiKey = apiKey;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...provider.headers };
    if (provider.kind === 'anthropic') {
      headers['anthropic-version'] = provider.anthropicVersion || DEFAULT_ANTHROPIC_VERSION;
      if (apiKey !== null) headers['x-api-key'] = apiKey;
    } else if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
    this.headers = headers;
    const url = new URL(provider.baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.search = url.search;
    this.pool = new Pool(url.origin, {
      connections: Math.max(1, Math.floor(o.connections)),
      pipelining: 1,
      connect: { timeout: o.connectTimeoutMs },
      maxResponseSize: provider.maxResponseBytes > 0 ? provider.maxResponseBytes : -1,
    });
  }

  /** The provider path of a route: `/chat/completions` or `/messages` under the base URL. */
  pathFor(api: WireApi): string {
    return `${this.basePath}${api === 'openai' ? '/chat/completions' : '/messages'}${this.search}`;
  }

  get dispatcher(): Pool {
    return this.pool;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** Drops every connection now (the drain's grace period is over). */
  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}

/**
 * The headers one pass-through request carries: the allowlisted client
 * headers, then the provider's own (its key wins over anything the client
 * sent). With `passThroughAuth`, the client's credentials go instead of the
 * provider's key (baseline only).
 */
export function upstreamHeaders(
  upstream: Upstream,
  inbound: Record<string, string | string[] | undefined>,
  passThroughAuth: boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const v = inbound[name];
    if (typeof v === 'string') out[name] = v;
  }
  Object.assign(out, upstream.headers);
  if (passThroughAuth) {
    const own = CREDENTIAL_HEADERS.filter((name) => typeof inbound[name] === 'string');
    // The client's credentials replace the configured key, never sit next to it.
    if (own.length > 0) for (const name of CREDENTIAL_HEADERS) delete out[name];
    for (const name of own) out[name] = inbound[name] as string;
  }
  return out;
}
