import { HTTP_ERROR_FAULTS } from './faults.js';
import type { ResponsePlan } from './plan.js';

/**
 * Response bodies and stream events in OpenAI's Chat Completions and
 * Anthropic's Messages shapes. Stream events carry the time (ms from the
 * start of the response) at which they are due, so the server only has to
 * play the list.
 */

export interface TimedEvent {
  /** When the event is due, ms after the request was read (already scaled). */
  atMs: number;
  text: string;
  /** Index of the answer piece this event carries, or -1 for framing events. */
  piece: number;
}

/** Ids for one response. */
export interface ResponseIds {
  /** The completion / message id. */
  id: string;
  /** The tool call id, when the answer is a tool call. */
  toolCallId: string;
  /** Unix seconds. */
  created: number;
}

const FINGERPRINT = 'fp_sim';

const ANTHROPIC_STOP: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
};

/** Cuts a JSON text so it no longer parses (keeps at least one character). */
export function breakJson(text: string): string {
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}

/** Built as a template around the one JSON-escaped field: this is the hot path of every benchmark. */
export function openaiCompletionBody(plan: ResponsePlan, ids: ResponseIds, withUsage: boolean): string {
  const { answer } = plan;
  const message =
    answer.kind === 'tool-call'
      ? `{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"id":"${ids.toolCallId}","type":"function",` +
        `"function":{"name":${JSON.stringify(answer.toolName)},"arguments":${JSON.stringify(answer.text)}}}]}`
      : `{"role":"assistant","content":${JSON.stringify(answer.text)},"refusal":null}`;
  return (
    `{"id":"${ids.id}","object":"chat.completion","created":${ids.created},"model":${JSON.stringify(plan.model)},` +
    `"system_fingerprint":"${FINGERPRINT}","choices":[{"index":0,"message":${message},"logprobs":null,` +
    `"finish_reason":"${answer.finishReason}"}]${withUsage ? `,"usage":${openaiUsageJson(plan)}` : ''}}`
  );
}

function openaiUsageJson(plan: ResponsePlan): string {
  const p = plan.promptTokens;
  const c = plan.completionTokens;
  return (
    `{"prompt_tokens":${p},"completion_tokens":${c},"total_tokens":${p + c},` +
    `"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}`
  );
}

/**
 * The SSE events of a streamed chat completion: role and first piece at the
 * first-token delay, a piece per token after, then the finish chunk, the
 * usage chunk (when asked for) and `[DONE]`.
 */
export function openaiStreamEvents(
  plan: ResponsePlan,
  ids: ResponseIds,
  options: { withUsage: boolean; brokenPiece: number },
): TimedEvent[] {
  const { answer, ttftMs, tpotMs } = plan;
  const head =
    `data: {"id":"${ids.id}","object":"chat.completion.chunk","created":${ids.created},` +
    `"model":${JSON.stringify(plan.model)},"system_fingerprint":"${FINGERPRINT}","choices":[{"index":0,"delta":`;
  const open = ',"logprobs":null,"finish_reason":null}]}\n\n';
  const isTool = answer.kind === 'tool-call';
  const events: TimedEvent[] = [
    {
      atMs: ttftMs,
      text: `${head}{"role":"assistant","content":${isTool ? 'null' : '""'}}${open}`,
      piece: -1,
    },
  ];
  const pieces = answer.pieces;
  for (let i = 0; i < pieces.length; i++) {
    const piece = JSON.stringify(pieces[i]);
    let delta: string;
    if (!isTool) delta = `{"content":${piece}}`;
    else if (i === 0) {
      delta =
        `{"tool_calls":[{"index":0,"id":"${ids.toolCallId}","type":"function",` +
        `"function":{"name":${JSON.stringify(answer.toolName)},"arguments":${piece}}}]}`;
    } else delta = `{"tool_calls":[{"index":0,"function":{"arguments":${piece}}}]}`;
    let text = `${head}${delta}${open}`;
    if (i === options.brokenPiece) text = `${breakJson(text.slice(0, -2))}\n\n`;
    events.push({ atMs: ttftMs + i * tpotMs, text, piece: i });
  }
  const endMs = ttftMs + pieces.length * tpotMs;
  events.push({
    atMs: endMs,
    text: `${head}{},"logprobs":null,"finish_reason":"${answer.finishReason}"}]}\n\n`,
    piece: -1,
  });
  if (options.withUsage) {
    const usage = JSON.stringify({
      id: ids.id,
      object: 'chat.completion.chunk',
      created: ids.created,
      model: plan.model,
      system_fingerprint: FINGERPRINT,
      choices: [],
    });
    events.push({
      atMs: endMs,
      text: `data: ${usage.slice(0, -1)},"usage":${openaiUsageJson(plan)}}\n\n`,
      piece: -1,
    });
  }
  events.push({ atMs: endMs, text: 'data: [DONE]\n\n', piece: -1 });
  return events;
}

