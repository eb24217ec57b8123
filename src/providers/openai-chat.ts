/**
 * The OpenAI-compatible Chat Completions protocol: POST {baseUrl}/chat/completions,
 * whole JSON answers and `chat.completion.chunk` event streams ending in `[DONE]`.
 */
import {
  InBandError,
  isObject,
  type ParsedAnswer,
  type ProtocolAdapter,
  ProtocolViolation,
  parseJsonOrViolation,
  type StreamAccumulator,
  stringOrNull,
} from './protocol-adapter.js';
import type { SseEvent } from './sse-parser.js';
import type { ChatRequest, ToolCall } from './types.js';
import { hasOpenAIUsage, normaliseOpenAIUsage } from './usage.js';

/**
 * The request body: the recorded request with `model` replaced. Streaming adds
 * `stream: true` and, unless `streamUsage` is false, asks for the usage chunk.
 * A recorded `stream`/`stream_options` is dropped first, since the run, not
 * the recording, decides whether to stream (and OpenAI rejects stream_options
 * on a non-streamed request).
 */
export function buildOpenAIBody(
  request: ChatRequest,
  model: string,
  stream: boolean,
  streamUsage: boolean,
): Record<string, unknown> {
  const { stream: _stream, stream_options: recordedOptions, ...rest } = request;
  if (!stream) return { ...rest, model };
  const body: Record<string, unknown> = { ...rest, model, stream: true };
  if (streamUsage) {
    body.stream_options = isObject(recordedOptions)
      ? { ...recordedOptions, include_usage: true }
      : { include_usage: true };
  }
  return body;
}

function providerError(v: unknown): { message: string; type: string | null; code: string | null } | null {
  if (!isObject(v) || v.error === undefined || v.error === null) return null;
  const e = v.error;
  if (typeof e === 'string') return { message: e, type: null, code: null };
  if (!isObject(e)) return { message: 'error', type: null, code: null };
  return {
    message: typeof e.message === 'string' ? e.message : 'error',
    type: stringOrNull(e.type),
    code: e.code === undefined || e.code === null ? null : String(e.code),
  };
}

function readToolCalls(raw: unknown): ToolCall[] {
  if (!Array.isArray(raw)) return [];
  const calls: ToolCall[] = [];
  for (const c of raw) {
    if (!isObject(c) || !isObject(c.function)) continue;
    calls.push({
      name: typeof c.function.name === 'string' ? c.function.name : '',
      arguments: typeof c.function.arguments === 'string' ? c.function.arguments : '',
    });
  }
  return calls;
}

/** Reads a whole `chat.completion` answer. Only choice 0 is read (`n` > 1 is not supported). */
export function parseOpenAIChatCompletion(json: unknown): ParsedAnswer {
  const err = providerError(json);
  if (err) throw new InBandError('protocol', `error in a 200 answer: ${err.message}`, err.type, err.code);
  if (!isObject(json) || !Array.isArray(json.choices)) {
    throw new ProtocolViolation('answer has no choices array');
  }
  const choice = json.choices[0];
  if (!isObject(choice) || !isObject(choice.message)) {
    throw new ProtocolViolation('answer has no choices[0].message');
  }
  const message = choice.message;
  let text = typeof message.content === 'string' ? message.content : '';
  if (text.length === 0 && typeof message.refusal === 'string') text = message.refusal;
  return {
    text,
    toolCalls: readToolCalls(message.tool_calls),
    finishReason: stringOrNull(choice.finish_reason),
    responseModel: stringOrNull(json.model),
    systemFingerprint: stringOrNull(json.system_fingerprint),
    usage: hasOpenAIUsage(json.usage) ? normaliseOpenAIUsage(json.usage) : null,
  };
}

/** Rebuilds an answer from `chat.completion.chunk` events. */
export class OpenAIStreamAccumulator implements StreamAccumulator {
  done = false;
  private text = '';
  private readonly tools: ToolCall[] = [];
  private finishReason: string | null = null;
  private responseModel: string | null = null;
  private systemFingerprint: string | null = null;
  private usage: ParsedAnswer['usage'] = null;

  onEvent(event: SseEvent): boolean {
    if (this.done) return false;
    const data = event.data;
    if (data === '[DONE]') {
      this.done = true;
      return false;
    }
    const chunk = parseJsonOrViolation(data, 'stream chunk');
    if (!isObject(chunk)) throw new ProtocolViolation('stream chunk is not a JSON object');
    const err = providerError(chunk);
    if (err)
      throw new InBandError('stream_interrupted', `error in stream: ${err.message}`, err.type, err.code);
    if (this.responseModel === null && typeof chunk.model === 'string') this.responseModel = chunk.model;
    if (typeof chunk.system_fingerprint === 'string') this.systemFingerprint = chunk.system_fingerprint;
    if (hasOpenAIUsage(chunk.usage)) this.usage = normaliseOpenAIUsage(chunk.usage);
    const choices = chunk.choices;
    if (!Array.isArray(choices) || choices.length === 0) return false;
    const choice = choices[0];
    if (!isObject(choice)) return false;
    if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
    const delta = choice.delta;
    if (!isObject(delta)) return false;
    let output = false;
    if (typeof delta.content === 'string' && delta.content.length > 0) {
      this.text += delta.content;
      output = true;
    }
    if (typeof delta.refusal === 'string' && delta.refusal.length > 0) {
      this.text += delta.refusal;
      output = true;
    }
    if (
      (typeof delta.reasoning_content === 'string' && delta.reasoning_content.length > 0) ||
      (typeof delta.reasoning === 'string' && delta.reasoning.length > 0)
    ) {
      output = true;
    }
    if (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) {
      this.addToolDeltas(delta.tool_calls);
      output = true;
    }
    return output;
  }

  /** Fragments are keyed by `index`; the name arrives once, the arguments in pieces. */
  private addToolDeltas(deltas: unknown[]): void {
    for (const d of deltas) {
      if (!isObject(d)) continue;
      const index = typeof d.index === 'number' ? d.index : this.tools.length;
      let call = this.tools[index];
      if (!call) {
        call = { name: '', arguments: '' };
        this.tools[index] = call;
      }
      const fn = d.function;
      if (!isObject(fn)) continue;
      // Some relays repeat the name on every fragment; keep the first.
      if (typeof fn.name === 'string' && fn.name.length > 0 && call.name === '') call.name = fn.name;
      if (typeof fn.arguments === 'string') call.arguments += fn.arguments;
    }
  }

  result(): ParsedAnswer {
    return {
      text: this.text,
      // A sparse index (a relay skipping one) must not leave holes.
      toolCalls: this.tools.filter((c) => c !== undefined),
      finishReason: this.finishReason,
      responseModel: this.responseModel,
      systemFingerprint: this.systemFingerprint,
      usage: this.usage,
    };
  }
}

/** Options the OpenAI adapter reads from the provider config. */
export interface OpenAIAdapterOptions {
  /** Ask for the usage chunk when streaming. Default true. */
  streamUsage: boolean;
}

export function openAIAdapter(options: OpenAIAdapterOptions): ProtocolAdapter {
  return {
    path: '/chat/completions',
    buildBody: (request, model, stream) =>
      JSON.stringify(buildOpenAIBody(request, model, stream, options.streamUsage)),
    parseAnswer: parseOpenAIChatCompletion,
    newStream: () => new OpenAIStreamAccumulator(),
  };
}
