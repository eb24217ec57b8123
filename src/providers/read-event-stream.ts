/**
 * Reads one streamed answer: bytes -> SSE events -> the kind's accumulator,
 * timing the first and last output events on a monotonic clock.
 */
import type { Readable } from 'node:stream';
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
 *
 * A Node stream (undici's body) is read through its 'data' events: the chunk
 * is parsed and timed in the same callback that took it off the socket, with
 * no promise per chunk between the two (an async iterator adds one, and at
 * high concurrency other requests' microtasks run in that gap).
 */
export async function readEventStream(
  body: AsyncIterable<Uint8Array | string> | Readable,
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
  if (isReadable(body)) await readEvents(body, parser, progress);
  else {
    for await (const chunk of body) {
      progress.bodyStarted = true;
      parser.push(chunk);
    }
  }
  parser.end();
  return { answer: acc.result(), complete: acc.done };
}

function isReadable(body: unknown): body is Readable {
  return typeof (body as Readable).on === 'function' && typeof (body as Readable).destroy === 'function';
}

/** Pushes every chunk through the parser as it arrives; rejects with the parser's or the stream's error. */
function readEvents(body: Readable, parser: SseParser, progress: StreamProgress): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      reject(err);
    };
    body.on('data', (chunk: Uint8Array | string) => {
      if (failed) return;
      progress.bodyStarted = true;
      try {
        parser.push(chunk);
      } catch (err) {
        fail(err);
        body.destroy();
      }
    });
    body.once('error', fail);
    body.once('end', () => {
      if (!failed) resolve();
    });
    // Destroyed without an error (an abort undici reports as close): not a clean end.
    body.once('close', () =>
      fail(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })),
    );
  });
}
