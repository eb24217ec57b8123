/**
 * Anthropic's Messages API: POST {baseUrl}/messages, whole `message` answers
 * and the typed event stream (message_start ... message_stop).
 */
import { fromAnthropicMessage, mapAnthropicStopReason, toAnthropicRequest } from './anthropic-translate.js';
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
import type { ToolCall } from './types.js';
import { type AnthropicUsage, hasAnthropicUsage, normaliseAnthropicUsage } from './usage.js';

/** Default `anthropic-version` header. */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

function inBand(json: Record<string, unknown>, errorClass: 'protocol' | 'stream_interrupted'): InBandError {
  const e = isObject(json.error) ? json.error : {};
  const message = typeof e.message === 'string' ? e.message : 'error';
  return new InBandError(errorClass, `error event: ${message}`, stringOrNull(e.type), null);
}

const USAGE_FIELDS = [
  'input_tokens',
  'output_tokens',
  'cache_read_input_tokens',
  'cache_creation_input_tokens',
] as const;

/** Rebuilds an answer from Anthropic's stream events. */
export class AnthropicStreamAccumulator implements StreamAccumulator {
  done = false;
  private text = '';
  /** By content-block index; only tool_use blocks have an entry. */
  private readonly tools = new Map<number, ToolCall>();
  private finishReason: string | null = null;
  private responseModel: string | null = null;
  private usage: AnthropicUsage | null = null;

  onEvent(event: SseEvent): boolean {
    if (this.done) return false;
    const json = parseJsonOrViolation(event.data, 'stream event');
    if (!isObject(json)) throw new ProtocolViolation('stream event is not a JSON object');
    const type = typeof json.type === 'string' ? json.type : event.event;
    switch (type) {
      case 'message_start': {
        const message = isObject(json.message) ? json.message : {};
        this.responseModel = stringOrNull(message.model);
        this.mergeUsage(message.usage);
        return false;
      }
      case 'content_block_start': {
        const block = json.content_block;
        if (isObject(block) && block.type === 'tool_use' && typeof json.index === 'number') {
          this.tools.set(json.index, {
            name: typeof block.name === 'string' ? block.name : '',
            arguments: '',
          });
          return true;
        }
        if (
          isObject(block) &&
          block.type === 'text' &&
          typeof block.text === 'string' &&
          block.text.length > 0
        ) {
          this.text += block.text;
          return true;
        }
        return false;
      }
      case 'content_block_delta':
        return this.onDelta(json);
      case 'message_delta': {
        if (isObject(json.delta) && json.delta.stop_reason !== undefined) {
          this.finishReason = mapAnthropicStopReason(json.delta.stop_reason);
        }
        this.mergeUsage(json.usage);
        return false;
      }
      case 'message_stop':
        this.done = true;
        return false;
      case 'error':
        throw inBand(json, 'stream_interrupted');
      default:
        // ping, content_block_stop, and event types added later.
        return false;
    }
  }

  private onDelta(json: Record<string, unknown>): boolean {
    const delta = json.delta;
    if (!isObject(delta)) return false;
    switch (delta.type) {
      case 'text_delta':
        if (typeof delta.text !== 'string') return false;
        this.text += delta.text;
        return delta.text.length > 0;
      case 'input_json_delta': {
        const call = typeof json.index === 'number' ? this.tools.get(json.index) : undefined;
        if (call && typeof delta.partial_json === 'string') call.arguments += delta.partial_json;
        return true;
      }
      case 'thinking_delta':
        return true;
      default:
        return false;
    }
  }

  /** message_delta carries cumulative counts; a field it carries replaces message_start's. */
  private mergeUsage(raw: unknown): void {
    if (!hasAnthropicUsage(raw)) return;
    this.usage ??= {};
    for (const f of USAGE_FIELDS) {
      const v = raw[f];
      if (typeof v === 'number') this.usage[f] = v;
    }
  }

  result(): ParsedAnswer {
    const toolCalls = [...this.tools.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, c]) => (c.arguments.length === 0 ? { name: c.name, arguments: '{}' } : c));
    return {
      text: this.text,
      toolCalls,
      finishReason: this.finishReason,
      responseModel: this.responseModel,
      systemFingerprint: null,
      usage: this.usage ? normaliseAnthropicUsage(this.usage) : null,
    };
  }
}

export function parseAnthropicAnswer(json: unknown): ParsedAnswer {
  if (isObject(json) && json.type === 'error') throw inBand(json, 'protocol');
  return fromAnthropicMessage(json);
}

export function anthropicAdapter(): ProtocolAdapter {
  return {
    path: '/messages',
    buildBody: (request, model, stream) => JSON.stringify(toAnthropicRequest(request, model, stream)),
    parseAnswer: parseAnthropicAnswer,
    newStream: () => new AnthropicStreamAccumulator(),
  };
}
