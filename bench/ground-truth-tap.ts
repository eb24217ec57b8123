/**
 * Reads the simulator's ground truth (`x-sim-latency-ms`, `x-sim-ttft-ms`) off
 * every response the process receives, through undici's diagnostics channel:
 * no change to the harness, and it costs a header scan per response. Keyed by
 * `x-request-id`, which the harness stores as `attempts.request_id`.
 */

import diagnosticsChannel from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

export interface GroundTruthRow {
  requestId: string;
  /** Total delay the simulator injected for the response, ms. */
  injectedLatencyMs: number;
  /** Delay before the first token, ms. */
  injectedTtftMs: number;
}

interface HeadersMessage {
  response: { headers: Buffer[] | string[] };
}

/** Starts collecting; the returned function stops and writes the rows as JSON lines to `path`. */
export function tapGroundTruth(path: string): () => number {
  const rows: GroundTruthRow[] = [];
  const channel = diagnosticsChannel.channel('undici:request:headers');
  const onHeaders = (message: unknown) => {
    const raw = (message as HeadersMessage).response.headers;
    let requestId: string | null = null;
    let latency: number | null = null;
    let ttft: number | null = null;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toString().toLowerCase();
      if (name === 'x-request-id') requestId = raw[i + 1]!.toString();
      else if (name === 'x-sim-latency-ms') latency = Number(raw[i + 1]!.toString());
      else if (name === 'x-sim-ttft-ms') ttft = Number(raw[i + 1]!.toString());
    }
    if (requestId !== null && latency !== null && ttft !== null) {
      rows.push({ requestId, injectedLatencyMs: latency, injectedTtftMs: ttft });
    }
  };
  channel.subscribe(onHeaders);
  return () => {
    channel.unsubscribe(onHeaders);
    writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
    return rows.length;
  };
}
