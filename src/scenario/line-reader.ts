import { createReadStream } from 'node:fs';

/** A line longer than this is reported, not buffered: a garbage file must not exhaust memory. Bytes. */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;

export interface FileLine {
  /** 1-based. */
  line: number;
  /** The line without its line ending; null when it exceeded MAX_LINE_BYTES. */
  text: string | null;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Streams a file's lines, a batch per chunk read (one await per chunk, not
 * per line: that is most of the speed on a million lines). Splitting on the
 * newline byte never cuts a UTF-8 character in two, so lines are decoded
 * whole. `onChunk` sees every raw chunk (for hashing the file in the same pass).
 */
export async function* readLineBatches(
  path: string,
  options: { onChunk?: (chunk: Buffer) => void; maxLineBytes?: number } = {},
): AsyncGenerator<FileLine[]> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  let carry: Buffer | null = null;
  let overflowing = false;
  let line = 0;
  const decode = (buf: Buffer, start: number, end: number): string => {
    if (end > start && buf[end - 1] === CR) end--;
    let text = buf.toString('utf8', start, end);
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text;
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    options.onChunk?.(chunk);
    const batch: FileLine[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      line++;
      if (overflowing) {
        overflowing = false;
        carry = null;
        batch.push({ line, text: null });
      } else if (carry) {
        const whole: Buffer = Buffer.concat([carry, chunk.subarray(start, nl)]);
        carry = null;
        batch.push({ line, text: whole.length > maxLineBytes ? null : decode(whole, 0, whole.length) });
      } else batch.push({ line, text: nl - start > maxLineBytes ? null : decode(chunk, start, nl) });
      start = nl + 1;
    }
    if (start < chunk.length && !overflowing) {
      const rest = chunk.subarray(start);
      // Copy: the stream may reuse its chunk buffers.
      carry = carry ? Buffer.concat([carry, rest]) : Buffer.from(rest);
      if (carry.length > maxLineBytes) {
        overflowing = true;
        carry = null;
      }
    }
    if (batch.length > 0) yield batch;
  }
  if (overflowing) yield [{ line: line + 1, text: null }];
  else if (carry && carry.length > 0) {
    line++;
    yield [{ line, text: decode(carry, 0, carry.length) }];
  }
}
