/**
 * Reads one streamed answer: bytes -> SSE events -> the kind's accumulator,
 * timing the first and last output events on a monotonic clock.
 */
import type { ParsedAnswer, StreamAccumulator } from './protocol-adapter.js';
import { SseParser } from './sse-parser.js';

/** Mutated as the stream is read, so a failure midway can report how far it got. */
export interface StreamProgress {
  /** Any body bytes arrived. */
  bodyStarted: boolean;
  /** ms from `t0` to the first event that carried output; null until then. */
  ttftMs: number | null;
  /** ms from `t0` to the latest event that carried output. */
  endMs: number | null;
}

export interface StreamReadResult {
  answer: ParsedAnswer;
  /** The terminal marker (`[DONE]`, `message_stop`) was seen. */
  complete: boolean;
}

/**
 * Consumes `body` to its end. Time is read when an event is parsed, i.e. when
 * the chunk completing it arrived. Throws whatever the accumulator throws
 * (ProtocolViolation, InBandError) and whatever the body throws.
 */
export async function readEventStream(
  body: AsyncIterable<Uint8Array | string>,
  acc: StreamAccumulator,
  now: () => number,
  t0: number,
  progress: StreamProgress,
): Promise<StreamReadResult> {
  const parser = new SseParser((event) => {
    if (!acc.onEvent(event)) return;
    const t = now() - t0;
    if (progress.ttftMs === null) progress.ttftMs = t;
    progress.endMs = t;
  });
  for await (const chunk of body) {
    progress.bodyStarted = true;
    parser.push(chunk);
  }
  parser.end();
  return { answer: acc.result(), complete: acc.done };
}
