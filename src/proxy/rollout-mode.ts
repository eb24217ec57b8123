/**
 * Rollout mode: each request goes where `routeFor(sticky key, percentage,
 * salt)` sends it, through the library's createRouter, so live traffic is
 * routed exactly as the rehearsal routed it. The candidate is tried first
 * for its keys; it falls back to the baseline only while nothing has reached
 * the client. The percentage is re-read from the rollout's row (every
 * `pollMs`) or from its state file, so `rollout set` and `rollout rollback`
 * take effect without a restart.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { resolveRollout } from '../rollout/rollout-state.js';
import { createRouter, type Router, type RouterState, type RouterStateSource } from '../rollout/router.js';
import { UsageError } from '../shared/errors.js';
import { openStore } from '../store/open-store.js';
import { RolloutStore } from '../store/rollout-store.js';
import type { InboundRequest } from './inbound.js';
import type { ProxyOptions } from './proxy-options.js';
import type { ProxyTargets } from './proxy-targets.js';
import { type OpenedFrom, openFrom, relayFrom, type ServeContext } from './serve.js';

/** Request header carrying the sticky key (the first place rollout mode looks, by default). */
export const STICKY_KEY_HEADER = 'x-shadowgate-key';
/** Response header naming the arm that served the answer. */
export const SERVED_ARM_HEADER = 'x-shadowgate-arm';

export interface RolloutModeSetup {
  ctx: ServeContext;
  targets: ProxyTargets;
  rollout: NonNullable<ProxyOptions['rollout']>;
  dbPath: string;
  passThroughAuth: boolean;
  log: (line: string) => void;
}

/** A failed open, carried through the router so the answer that failed can still be relayed. */
class OpenFailed extends Error {
  constructor(readonly from: OpenedFrom) {
    super(from.opened.ok ? 'ok' : from.opened.failure.message);
  }
  get errorClass(): string {
    return this.from.opened.ok ? 'ok' : this.from.opened.errorClass;
  }
}

export class RolloutMode {
  private readonly router: Router<InboundRequest, OpenedFrom>;
  private readonly closers: (() => void)[] = [];

  constructor(private readonly s: RolloutModeSetup) {
    const { targets, ctx } = s;
    if (targets.candidate.upstream.api !== targets.baseline.upstream.api)
      throw new UsageError(
        'rollout mode passes answers through as they are: the candidate must speak the same API (kind) as the baseline',
      );
    const open =
      (target: typeof targets.baseline, passThroughAuth: boolean) => async (inbound: InboundRequest) => {
        const from = await openFrom(ctx, target, inbound, passThroughAuth);
        if (!from.opened.ok) throw new OpenFailed(from);
        return from;
      };
    let record: { store: RolloutStore; rolloutId: string } | undefined;
    const state = this.stateSource((r) => {
      record = r;
    });
    this.router = createRouter<InboundRequest, OpenedFrom>({
      baseline: open(targets.baseline, s.passThroughAuth),
      candidate: open(targets.candidate, false),
      state,
      onOutcome: (o) => {
        if (o.fallback) ctx.metrics.fallbacks.inc();
      },
      ...(record ? { record } : {}),
      now: () => ctx.clock.monotonic(),
    });
    this.router.state();
  }

  percentage(): number | null {
    try {
      return this.router.state().percentage;
    } catch {
      return null;
    }
  }

  async handle(inbound: InboundRequest, res: ServerResponse): Promise<void> {
    const { ctx } = this.s;
    const key = stickyKeyOf(inbound, this.s.rollout.stickyKey);
    let from: OpenedFrom;
    let arm: 'baseline' | 'candidate';
    try {
      const routed = await this.router.route(key, inbound);
      from = routed.value;
      arm = routed.arm;
    } catch (err) {
      if (!(err instanceof OpenFailed)) throw err;
      // Every candidate failure falls back, so what fails the route is the baseline's answer.
      from = err.from;
      arm = 'baseline';
    }
    await relayFrom(ctx, from, inbound, res, arm, false, { [SERVED_ARM_HEADER]: arm });
  }

  close(): void {
    for (const c of this.closers.splice(0)) c();
  }

  /** The router's state: the rollout's row polled every pollMs, or the state file. */
  private stateSource(onRecord: (r: { store: RolloutStore; rolloutId: string }) => void): RouterStateSource {
    const o = this.s.rollout;
    if (o.stateFile) return { file: o.stateFile };
    const db = openStore(this.s.dbPath, { readonly: !o.recordRequests });
    const store = new RolloutStore(db);
    const rollout = resolveRollout(store, o.rolloutId ?? undefined, this.s.dbPath);
    const toState = (r: typeof rollout): RouterState => ({
      rollout_id: r.id,
      version: r.version,
      percentage: r.percentage,
      salt: r.salt,
      hash_version: r.hash_version,
      status: r.status,
    });
    let current = toState(rollout);
    const poll = setInterval(() => {
      try {
        const r = store.getRollout(rollout.id);
        if (r && r.version !== current.version) {
          current = toState(r);
          this.s.log(`rollout ${r.id}: ${r.status} at ${r.percentage}% (version ${r.version})`);
        }
        if (o.recordRequests) store.flush();
      } catch (err) {
        this.s.log(`reading rollout ${rollout.id} failed: ${(err as Error).message}`);
      }
    }, o.pollMs);
    poll.unref();
    this.closers.push(() => {
      clearInterval(poll);
      try {
        if (o.recordRequests) store.flush();
      } finally {
        db.close();
      }
    });
    if (o.recordRequests) onRecord({ store, rolloutId: rollout.id });
    return () => current;
  }
}

/**
 * The request's sticky key: the first of `sources` present: `header` (the
 * x-shadowgate-key header), `user` (the request's `user` field),
 * `metadata.PATH` (in the request's `metadata`). A request with none is keyed
 * by a fresh random id: routed at the right share, but not sticky.
 */
export function stickyKeyOf(inbound: InboundRequest, sources: readonly string[]): string {
  for (const source of sources) {
    let v: unknown;
    if (source === 'header') v = inbound.headers[STICKY_KEY_HEADER];
    else if (source === 'user') v = inbound.json.user;
    else if (source.startsWith('metadata.')) {
      let node: unknown = inbound.json.metadata;
      for (const part of source.slice('metadata.'.length).split('.')) {
        node =
          typeof node === 'object' && node !== null && !Array.isArray(node)
            ? (node as Record<string, unknown>)[part]
            : undefined;
      }
      v = node;
    }
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return randomUUID();
}
