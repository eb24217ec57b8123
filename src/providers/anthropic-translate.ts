/**
 * Pure translation between the recorded OpenAI-style request and Anthropic's
 * Messages API, and from Anthropic's answer back to the normalised form.
 */
import { isObject, type ParsedAnswer, ProtocolViolation, stringOrNull } from './protocol-adapter.js';
import type { ChatContentPart, ChatMessage, ChatRequest, ToolCall } from './types.js';
import { hasAnthropicUsage, normaliseAnthropicUsage } from './usage.js';

/**
 * Anthropic requires `max_tokens`; when the recorded request has neither
 * `max_tokens` nor `max_completion_tokens`, this is sent.
 */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 1024;

/** Anthropic `stop_reason` -> OpenAI `finish_reason`. Unknown reasons pass through unchanged. */
export const ANTHROPIC_STOP_REASONS: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function mapAnthropicStopReason(reason: unknown): string | null {
  if (typeof reason !== 'string') return null;
  return ANTHROPIC_STOP_REASONS[reason] ?? reason;
}

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

function partsToText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((p): p is { type: 'text'; text: string } => p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text)
    .join('\n');
}

/** `data:image/png;base64,...` -> a base64 source; any other URL -> a url source. */
function imageBlock(part: ChatContentPart): Block | null {
  const imageUrl = (part as { image_url?: unknown }).image_url;
  const url = typeof imageUrl === 'string' ? imageUrl : isObject(imageUrl) ? imageUrl.url : undefined;
  if (typeof url !== 'string') return null;
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { type: 'image', source: { type: 'base64', media_type: m[1], data: m[2] } };
  return { type: 'image', source: { type: 'url', url } };
}

function contentBlocks(content: ChatMessage['content']): Block[] {
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) return [];
  const blocks: Block[] = [];
  for (const part of content) {
    if (part.type === 'text' && typeof part.text === 'string') blocks.push({ type: 'text', text: part.text });
    else if (part.type === 'image_url') {
      const b = imageBlock(part);
      if (b) blocks.push(b);
    }
  }
  return blocks;
}

/** Tool arguments are a JSON string in OpenAI's shape, an object in Anthropic's. */
function parseArguments(args: string): Record<string, unknown> {
  if (args.trim().length === 0) return {};
  try {
    const v: unknown = JSON.parse(args);
    return isObject(v) ? v : { value: v };
  } catch {
    // Anthropic needs an object; keep the text rather than drop it.
    return { _raw_arguments: args };
  }
}

function translateTools(tools: unknown[]): Block[] {
  const out: Block[] = [];
  for (const t of tools) {
    if (!isObject(t)) continue;
    const fn = isObject(t.function) ? t.function : null;
    if (t.type === 'function' && fn && typeof fn.name === 'string') {
      const tool: Block = {
        name: fn.name,
        input_schema: isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
      };
      if (typeof fn.description === 'string') tool.description = fn.description;
      out.push(tool);
    }
  }
  return out;
}

function translateToolChoice(choice: unknown, parallel: unknown): Block | undefined {
  let out: Block | undefined;
  if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'required') out = { type: 'any' };
  else if (choice === 'none') out = { type: 'none' };
  else if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string') {
    out = { type: 'tool', name: choice.function.name };
  }
  if (parallel === false) out = { ...(out ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return out;
}

/**
 * Translates the recorded OpenAI-style request into an Anthropic Messages
 * request:
 * - system and developer messages -> `system` (joined with a blank line);
 * - assistant `tool_calls` -> `tool_use` blocks; `tool` messages -> `tool_result`
 *   blocks in a user turn; consecutive turns of one role are merged, as
 *   Anthropic wants user and assistant to alternate;
 * - `max_tokens` from max_tokens / max_completion_tokens, else DEFAULT_ANTHROPIC_MAX_TOKENS;
 * - `stop` -> `stop_sequences`; temperature, top_p passed as they are;
 * - function tools -> `{name, description, input_schema}`; tool_choice
 *   auto/required/none/{function} -> auto/any/none/tool; parallel_tool_calls: false
 *   -> disable_parallel_tool_use;
 * - `user` -> metadata.user_id.
 * Other OpenAI parameters (response_format, seed, n, penalties, logprobs) have
 * no Anthropic equivalent and are dropped.
 */
export function toAnthropicRequest(
  request: ChatRequest,
  model: string,
  stream: boolean,
): Record<string, unknown> {
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  const push = (role: AnthropicMessage['role'], blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of request.messages) {
    switch (m.role) {
      case 'system':
      case 'developer': {
        const text = partsToText(m.content);
        if (text.length > 0) system.push(text);
        break;
      }
      case 'user':
        push('user', contentBlocks(m.content));
        break;
      case 'assistant': {
        const blocks = contentBlocks(m.content);
        for (const call of m.tool_calls ?? []) {
          blocks.push({
            type: 'tool_use',
            id: call.id,
            name: call.function.name,
            input: parseArguments(call.function.arguments),
          });
        }
        push('assistant', blocks);
        break;
      }
      case 'tool':
        push('user', [
          { type: 'tool_result', tool_use_id: m.tool_call_id ?? '', content: partsToText(m.content) },
        ]);
        break;
    }
  }
  const body: Record<string, unknown> = {
    model,
    max_tokens: request.max_tokens ?? request.max_completion_tokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
    messages,
  };
  if (system.length > 0) body.system = system.join('\n\n');
  if (request.stop !== undefined && request.stop !== null) {
    body.stop_sequences = Array.isArray(request.stop) ? request.stop : [request.stop];
  }
  if (typeof request.temperature === 'number') body.temperature = request.temperature;
  if (typeof request.top_p === 'number') body.top_p = request.top_p;
  if (Array.isArray(request.tools) && request.tools.length > 0) body.tools = translateTools(request.tools);
  const toolChoice = translateToolChoice(request.tool_choice, request.parallel_tool_calls);
  if (toolChoice && Array.isArray(body.tools)) body.tool_choice = toolChoice;
  if (typeof request.user === 'string') body.metadata = { user_id: request.user };
  if (stream) body.stream = true;
  return body;
}

/**
 * Normalises an Anthropic `message` answer: text blocks joined, tool_use
 * blocks as tool calls with JSON-string arguments, stop_reason mapped to
 * OpenAI's finish_reason, usage made inclusive (see normaliseAnthropicUsage).
 */
export function fromAnthropicMessage(json: unknown): ParsedAnswer {
  if (!isObject(json) || !Array.isArray(json.content)) {
    throw new ProtocolViolation('answer has no content array');
  }
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of json.content) {
    if (!isObject(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'tool_use' && typeof block.name === 'string') {
      toolCalls.push({ name: block.name, arguments: JSON.stringify(block.input ?? {}) });
    }
  }
  return {
    text,
    toolCalls,
    finishReason: mapAnthropicStopReason(json.stop_reason),
    responseModel: stringOrNull(json.model),
    systemFingerprint: null,
    usage: hasAnthropicUsage(json.usage) ? normaliseAnthropicUsage(json.usage) : null,
  };
}
