/**
 * Reads a Chat Completions or Messages request body into the few facts the
 * simulator answers from. Token counts are a cheap estimate (4 characters per
 * token plus a small per-message overhead), not a tokenizer: the simulator has
 * to stay fast, and it only needs to be deterministic.
 */

/** Which wire shape a request came in (and the answer goes out) in. */
export type SimApi = 'openai' | 'anthropic';

export interface SimRequest {
  api: SimApi;
  model: string;
  /** Every message's text, role-tagged, one per line: what the answer is derived from. */
  promptText: string;
  /** Estimated prompt tokens. */
  promptTokens: number;
  /** max_tokens or max_completion_tokens; null when the request sets none. */
  maxTokens: number | null;
  stream: boolean;
  /** OpenAI `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Set when the request asks for JSON output; `schema` is the JSON schema when one was given. */
  json: { schema: unknown } | null;
  /** The first tool offered, when any: the one a tool-call answer calls. */
  tool: { name: string; parameters: unknown } | null;
}

const PER_MESSAGE_OVERHEAD_TOKENS = 3;

/** Estimated tokens for a piece of text: ceil(chars / 4). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Text of a message `content`: a string, or the text of its parts (OpenAI parts, Anthropic blocks). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (!isRecord(part)) continue;
    if (typeof part.text === 'string') text += part.text;
    else if (part.type === 'tool_result') text += contentText(part.content);
    else if (part.type === 'tool_use' && part.input !== undefined) text += JSON.stringify(part.input);
  }
  return text;
}

function readMaxTokens(body: Record<string, unknown>): number | null {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : null;
}

function readPrompt(
  messages: unknown[],
  system: string | null,
): { promptText: string; promptTokens: number } {
  let promptText = '';
  let promptTokens = 0;
  if (system !== null) {
    promptText += `system: ${system}\n`;
    promptTokens += estimateTokens(system) + PER_MESSAGE_OVERHEAD_TOKENS;
  }
  for (const message of messages) {
    if (!isRecord(message)) continue;
    const text = contentText(message.content);
    const calls = Array.isArray(message.tool_calls) ? JSON.stringify(message.tool_calls) : '';
    promptText += `${String(message.role)}: ${text}${calls}\n`;
    promptTokens += estimateTokens(text) + estimateTokens(calls) + PER_MESSAGE_OVERHEAD_TOKENS;
  }
  return { promptText, promptTokens };
}

function toolsTokens(tools: unknown): number {
  return Array.isArray(tools) && tools.length > 0 ? estimateTokens(JSON.stringify(tools)) : 0;
}

/** Parses a POST /v1/chat/completions body; a string is the reason it is invalid (a 400). */
export function parseChatCompletionsRequest(body: unknown): SimRequest | string {
  if (!isRecord(body)) return 'the request body must be a JSON object';
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return "'messages' must be a non-empty array";
  if (typeof body.model !== 'string' || !body.model) return "'model' is required";
  const { promptText, promptTokens } = readPrompt(body.messages, null);

  let json: SimRequest['json'] = null;
  const format = body.response_format;
  if (isRecord(format) && format.type === 'json_object') json = { schema: null };
  if (isRecord(format) && format.type === 'json_schema') {
    const spec = isRecord(format.json_schema) ? format.json_schema : {};
    json = { schema: spec.schema ?? null };
  }

  let tool: SimRequest['tool'] = null;
  const first = Array.isArray(body.tools) ? body.tools[0] : undefined;
  if (isRecord(first) && isRecord(first.function) && typeof first.function.name === 'string') {
    tool = { name: first.function.name, parameters: first.function.parameters ?? null };
  }
  const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
  return {
    api: 'openai',
    model: body.model,
    promptText,
    promptTokens: promptTokens + toolsTokens(body.tools),
    maxTokens: readMaxTokens(body),
    stream: body.stream === true,
    includeUsage: streamOptions.include_usage === true,
    json,
    tool,
  };
}

/** Parses a POST /v1/messages body (Anthropic); a string is the reason it is invalid (a 400). */
export function parseMessagesRequest(body: unknown): SimRequest | string {
  if (!isRecord(body)) return 'the request body must be a JSON object';
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return 'messages: must be a non-empty array';
  if (typeof body.model !== 'string' || !body.model) return 'model: Field required';
  const maxTokens = readMaxTokens(body);
  if (maxTokens === null) return 'max_tokens: Field required';
  const system = body.system === undefined ? null : contentText(body.system);
  const { promptText, promptTokens } = readPrompt(body.messages, system);

  let tool: SimRequest['tool'] = null;
  const first = Array.isArray(body.tools) ? body.tools[0] : undefined;
  if (isRecord(first) && typeof first.name === 'string') {
    tool = { name: first.name, parameters: first.input_schema ?? null };
  }
  return {
    api: 'anthropic',
    model: body.model,
    promptText,
    promptTokens: promptTokens + toolsTokens(body.tools),
    maxTokens,
    stream: body.stream === true,
    includeUsage: true,
    json: null,
    tool,
  };
}
