/**
 * An inbound Anthropic Messages request in the OpenAI chat shape the rest of
 * shadowgate speaks (mirrors, the store, recorded scenario lines): the
 * reverse of toAnthropicRequest (src/providers/anthropic-translate.ts), so a
 * request that goes there and back arrives as it was sent.
 * - `system` (a string or text blocks) -> one system message;
 * - text blocks -> text; image blocks -> `image_url` parts (base64 as a data URL);
 * - assistant `tool_use` blocks -> `tool_calls` with JSON-string arguments;
 *   user `tool_result` blocks -> `tool` messages;
 * - max_tokens, temperature, top_p kept; stop_sequences -> stop; tools ->
 *   function tools; tool_choice auto/any/none/tool -> auto/required/none/{function};
 *   metadata.user_id -> user.
 * Other Anthropic parameters (thinking, top_k, ...) have no chat equivalent and are dropped.
 */
import { isObject } from '../providers/protocol-adapter.js';
import type { ChatContentPart, ChatMessage, ChatRequest } from '../providers/types.js';

type Block = Record<string, unknown>;

function blocksOf(content: unknown): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter(isObject) : [];
}

function textOf(content: unknown): string {
  return blocksOf(content)
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('\n');
}

function imagePart(block: Block): ChatContentPart | null {
  const source = isObject(block.source) ? block.source : null;
  if (!source) return null;
  if (source.type === 'base64' && typeof source.data === 'string')
    return {
      type: 'image_url',
      image_url: { url: `data:${String(source.media_type)};base64,${source.data}` },
    };
  if (source.type === 'url' && typeof source.url === 'string')
    return { type: 'image_url', image_url: { url: source.url } };
  return null;
}

/** Content as a plain string when it is text only, else as parts. */
function chatContent(blocks: Block[]): ChatMessage['content'] {
  const parts: ChatContentPart[] = [];
  for (const b of blocks) {
    if (b.type === 'text' && typeof b.text === 'string') parts.push({ type: 'text', text: b.text });
    else if (b.type === 'image') {
      const p = imagePart(b);
      if (p) parts.push(p);
    }
  }
  if (parts.every((p) => p.type === 'text')) return parts.map((p) => (p as { text: string }).text).join('\n');
  return parts;
}

export function fromAnthropicRequest(json: Record<string, unknown>): ChatRequest | null {
  if (typeof json.model !== 'string' || !Array.isArray(json.messages)) return null;
  const messages: ChatMessage[] = [];
  const system = typeof json.system === 'string' ? json.system : textOf(json.system);
  if (system.length > 0) messages.push({ role: 'system', content: system });
  for (const m of json.messages) {
    if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant')) continue;
    const blocks = blocksOf(m.content);
    if (m.role === 'assistant') {
      const calls = blocks
        .filter((b) => b.type === 'tool_use')
        .map((b) => ({
          id: String(b.id ?? ''),
          type: 'function' as const,
          function: { name: String(b.name ?? ''), arguments: JSON.stringify(b.input ?? {}) },
        }));
      const content = chatContent(blocks);
      const msg: ChatMessage = {
        role: 'assistant',
        content: calls.length > 0 && content === '' ? null : content,
      };
      if (calls.length > 0) msg.tool_calls = calls;
      messages.push(msg);
      continue;
    }
    for (const b of blocks) {
      if (b.type === 'tool_result')
        messages.push({
          role: 'tool',
          tool_call_id: String(b.tool_use_id ?? ''),
          content: textOf(b.content),
        });
    }
    const rest = blocks.filter((b) => b.type !== 'tool_result');
    if (rest.length > 0) messages.push({ role: 'user', content: chatContent(rest) });
  }
  const out: ChatRequest = { model: json.model, messages };
  if (typeof json.max_tokens === 'number') out.max_tokens = json.max_tokens;
  if (typeof json.temperature === 'number') out.temperature = json.temperature;
  if (typeof json.top_p === 'number') out.top_p = json.top_p;
  if (Array.isArray(json.stop_sequences)) out.stop = json.stop_sequences as string[];
  if (Array.isArray(json.tools) && json.tools.length > 0) {
    out.tools = json.tools.filter(isObject).map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(typeof t.description === 'string' ? { description: t.description } : {}),
        parameters: isObject(t.input_schema) ? t.input_schema : { type: 'object', properties: {} },
      },
    }));
    const choice = isObject(json.tool_choice) ? json.tool_choice : null;
    if (choice?.type === 'auto') out.tool_choice = 'auto';
    else if (choice?.type === 'any') out.tool_choice = 'required';
    else if (choice?.type === 'none') out.tool_choice = 'none';
    else if (choice?.type === 'tool' && typeof choice.name === 'string')
      out.tool_choice = { type: 'function', function: { name: choice.name } };
    if (choice?.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  }
  const metadata = isObject(json.metadata) ? json.metadata : null;
  if (typeof metadata?.user_id === 'string') out.user = metadata.user_id;
  return out;
}
