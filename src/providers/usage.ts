/**
 * Token usage in one inclusive form (see `Usage`): input includes cached
 * tokens, cache reads and writes are split out, output includes reasoning.
 */
import { createRequire } from 'node:module';
import type { ChatContentPart, ChatRequest, Usage } from './types.js';

/** OpenAI's `usage` object (Chat Completions), as far as we read it. */
export interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

/** Anthropic's `usage` object (Messages API). `input_tokens` EXCLUDES cache reads and writes. */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

function count(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
}

/** True when the object carries token counts we can use. */
export function hasOpenAIUsage(u: unknown): u is OpenAIUsage {
  if (u === null || typeof u !== 'object') return false;
  const o = u as OpenAIUsage;
  return typeof o.prompt_tokens === 'number' || typeof o.completion_tokens === 'number';
}

export function hasAnthropicUsage(u: unknown): u is AnthropicUsage {
  if (u === null || typeof u !== 'object') return false;
  const o = u as AnthropicUsage;
  return typeof o.input_tokens === 'number' || typeof o.output_tokens === 'number';
}

/** OpenAI already reports inclusively: prompt_tokens counts the cached ones. */
export function normaliseOpenAIUsage(u: OpenAIUsage): Usage {
  return {
    inputTokens: count(u.prompt_tokens),
    cachedTokens: count(u.prompt_tokens_details?.cached_tokens),
    cacheWriteTokens: 0,
    outputTokens: count(u.completion_tokens),
    reasoningTokens: count(u.completion_tokens_details?.reasoning_tokens),
  };
}

/**
 * Anthropic's input_tokens leaves out cache reads and cache writes, so the
 * inclusive input is the sum of the three. Anthropic does not split out
 * reasoning (thinking) tokens: they are in output_tokens, reasoningTokens is 0.
 */
export function normaliseAnthropicUsage(u: AnthropicUsage): Usage {
  const cachedTokens = count(u.cache_read_input_tokens);
  const cacheWriteTokens = count(u.cache_creation_input_tokens);
  return {
    inputTokens: count(u.input_tokens) + cachedTokens + cacheWriteTokens,
    cachedTokens,
    cacheWriteTokens,
    outputTokens: count(u.output_tokens),
    reasoningTokens: 0,
  };
}

type CountTokens = (text: string) => number;
let countTokensFn: CountTokens | null = null;

/**
 * The tokenizer's tables take ~300 ms to load: loaded by preloadTokenizer
 * before a replay's first request, or else on the first estimate.
 * o200k_base is the encoding of current OpenAI models; for other vendors it
 * is an approximation, which is what `usageSource: 'estimated'` says.
 */
function countTokens(text: string): number {
  if (text.length === 0) return 0;
  return (countTokensFn ?? loadTokenizer())(text);
}

function loadTokenizer(): CountTokens {
  const require = createRequire(import.meta.url);
  const mod = require('gpt-tokenizer/encoding/o200k_base') as { countTokens: CountTokens };
  countTokensFn = mod.countTokens;
  return countTokensFn;
}

/**
 * Loads the tokenizer now, once per process. A replay calls it before its
 * first request: loaded on the first estimate instead, its ~300 ms (more on
 * a busy machine) of synchronous work would stall the event loop while
 * requests are in flight, and every one of them would read its end late by
 * as much (the run's instrument saw 680 ms in the demo).
 */
export function preloadTokenizer(): void {
  if (countTokensFn === null) loadTokenizer();
}

function contentText(content: string | null | ChatContentPart[] | undefined): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const part of content) {
    if (part.type === 'text' && typeof part.text === 'string') out += part.text;
  }
  return out;
}

/** Per-message framing tokens in OpenAI's chat format (`<|im_start|>role ... <|im_end|>`). */
const TOKENS_PER_MESSAGE = 3;
/** Every reply is primed with `<|im_start|>assistant`. */
const TOKENS_REPLY_PRIMING = 3;

/**
 * Estimates usage with a real tokenizer when the provider reported none.
 * Input counts every message's text, tool-call arguments and the tool
 * definitions plus chat framing; output counts `outputText` (pass the answer
 * text with any tool-call arguments appended). Never returns zero output for
 * a non-empty answer, so an unreported usage can never cost nothing.
 */
export function estimateUsage(request: ChatRequest, outputText: string): Usage {
  let inputTokens = TOKENS_REPLY_PRIMING;
  for (const m of request.messages ?? []) {
    inputTokens += TOKENS_PER_MESSAGE + countTokens(m.role) + countTokens(contentText(m.content));
    if (m.name) inputTokens += countTokens(m.name);
    for (const call of m.tool_calls ?? []) {
      inputTokens += countTokens(call.function.name) + countTokens(call.function.arguments);
    }
  }
  if (Array.isArray(request.tools) && request.tools.length > 0) {
    inputTokens += countTokens(JSON.stringify(request.tools));
  }
  return {
    inputTokens,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: countTokens(outputText),
    reasoningTokens: 0,
  };
}
