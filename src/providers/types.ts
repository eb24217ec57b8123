/** An OpenAI-style chat message as recorded in a scenario. */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | null | ChatContentPart[];
  name?: string;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export type ChatContentPart = { type: 'text'; text: string } | { type: string; [k: string]: unknown };

/** The recorded OpenAI-style request body: `model`, `messages` and any parameters. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  tools?: unknown[];
  tool_choice?: unknown;
  response_format?: unknown;
  [param: string]: unknown;
}

/**
 * Token usage in one inclusive form: `inputTokens` includes cached tokens
 * (OpenAI's convention); cache reads and writes are split out.
 */
export interface Usage {
  inputTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

/** `reported` by the provider, or `estimated` with a tokenizer when it left usage out. */
export type UsageSource = 'reported' | 'estimated';

export interface ToolCall {
  name: string;
  /** Concatenated JSON arguments, as the provider sent them. */
  arguments: string;
}

/** Per-attempt timing on a monotonic clock, ms from the moment the request was sent. */
export interface AttemptTiming {
  headersMs: number | null;
  /** First chunk with content, a tool-call delta or a reasoning delta. Non-streaming: = totalMs. */
  ttftMs: number | null;
  /** Last content chunk. */
  endMs: number | null;
  /** Stream closed / body read. */
  totalMs: number;
  /** (end - first token) / (output tokens - 1); null when under 2 output tokens. */
  tpotMs: number | null;
}

/** A successful answer, normalised across provider kinds. */
export interface ProviderResponse {
  status: number;
  text: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  responseModel: string | null;
  systemFingerprint: string | null;
  requestId: string | null;
  usage: Usage;
  usageSource: UsageSource;
  timing: AttemptTiming;
  /** `x-ratelimit-*` / `anthropic-ratelimit-*` headers, lower-cased names. */
  rateLimit: Record<string, string>;
  /** All response headers, lower-cased names (the simulator's `x-sim-*` ground truth lives here). */
  headers: Record<string, string>;
}

/** Phase timeouts for one attempt, ms. */
export interface AttemptTimeouts {
  connectMs: number;
  headersMs: number;
  /** Longest silence between body chunks. */
  bodyMs: number;
  /** Whole attempt. */
  totalMs: number;
}

export interface SendOptions {
  /** The model name to send (after the provider's modelMap). */
  model: string;
  stream: boolean;
  timeouts: AttemptTimeouts;
  signal?: AbortSignal;
  /**
   * `signal` already aborts once `timeouts.totalMs` has passed (the retry
   * engine's attempt timer does), so the client skips its own total timer and
   * controller and hands `signal` to undici directly. Default false.
   */
  signalEnforcesTotal?: boolean;
  /** Sent in the provider's idempotency header unless that is turned off. */
  idempotencyKey?: string;
}

/** One provider client: sends one attempt. The retry engine sits above it. */
export interface ProviderClient {
  readonly name: string;
  /** Resolves with the answer, or rejects with an `AttemptError` (src/shared/attempt-error.ts). */
  send(request: ChatRequest, options: SendOptions): Promise<ProviderResponse>;
  close(): Promise<void>;
}
