import type { ChatRequest } from '../providers/types.js';

/** Tokens a message costs beyond its text (role, separators), per OpenAI's chat format. */
const PER_MESSAGE_TOKENS = 4;
/** Tokens the reply primer adds to every request. */
const PER_REQUEST_TOKENS = 3;
/** A non-text part (image, audio, file) counted at a deliberately high flat rate. */
const NON_TEXT_PART_TOKENS = 1_000;
/** ASCII characters per token, below what BPE tokenizers give English (~4) and code (~3.3). */
const ASCII_CHARS_PER_TOKEN = 3;
/** The output cap assumed when a request sets none (for worst-case budgeting). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

/**
 * A cheap, upper-leaning estimate of a request's input tokens: ASCII text at
 * 3 characters a token, every other character (CJK, Hangul, accented
 * letters) a token of its own, plus per-message overhead and the JSON of
 * tools and response_format. No tokenizer on the hot path; it is used to
 * reserve budget, where overestimating is the safe side.
 */
export function estimateInputTokens(request: ChatRequest): number {
  const chars = { ascii: 0, other: 0 };
  let flat = PER_REQUEST_TOKENS;
  const count = (text: string) => countChars(text, chars);
  for (const message of Array.isArray(request.messages) ? request.messages : []) {
    flat += PER_MESSAGE_TOKENS;
    const content = message?.content;
    if (typeof content === 'string') count(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (part && part.type === 'text' && typeof part.text === 'string') count(part.text);
        else flat += NON_TEXT_PART_TOKENS;
      }
    }
    if (message?.tool_calls) count(JSON.stringify(message.tool_calls));
    if (typeof message?.name === 'string') count(message.name);
  }
  if (request.tools !== undefined) count(JSON.stringify(request.tools));
  if (request.response_format !== undefined) count(JSON.stringify(request.response_format));
  return flat + Math.ceil(chars.ascii / ASCII_CHARS_PER_TOKEN) + chars.other;
}

/**
 * The same upper-leaning estimate for a bare text (a broken stream's partial
 * answer): ASCII at 3 characters a token, every other character a token.
 */
export function estimateTextTokens(text: string): number {
  const chars = { ascii: 0, other: 0 };
  countChars(text, chars);
  return Math.ceil(chars.ascii / ASCII_CHARS_PER_TOKEN) + chars.other;
}

function countChars(text: string, into: { ascii: number; other: number }): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) into.ascii++;
    else if (c < 0xdc00 || c > 0xdfff) into.other++; // a surrogate pair counts once
  }
}

/** The request's output cap (`max_completion_tokens`, else `max_tokens`), or `fallback` when it sets none. */
export function maxOutputTokens(request: ChatRequest, fallback = DEFAULT_MAX_OUTPUT_TOKENS): number {
  const cap = request.max_completion_tokens ?? request.max_tokens;
  return typeof cap === 'number' && Number.isFinite(cap) && cap > 0 ? cap : fallback;
}
