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
import { type RolloutPlan, validatePlan } from '../rollout/plan.js';
import { resolveRollout } from '../rollout/rollout-state.js';
import { createRouter, type Router, type RouterState, type RouterStateSource } from '../rollout/router.js';
import { planGateSpecs, planTuningN, type StageJudgement } from '../rollout/stage-judge.js';
import { UsageError } from '../shared/errors.js';
import { sha256Hex } from '../shared/sha256-hex.js';
import { openStore } from '../store/open-store.js';
import type { RolloutRow } from '../store/rollout-rows.js';
import { RolloutStore } from '../store/rollout-store.js';
import type { InboundRequest } from './inbound.js';
import { LiveGates } from './live-gates.js';
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
  readonly errorClass: string;
  constructor(readonly from: OpenedFrom) {
    super(from.opened.ok ? 'ok' : from.opened.failure.message);
    this.errorClass = from.opened.ok ? 'ok' : from.opened.errorClass;
  }
}

/** One request on its way through the router: the candidate's failure is noted for the live judge. */
interface Routed {
  inbound: InboundRequest;
  candidateErrorClass: string | null;
  /** When the candidate's failed open returned: a fallback's overhead counts from here, not its wait. */
  candidateEndMono: number | null;
}

/** Who moves the rollout when the live gates roll it back (rollout_events.actor). */
export const LIVE_GATES_ACTOR = 'shadowgate proxy (live gates)';

export class RolloutMode {
  private readonly router: Router<Routed, OpenedFrom>;
  private readonly closers: (() => void)[] = [];
  /** The rollout's row, when the state comes from the database. */
  private source: { store: RolloutStore; rolloutId: string; set: (r: RolloutRow) => void } | null = null;
  private readonly gates: LiveGates | null = null;

  constructor(private readonly s: RolloutModeSetup) {
    const { targets, ctx } = s;
    if (targets.candidate.upstream.api !== targets.baseline.upstream.api)
      throw new UsageError(
        'rollout mode passes answers through as they are: the candidate must speak the same API (kind) as the baseline',
      );
    const state = this.stateSource();
    const plan = this.source
      ? (s.rollout.plan ?? storedPlan(this.source.store, this.source.rolloutId))
      : s.rollout.plan;
    if (s.rollout.gateEvery > 0 && plan && this.source)
      this.gates = new LiveGates({
        specs: planGateSpecs(plan),
        confidence: plan.confidence,
        nStar: planTuningN(plan),
        every: s.rollout.gateEvery,
      });
    const pass = s.passThroughAuth;
    this.router = createRouter<Routed, OpenedFrom>({
      baseline: async (r) => {
        const from = await openFrom(ctx, targets.baseline, r.inbound, pass);
        if (!from.opened.ok) throw new OpenFailed(from);
        return from;
      },
      candidate: async (r) => {
        const from = await openFrom(ctx, targets.candidate, r.inbound, false);
        if (!from.opened.ok) {
          r.candidateErrorClass = from.opened.errorClass;
          r.candidateEndMono = from.openEndMono;
          throw new OpenFailed(from);
        }
        return from;
      },
      state,
      onOutcome: (o) => {
        if (o.fallback) ctx.metrics.fallbacks.inc();
      },
      ...(this.source && s.rollout.recordRequests
        ? { record: { store: this.source.store, rolloutId: this.source.rolloutId } }
        : {}),
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
    const percentage = this.router.state().percentage;
    const routed: Routed = { inbound, candidateErrorClass: null, candidateEndMono: null };
    const t0 = ctx.clock.monotonic();
    let from: OpenedFrom;
    let arm: 'baseline' | 'candidate';
    let ok = true;
    try {
      const r = await this.router.route(key, routed);
      from = r.value;
      arm = r.arm;
    } catch (err) {
      if (!(err instanceof OpenFailed)) throw err;
      // Every candidate failure falls back, so what fails the route is the baseline's answer.
      from = err.from;
      arm = 'baseline';
      ok = false;
    }
    const out = await relayFrom(
      ctx,
      from,
      inbound,
      res,
      arm,
      false,
      { [SERVED_ARM_HEADER]: arm },
      routed.candidateEndMono ?? inbound.readAtMono,
    );
    if (this.gates) {
      const relay = out.relay;
      const fallback = routed.candidateErrorClass !== null;
      const judgement = this.gates.add(
        {
          stage: 0,
          routed_arm: fallback ? 'candidate' : arm,
          served_arm: arm,
          fallback: fallback ? 1 : 0,
          candidate_error_class: routed.candidateErrorClass,
          outcome: ok && relay?.complete ? 'ok' : 'error',
          latency_ms: relay ? relay.endAtMono - t0 : null,
          ttft_ms: relay?.firstChunkAtMono != null ? relay.firstChunkAtMono - t0 : null,
          cost_usd: null,
          sticky_key_hash: sha256Hex(key),
        },
        percentage,
      );
      if (judgement?.decision === 'rollback') this.rollBack(judgement, percentage);
    }
  }

  close(): void {
    for (const c of this.closers.splice(0)) c();
  }

  /** The gates proved harm: the rollout goes to 0% now, recorded as an automatic move with its evidence. */
  private rollBack(judgement: StageJudgement, percentage: number): void {
    const src = this.source;
    if (!src) return;
    try {
      const after = src.store.changeState(src.rolloutId, {
        status: 'rolled_back',
        percentage: 0,
        at: new Date(this.s.ctx.clock.now()).toISOString(),
        actor: LIVE_GATES_ACTOR,
        automatic: true,
        reason: `live gates at ${percentage}%: ${judgement.reasons.join('; ')}`,
        evidence: { gates: judgement.gates, srm: judgement.srm },
        finished: true,
      });
      src.set(after);
      this.s.log(`rollout ${after.id} rolled back by the live gates: ${judgement.reasons.join('; ')}`);
    } catch (err) {
      this.s.log(`rolling back ${src.rolloutId} failed: ${(err as Error).message}`);
    }
  }

  /** The router's state: the rollout's row polled every pollMs, or the state file. */
  private stateSource(): RouterStateSource {
    const o = this.s.rollout;
    if (o.stateFile) return { file: o.stateFile };
    const writes = o.recordRequests || o.gateEvery > 0;
    const db = openStore(this.s.dbPath, { readonly: !writes });
    const store = new RolloutStore(db);
    const rollout = resolveRollout(store, o.rolloutId ?? undefined, this.s.dbPath);
    const toState = (r: RolloutRow): RouterState => ({
      rollout_id: r.id,
      version: r.version,
      percentage: r.percentage,
      salt: r.salt,
      hash_version: r.hash_version,
      status: r.status,
    });
    let current = toState(rollout);
    this.source = {
      store,
      rolloutId: rollout.id,
      set: (r) => {
        current = toState(r);
      },
    };
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
    return () => current;
  }
}

/** The plan stored with the rollout, when it is a whole plan (a rehearsal's); null otherwise. */
function storedPlan(store: RolloutStore, rolloutId: string): RolloutPlan | null {
  const row = store.getRollout(rolloutId);
  if (!row) return null;
  try {
    return validatePlan(JSON.parse(row.plan_json), `rollout ${rolloutId}`);
  } catch {
    return null;
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
