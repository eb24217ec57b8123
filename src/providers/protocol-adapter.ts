/**
 * What differs between provider kinds: the path, the headers, the request
 * body, and how an answer (whole or streamed) is read back. The transport in
 * ./undici-provider-client.ts is shared.
 */
import type { ErrorClass } from '../shared/outcome-class.js';
import type { SseEvent } from './sse-parser.js';
import type { ChatRequest, ToolCall, Usage } from './types.js';

/** An answer read from a provider, before timing and headers are attached. */
export interface ParsedAnswer {
  text: string;
  toolCalls: ToolCall[];
  /** Normalised to OpenAI's vocabulary: stop, length, tool_calls, content_filter. */
  finishReason: string | null;
  responseModel: string | null;
  systemFingerprint: string | null;
  /** Null when the provider reported none (the client then estimates). */
  usage: Usage | null;
}

/** The server broke the protocol: not JSON, not SSE, not the expected shape. Maps to `protocol`. */
export class ProtocolViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolViolation';
  }
}

/** The server sent an error inside a 200 answer (an SSE `error` event, or `{error}` in a chunk). */
export class InBandError extends Error {
  readonly errorClass: ErrorClass;
  readonly providerErrorType: string | null;
  readonly providerErrorCode: string | null;

  constructor(
    errorClass: ErrorClass,
    message: string,
    providerErrorType: string | null,
    providerErrorCode: string | null,
  ) {
    super(message);
    this.name = 'InBandError';
    this.errorClass = errorClass;
    this.providerErrorType = providerErrorType;
    this.providerErrorCode = providerErrorCode;
  }
}

/** Rebuilds one streamed answer, event by event. */
export interface StreamAccumulator {
  /**
   * Reads one event; returns true when it carried output (content, a tool-call
   * delta or a reasoning delta), which is what time-to-first-token measures.
   * Throws ProtocolViolation or InBandError.
   */
  onEvent(event: SseEvent): boolean;
  /** The terminal marker (`[DONE]`, `message_stop`) was seen. */
  readonly done: boolean;
  result(): ParsedAnswer;
}

export interface ProtocolAdapter {
  /** Appended to the base URL's path, e.g. `/chat/completions`. */
  readonly path: string;
  /** Serialises the request body for this provider. */
  buildBody(request: ChatRequest, model: string, stream: boolean): string;
  /** Reads a whole (non-streamed) JSON answer; throws ProtocolViolation on a wrong shape. */
  parseAnswer(json: unknown): ParsedAnswer;
  newStream(): StreamAccumulator;
}

/** Parses JSON, turning a syntax error into a ProtocolViolation. */
export function parseJsonOrViolation(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolViolation(`${what} is not valid JSON`);
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function stringOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
