/**
 * Reads a passed-through answer on the side, from the chunks already sent to
 * the client: the SSE events through the protocol's stream accumulator, or
 * the whole JSON body at the end. What it rebuilds goes to the store and the
 * recorder; it never touches the bytes the client gets.
 */
import { anthropicAdapter } from '../providers/anthropic-messages.js';
import { openAIAdapter } from '../providers/openai-chat.js';
import type { ParsedAnswer, ProtocolAdapter, StreamAccumulator } from '../providers/protocol-adapter.js';
import { SseParser } from '../providers/sse-parser.js';
import type { WireApi } from './upstream.js';

const ADAPTERS: Record<WireApi, ProtocolAdapter> = {
  openai: openAIAdapter({ streamUsage: false }),
  anthropic: anthropicAdapter(),
};

export interface TappedAnswer {
  answer: ParsedAnswer | null;
  /** The answer as the client got it: the JSON body, or null for a stream. */
  json: unknown;
  /** clock.monotonic() of the first event that carried output (a stream), else null. */
  firstOutputAtMono: number | null;
  lastOutputAtMono: number | null;
  /** Why the answer could not be read back, when it could not. */
  problem: string | null;
  /** A stream that could not be read back whole: the output text (and tool-call arguments) it had carried, for its cost. */
  partialOutputText?: string | null;
}

export class AnswerTap {
  private readonly acc: StreamAccumulator | null;
  private readonly parser: SseParser | null;
  private readonly chunks: Buffer[] = [];
  private firstOutputAtMono: number | null = null;
  private lastOutputAtMono: number | null = null;
  private problem: string | null = null;

  constructor(
    private readonly api: WireApi,
    streamed: boolean,
    private readonly now: () => number,
  ) {
    if (streamed) {
      const acc = ADAPTERS[api].newStream();
      this.acc = acc;
      this.parser = new SseParser((event) => {
        if (this.problem !== null) return;
        try {
          if (!acc.onEvent(event)) return;
        } catch (err) {
          this.problem = (err as Error).message;
          return;
        }
        const t = this.now();
        this.firstOutputAtMono ??= t;
        this.lastOutputAtMono = t;
      });
    } else {
      this.acc = null;
      this.parser = null;
    }
  }

  push(chunk: Buffer): void {
    if (this.parser) this.parser.push(chunk);
    else this.chunks.push(chunk);
  }

  result(): TappedAnswer {
    if (this.parser && this.acc) {
      this.parser.end();
      if (this.problem === null && !this.acc.done) this.problem = 'stream ended without its end marker';
      return {
        answer: this.problem === null ? this.acc.result() : null,
        json: null,
        firstOutputAtMono: this.firstOutputAtMono,
        lastOutputAtMono: this.lastOutputAtMono,
        problem: this.problem,
        partialOutputText: this.problem === null ? null : partialOutput(this.acc),
      };
    }
    let json: unknown = null;
    let answer: ParsedAnswer | null = null;
    try {
      json = JSON.parse(Buffer.concat(this.chunks).toString('utf8'));
      answer = ADAPTERS[this.api].parseAnswer(json);
    } catch (err) {
      this.problem = (err as Error).message;
    }
    return { answer, json, firstOutputAtMono: null, lastOutputAtMono: null, problem: this.problem };
  }
}

/** What a stream had carried before it broke: its text and tool-call arguments so far (null when unreadable). */
function partialOutput(acc: StreamAccumulator): string | null {
  try {
    const a = acc.result();
    let out = a.text;
    for (const call of a.toolCalls) out += call.name + call.arguments;
    return out;
  } catch {
    return null;
  }
}