function anthropicUsage(plan: ResponsePlan, outputTokens: number) {
  return {
    input_tokens: plan.promptTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function anthropicToolInput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

export function anthropicMessageBody(plan: ResponsePlan, ids: ResponseIds, withUsage: boolean): string {
  const { answer } = plan;
  const content =
    answer.kind === 'tool-call'
      ? [
          {
            type: 'tool_use',
            id: ids.toolCallId,
            name: answer.toolName,
            input: anthropicToolInput(answer.text),
          },
        ]
      : [{ type: 'text', text: answer.text }];
  return JSON.stringify({
    id: ids.id,
    type: 'message',
    role: 'assistant',
    model: plan.model,
    content,
    stop_reason: ANTHROPIC_STOP[answer.finishReason],
    stop_sequence: null,
    ...(withUsage ? { usage: anthropicUsage(plan, plan.completionTokens) } : {}),
  });
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

/**
 * The Messages stream: message_start, content_block_start and a ping as soon
 * as the request is read, a content_block_delta per token from the first-token
 * delay, then content_block_stop, message_delta (stop reason, usage) and
 * message_stop.
 */
export function anthropicStreamEvents(
  plan: ResponsePlan,
  ids: ResponseIds,
  options: { withUsage: boolean; brokenPiece: number },
): TimedEvent[] {
  const { answer, ttftMs, tpotMs } = plan;
  const isTool = answer.kind === 'tool-call';
  const start = {
    type: 'message_start',
    message: {
      id: ids.id,
      type: 'message',
      role: 'assistant',
      model: plan.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      ...(options.withUsage ? { usage: anthropicUsage(plan, 1) } : {}),
    },
  };
  const block = isTool
    ? { type: 'tool_use', id: ids.toolCallId, name: answer.toolName, input: {} }
    : { type: 'text', text: '' };
  const events: TimedEvent[] = [
    { atMs: 0, text: sse('message_start', start), piece: -1 },
    {
      atMs: 0,
      text: sse('content_block_start', { type: 'content_block_start', index: 0, content_block: block }),
      piece: -1,
    },
    { atMs: 0, text: sse('ping', { type: 'ping' }), piece: -1 },
  ];
  const deltaHead = isTool
    ? '{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":'
    : '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":';
  for (let i = 0; i < answer.pieces.length; i++) {
    let data = `${deltaHead}${JSON.stringify(answer.pieces[i])}}}`;
    if (i === options.brokenPiece) data = breakJson(data);
    events.push({ atMs: ttftMs + i * tpotMs, text: sse('content_block_delta', data), piece: i });
  }
  const endMs = ttftMs + answer.pieces.length * tpotMs;
  const delta = {
    type: 'message_delta',
    delta: { stop_reason: ANTHROPIC_STOP[answer.finishReason], stop_sequence: null },
    ...(options.withUsage ? { usage: { output_tokens: plan.completionTokens } } : {}),
  };
  events.push(
    { atMs: endMs, text: sse('content_block_stop', { type: 'content_block_stop', index: 0 }), piece: -1 },
    { atMs: endMs, text: sse('message_delta', delta), piece: -1 },
    { atMs: endMs, text: sse('message_stop', { type: 'message_stop' }), piece: -1 },
  );
  return events;
}

type HttpErrorFault = keyof typeof HTTP_ERROR_FAULTS;

export function openaiErrorBody(fault: HttpErrorFault | 'limit', message?: string): string {
  const spec = HTTP_ERROR_FAULTS[fault === 'limit' ? '429' : fault];
  return JSON.stringify({
    error: { message: message ?? spec.message, type: spec.openaiType, param: null, code: spec.openaiCode },
  });
}

export function anthropicErrorBody(fault: HttpErrorFault | 'limit', message?: string): string {
  const spec = HTTP_ERROR_FAULTS[fault === 'limit' ? '429' : fault];
  return JSON.stringify({
    type: 'error',
    error: { type: spec.anthropicType, message: message ?? spec.message },
  });
}

export function invalidRequestBody(api: 'openai' | 'anthropic', message: string): string {
  return api === 'openai'
    ? JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: null } })
    : JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } });
}

/** The page a misconfigured proxy answers with: 200, text/html. */
export const HTML_ERROR_PAGE =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n' +
  '<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx (simulated)</center></body></html>\n';
