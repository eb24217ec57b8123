/**
 * An incremental parser for server-sent events (the WHATWG `text/event-stream`
 * format). Feed it bytes or strings exactly as they arrive; it copes with
 * chunks split anywhere, including inside a multi-byte UTF-8 character and
 * between the CR and LF of a CRLF line ending.
 *
 * Hand-written rather than a dependency: it is ~100 lines, sits on the hot
 * path of every streamed attempt, and must report events synchronously so the
 * caller can time the first token to the chunk that carried it.
 */

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field, or `message` when the event named none. */
  event: string;
  /** Every `data:` line of the event, joined with `\n`. */
  data: string;
  /** The last `id:` seen, or null. */
  id: string | null;
}

const LF = 10;
/** Hoisted: decode() is called per chunk. */
const STREAM_DECODE = { stream: true } as const;

export class SseParser {
  private readonly onEvent: (event: SseEvent) => void;
  private readonly decoder = new TextDecoder('utf-8');
  /** Text after the last line ending, waiting for the rest of its line. */
  private pending = '';
  /** The previous chunk ended in CR: a LF starting the next one belongs to it. */
  private skipLf = false;
  private eventName = '';
  private data = '';
  private hasData = false;
  private lastId: string | null = null;

  constructor(onEvent: (event: SseEvent) => void) {
    this.onEvent = onEvent;
  }

  /** Feeds one chunk; events completed by it are dispatched before this returns. */
  push(chunk: Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, STREAM_DECODE);
    const n = text.length;
    if (n === 0) return;
    let pos = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (text.charCodeAt(0) === LF) pos = 1;
    }
    // indexOf is native and fast; most streams have no CR at all, so that
    // search runs once per chunk.
    let cr = text.indexOf('\r', pos);
    while (pos < n) {
      if (cr !== -1 && cr < pos) cr = text.indexOf('\r', pos);
      const lf = text.indexOf('\n', pos);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 < n) {
          next = text.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
        } else {
          next = n;
          this.skipLf = true;
        }
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      const piece = text.slice(pos, end);
      const line = this.pending.length > 0 ? this.pending + piece : piece;
      this.pending = '';
      this.processLine(line);
      pos = next;
    }
    if (pos < n) this.pending += text.slice(pos);
  }

  /**
   * Ends the stream. Per the spec an event without its closing blank line is
   * dropped, but one whose last line was complete is dispatched: some servers
   * close the stream right after `data: [DONE]\n`. A truncated line (no line
   * ending at all) is still dropped. Returns true when text was dropped.
   */
  end(): boolean {
    const rest = this.decoder.decode();
    if (rest.length > 0) this.pending += rest;
    const truncated = this.pending.length > 0;
    this.pending = '';
    if (!truncated && this.hasData) this.dispatch();
    return truncated;
  }

  private processLine(line: string): void {
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return;
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 /* ' ' */ ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'data':
        this.data = this.hasData ? this.data + '\n' + value : value;
        this.hasData = true;
        break;
      case 'event':
        this.eventName = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default:
        // `retry:` and unknown fields are ignored, as the spec says.
        break;
    }
  }

  private dispatch(): void {
    if (this.hasData) {
      this.onEvent({ event: this.eventName || 'message', data: this.data, id: this.lastId });
    }
    this.eventName = '';
    this.data = '';
    this.hasData = false;
  }
}
