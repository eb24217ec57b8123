/**
 * Record mode: every request is answered by the baseline, passed through, and
 * a sampled share is appended to the record file as a recorded-traffic
 * scenario line (`timestamp` and `response` included), with the configured
 * redaction applied, so `shadowgate run` can replay real traffic.
 */
import type { ServerResponse } from 'node:http';
import type { Rng } from '../shared/clock.js';
import type { InboundRequest } from './inbound.js';
import type { ProxyTargets } from './proxy-targets.js';
import { RecordFile, recordedLine } from './recorder.js';
import { openFrom, relayFrom, type ServeContext } from './serve.js';

export interface RecordModeSetup {
  ctx: ServeContext;
  targets: ProxyTargets;
  record: { path: string; sample: number; redactPatterns: RegExp[] };
  rng: Rng;
  passThroughAuth: boolean;
}

export class RecordMode {
  private readonly file: RecordFile;
  private n = 0;

  constructor(private readonly s: RecordModeSetup) {
    this.file = new RecordFile(s.record.path);
  }

  async handle(inbound: InboundRequest, res: ServerResponse): Promise<void> {
    const { ctx, targets, record } = this.s;
    const sampled = record.sample >= 1 || this.s.rng() < record.sample;
    const from = await openFrom(ctx, targets.baseline, inbound, this.s.passThroughAuth);
    const out = await relayFrom(ctx, from, inbound, res, 'baseline', sampled);
    if (!sampled) return;
    const line = recordedLine(inbound, out, {
      id: `rec-${inbound.receivedAtMs.toString(36)}-${(this.n++).toString(36)}`,
      redactPatterns: record.redactPatterns,
    });
    if (line === null) return;
    this.file.append(line);
    ctx.metrics.recorded.inc();
  }

  close(): void {
    this.file.close();
  }
}
