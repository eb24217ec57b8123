/**
 * Shadow mode: every request is answered by the baseline, passed through as
 * it arrives; a share is also mirrored to the candidate through the bounded
 * queue, in the background, and both answers land in the live shadow run.
 */
import type { ServerResponse } from 'node:http';
import type { ChatRequest } from '../providers/types.js';
import type { ArmOutcome } from '../runner/arm-executor.js';
import { isReplicaPick } from '../runner/sampling.js';
import type { Rng } from '../shared/clock.js';
import type { InboundRequest } from './inbound.js';
import type { LiveRun } from './live-run.js';
import type { MirrorQueue } from './mirror-queue.js';
import { mirrorRequestOf } from './mirror-request.js';
import type { ProxyTargets } from './proxy-targets.js';
import { openFrom, relayFrom, type ServeContext } from './serve.js';
import { type ServedRows, servedRows } from './served-row.js';

export interface ShadowModeSetup {
  ctx: ServeContext;
  targets: ProxyTargets;
  queue: MirrorQueue;
  run: LiveRun;
  /** Draws the mirror decision. */
  rng: Rng;
  mirror: number;
  replica: number;
  mirrorMaxBytes: number;
  seed: number;
  redact: boolean;
  passThroughAuth: boolean;
}

export class ShadowMode {
  constructor(private readonly s: ShadowModeSetup) {}

  async handle(inbound: InboundRequest, res: ServerResponse): Promise<void> {
    const { ctx, targets, run } = this.s;
    const mirror = this.s.mirror > 0 && this.s.rng() < this.s.mirror ? this.offerMirror(inbound) : null;
    let handed = false;
    try {
      const from = await openFrom(ctx, targets.baseline, inbound, this.s.passThroughAuth);
      const out = await relayFrom(ctx, from, inbound, res, 'baseline', mirror !== null);
      if (mirror) {
        mirror.settle(
          servedRows({
            runId: run.runId,
            promptId: mirror.promptId,
            arm: 'baseline',
            provider: targets.baseline.upstream.provider.name,
            model: out.model,
            request: mirror.request,
            streamed: inbound.stream,
            prices: out.prices,
            redact: this.s.redact,
            opened: out.opened,
            relay: out.relay,
            tap: out.tap,
            wallOffsetMs: ctx.clock.now() - ctx.clock.monotonic(),
          }),
        );
        handed = true;
      }
    } finally {
      // A served path that threw still lets its mirror finish (with no baseline row).
      if (mirror && !handed) mirror.settle(null);
    }
  }

  /** Queues the request's mirror: how to hand it the served answer, or null when it was shed or skipped. */
  private offerMirror(
    inbound: InboundRequest,
  ): { promptId: string; request: ChatRequest; settle: (rows: ServedRows | null) => void } | null {
    const { queue, run, targets, ctx } = this.s;
    const request = mirrorRequestOf(inbound);
    if (request === null) return null;
    const bytes = inbound.body.length;
    if (bytes > this.s.mirrorMaxBytes) {
      queue.skip('body_too_large');
      return null;
    }
    if (run.budgetSpent) {
      queue.skip('budget');
      return null;
    }
    if (!queue.hasRoom(bytes)) {
      queue.skip('queue_full');
      return null;
    }
    const { promptId, seq } = run.nextPrompt();
    let settle!: (rows: ServedRows | null) => void;
    const served = new Promise<ServedRows | null>((r) => {
      settle = r;
    });
    const replica = isReplicaPick(promptId, this.s.seed, this.s.replica);
    const metadata = inbound.json.metadata;
    queue.offer(
      () =>
        run.mirror(
          {
            promptId,
            seq,
            request,
            metadata:
              typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)
                ? (metadata as Record<string, unknown>)
                : null,
            receivedAtMs: inbound.receivedAtMs,
            stream: inbound.stream,
            replica,
          },
          { candidate: targets.mirrorCandidate, replica: targets.mirrorReplica },
          served,
          (out, arm) => this.countMirror(out, arm),
        ),
      bytes,
    );
    ctx.metrics.mirrored.inc({ arm: 'candidate' });
    if (replica) ctx.metrics.mirrored.inc({ arm: 'baseline_replica' });
    return { promptId, request, settle };
  }

  private countMirror(out: ArmOutcome | null, arm: 'candidate' | 'baseline_replica'): void {
    const { metrics } = this.s.ctx;
    const labels = { arm, path: 'mirror' } as const;
    metrics.requests.inc(labels);
    if (!out) {
      metrics.errors.inc({ ...labels, error_class: 'not_sent' });
      return;
    }
    const row = out.row;
    if (row.outcome === 'error') metrics.errors.inc({ ...labels, error_class: row.error_class ?? 'error' });
    if (typeof row.latency_ms === 'number') metrics.latency.observe(labels, row.latency_ms / 1000);
    if (typeof row.ttft_ms === 'number') metrics.ttft.observe(labels, row.ttft_ms / 1000);
  }
}
