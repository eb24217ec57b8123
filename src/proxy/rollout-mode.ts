/**
 * Rollout mode: each request goes where `routeFor(sticky key, percentage,
 * salt)` sends it, through the library's createRouter, so live traffic is
 * routed exactly as the rehearsal routed it. The candidate is tried first
 * for its keys; it falls back to the baseline only while nothing has reached
 * the client. The percentage follows the rollout in the store (a SQLite row
 * polled every `pollMs`, or PostgreSQL's shared state by NOTIFY, see
 * rollout-source.ts and pg-rollout-source.ts) or its state file, so
 * `rollout set` and `rollout rollback` take effect without a restart.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { RolloutPlan } from '../rollout/plan.js';
import { createRouter, type Router } from '../rollout/router.js';
import { planGateSpecs, planTuningN, type StageJudgement } from '../rollout/stage-judge.js';
import { UsageError } from '../shared/errors.js';
import { sha256Hex } from '../shared/sha256-hex.js';
import type { DbLocation } from '../store/db-url.js';
import type { InboundRequest } from './inbound.js';
import { LiveGates } from './live-gates.js';
import { openPgRolloutSource } from './pg-rollout-source.js';
import { PROXY_DEFAULTS, type ProxyOptions } from './proxy-options.js';
import type { ProxyTargets } from './proxy-targets.js';
import { type LiveRolloutSource, openSqliteRolloutSource } from './rollout-source.js';
import { type OpenedFrom, openFrom, relayFrom, type ServeContext } from './serve.js';

/** Request header carrying the sticky key (the first place rollout mode looks, by default). */
export const STICKY_KEY_HEADER = 'x-shadowgate-key';
/** Response header naming the arm that served the answer. */
export const SERVED_ARM_HEADER = 'x-shadowgate-arm';

export interface RolloutModeSetup {
  ctx: ServeContext;
  targets: ProxyTargets;
  rollout: NonNullable<ProxyOptions['rollout']>;
  db: DbLocation;
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
  private gates: LiveGates | null = null;
  private readonly newGates: (() => LiveGates) | null = null;
  private rollingBack = false;
  /** The leader reads every replica's requests from the store (PostgreSQL with recording). */
  private readonly sharedTimer: NodeJS.Timeout | null = null;
  private sharedLook: Promise<void> | null = null;
  private ledShared = false;

  /** Opens the rollout's store (none for a state file), then the router. */
  static async start(s: RolloutModeSetup): Promise<RolloutMode> {
    const { targets, ctx } = s;
    if (targets.candidate.upstream.api !== targets.baseline.upstream.api)
      throw new UsageError(
        'rollout mode passes answers through as they are: the candidate must speak the same API (kind) as the baseline',
      );
    const o = s.rollout;
    let source: LiveRolloutSource | null = null;
    if (!o.stateFile)
      source =
        s.db.kind === 'sqlite'
          ? openSqliteRolloutSource({
              dbPath: s.db.path,
              rolloutId: o.rolloutId,
              pollMs: o.pollMs,
              recordRequests: o.recordRequests,
              writes: o.recordRequests || o.gateEvery > 0,
              log: s.log,
            })
          : await openPgRolloutSource({
              url: s.db.url,
              rolloutId: o.rolloutId,
              pollMs: o.pollMs,
              leaderRetryMs: o.leaderRetryMs ?? PROXY_DEFAULTS.leaderRetryMs,
              recordRequests: o.recordRequests,
              log: s.log,
              onStoreError: (op) => ctx.metrics.storeErrors.inc({ op }),
            });
    try {
      return new RolloutMode(s, source);
    } catch (err) {
      await source?.close();
      throw err;
    }
  }

