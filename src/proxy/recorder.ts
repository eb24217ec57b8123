/**
 * Recorded-traffic scenario lines (docs/scenarios.md, form 3) from live
 * requests, and the append-only file they go to. Each line is written whole
 * with one write as its request completes, so a killed proxy leaves whole
 * lines behind.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ParsedAnswer } from '../providers/protocol-adapter.js';
import { UsageError } from '../shared/errors.js';
import type { InboundRequest } from './inbound.js';
import { mirrorRequestOf } from './mirror-request.js';
import type { ServeOutcome } from './serve.js';

/** What a redaction pattern's match is replaced with. */
export const REDACTED_TEXT = '[redacted]';

export class RecordFile {
  private fd: number | null;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'a');
    } catch (err) {
      throw new UsageError(
        `--record: cannot open ${path} for appending (${(err as NodeJS.ErrnoException).code})`,
      );
    }
  }

  append(line: string): void {
    if (this.fd === null) return;
    writeSync(this.fd, `${line}\n`);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * The scenario line of one served request: the request as the client sent
 * it (the chat shape), `id`, `timestamp` (when it arrived), and `response`
 * (the JSON answer, or for a stream the answer rebuilt as a chat.completion;
 * a provider's error answer as it came). Null when the request has no chat
 * shape to record.
 */
export function recordedLine(
  inbound: InboundRequest,
  out: ServeOutcome,
  o: { id: string; redactPatterns: RegExp[] },
): string | null {
  const request = mirrorRequestOf(inbound);
  if (request === null) return null;
  const { metadata, ...body } = request as Record<string, unknown>;
  const line: Record<string, unknown> = {
    id: o.id,
    ...body,
    timestamp: new Date(inbound.receivedAtMs).toISOString(),
  };
  if (typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)) line.metadata = metadata;
  const response = recordedResponse(out);
  if (response !== undefined) line.response = response;
  const redacted =
    o.redactPatterns.length > 0
      ? redactStrings(line, o.redactPatterns, new Set(['id', 'model', 'timestamp', 'role', 'type']))
      : line;
  return JSON.stringify(redacted);
}

function recordedResponse(out: ServeOutcome): unknown {
  const { opened, tap } = out;
  if (!opened.ok) {
    if (!opened.response) return { error: { message: opened.failure.message, code: opened.errorClass } };
    try {
      return JSON.parse(opened.response.body);
    } catch {
      return { error: { message: opened.response.body.slice(0, 300), status: opened.response.status } };
    }
  }
  if (!tap) return undefined;
  if (tap.json !== null) return tap.json;
  if (tap.answer) return chatCompletionOf(tap.answer);
  return { error: { message: tap.problem ?? 'the answer could not be read back' } };
}

/** A streamed answer as the chat.completion it amounts to. */
export function chatCompletionOf(a: ParsedAnswer): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: a.text };
  if (a.toolCalls.length > 0)
    message.tool_calls = a.toolCalls.map((c, i) => ({
      id: `call_${i}`,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
  const out: Record<string, unknown> = {
    object: 'chat.completion',
    model: a.responseModel,
    choices: [{ index: 0, message, finish_reason: a.finishReason }],
  };
  if (a.usage)
    out.usage = {
      prompt_tokens: a.usage.inputTokens,
      completion_tokens: a.usage.outputTokens,
      total_tokens: a.usage.inputTokens + a.usage.outputTokens,
    };
  return out;
}

/** Every string value (not key) with each pattern's matches replaced, except under the `keep` keys. */
export function redactStrings(value: unknown, patterns: RegExp[], keep: ReadonlySet<string>): unknown {
  if (typeof value === 'string') {
    let s = value;
    for (const p of patterns) s = s.replace(p, REDACTED_TEXT);
    return s;
  }
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, patterns, keep));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = keep.has(k) ? v : redactStrings(v, patterns, keep);
    return out;
  }
  return value;
}

/** Compiles `--record-redact` patterns (global, so every match is replaced); a bad one is a UsageError. */
export function compileRedactPatterns(sources: readonly string[]): RegExp[] {
  return sources.map((src) => {
    try {
      return new RegExp(src, 'g');
    } catch (err) {
      throw new UsageError(
        `--record-redact: bad regular expression ${JSON.stringify(src)}: ${(err as Error).message}`,
      );
    }
  });
}