  private constructor(
    private readonly s: RolloutModeSetup,
    private readonly source: LiveRolloutSource | null,
  ) {
    const { targets, ctx } = s;
    const plan: RolloutPlan | null = s.rollout.plan ?? source?.storedPlan ?? null;
    if (s.rollout.gateEvery > 0 && plan && source) {
      const gatesOptions = {
        specs: planGateSpecs(plan),
        confidence: plan.confidence,
        nStar: planTuningN(plan),
        every: s.rollout.gateEvery,
      };
      this.newGates = () => new LiveGates(gatesOptions);
      this.gates = this.newGates();
      if (source.sharedRequests) {
        this.sharedTimer = setInterval(() => {
          this.sharedLook ??= this.judgeShared().finally(() => {
            this.sharedLook = null;
          });
        }, s.rollout.pollMs);
        this.sharedTimer.unref();
      }
    }
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
      state: source ? () => source.state() : { file: s.rollout.stateFile! },
      onOutcome: (o) => {
        if (o.fallback) ctx.metrics.fallbacks.inc();
      },
      ...(source?.recordStore ? { record: { store: source.recordStore, rolloutId: source.rolloutId } } : {}),
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

  /** 1 when this replica judges the gates and may move the percentage, 0 when another does; null without a store. */
  leader(): number | null {
    return this.source ? (this.source.isLeader() ? 1 : 0) : null;
  }

  /** The rollout followed, for /health. */
  health(): Record<string, unknown> {
    if (this.source) return this.source.health();
    const state = this.router.state();
    return {
      store: 'state_file',
      rollout_id: state.rollout_id ?? null,
      version: state.version ?? null,
      percentage: state.percentage,
      status: state.status ?? null,
      gate_leader: null,
    };
  }

  async handle(inbound: InboundRequest, res: ServerResponse): Promise<void> {
    const { ctx } = this.s;
    const key = stickyKeyOf(inbound, this.s.rollout.stickyKey);
    const state = this.router.state();
    const percentage = state.percentage;
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
    // Only the gate leader judges: every replica's requests from the store when they are shared
    // (judgeShared), else the traffic it serves itself (behind a balancer, a random share of all of it).
    if (this.gates && !this.sharedTimer && this.source?.isLeader()) {
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
      if (judgement?.decision === 'rollback') void this.rollBack(judgement, percentage, state.version ?? 0);
    }
  }

  async close(): Promise<void> {
    if (this.sharedTimer) clearInterval(this.sharedTimer);
    await this.sharedLook;
    await this.source?.close();
  }

  /** One look of the leader at every replica's requests written since its last look. */
  private async judgeShared(): Promise<void> {
    const shared = this.source?.sharedRequests;
    if (!shared || !this.newGates) return;
    if (!this.source?.isLeader()) {
      if (this.ledShared) {
        // Whoever leads next judges from the start of the percentage; so does this replica if it leads again.
        this.ledShared = false;
        shared.reset();
        this.gates = this.newGates();
      }
      return;
    }
    this.ledShared = true;
    let batch: Awaited<ReturnType<typeof shared.next>>;
    try {
      batch = await shared.next();
    } catch (err) {
      this.s.ctx.metrics.storeErrors.inc({ op: 'read_requests' });
      this.s.log(`reading the routed requests of ${this.source.rolloutId} failed: ${(err as Error).message}`);
      return;
    }
    const gates = this.gates!;
    for (const row of batch.rows) {
      const judgement = gates.add(row, batch.percentage);
      if (judgement?.decision === 'rollback') {
        await this.rollBack(judgement, batch.percentage, batch.version);
        return;
      }
    }
  }

  /**
   * The gates proved harm: the rollout goes to 0% now, recorded as an automatic move with its evidence.
   * Refused, and only logged, when this replica lost the gate lock or the rollout moved since `fromVersion`.
   */
  private async rollBack(judgement: StageJudgement, percentage: number, fromVersion: number): Promise<void> {
    const src = this.source;
    if (!src || this.rollingBack) return;
    this.rollingBack = true;
    try {
      const after = await src.move(
        {
          status: 'rolled_back',
          percentage: 0,
          at: new Date(this.s.ctx.clock.now()).toISOString(),
          actor: LIVE_GATES_ACTOR,
          automatic: true,
          reason: `live gates at ${percentage}%: ${judgement.reasons.join('; ')}`,
          evidence: { gates: judgement.gates, srm: judgement.srm },
          finished: true,
        },
        fromVersion,
      );
      this.s.log(`rollout ${after.id} rolled back by the live gates: ${judgement.reasons.join('; ')}`);
    } catch (err) {
      this.s.log(`rolling back ${src.rolloutId} failed: ${(err as Error).message}`);
    } finally {
      this.rollingBack = false;
    }
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
