import type { ChatMessage, ChatRequest } from '../providers/types.js';

/** Which of the three line forms a prompt came from. */
export type ScenarioForm = 'batch' | 'plain' | 'recorded';
export const SCENARIO_FORMS: readonly ScenarioForm[] = ['batch', 'plain', 'recorded'];

/** One prompt of a scenario, ready to send. */
export interface ScenarioPrompt {
  /** `custom_id` (batch form) or `id`, else `line-<N>`. */
  id: string;
  /** 1-based line number in the file. */
  line: number;
  /** The OpenAI-style body, `model` included; scenario-only keys (id, metadata, timestamp, response) removed. */
  request: ChatRequest;
  metadata: Record<string, unknown> | null;
  /** Recorded-traffic lines: when the prompt was recorded, ms since the epoch. */
  timestampMs: number | null;
  /** Recorded-traffic lines: the answer recorded with it, as it was. */
  recordedResponse: unknown | null;
  form: ScenarioForm;
}

export type ParsedLine = { ok: true; prompt: ScenarioPrompt } | { ok: false; problems: string[] };

export const ROLES: readonly ChatMessage['role'][] = ['system', 'developer', 'user', 'assistant', 'tool'];
export const BATCH_URL = '/v1/chat/completions';

/** Keys of the plain and recorded forms that are ours, not the request's. */
const SCENARIO_KEYS = new Set(['id', 'metadata', 'timestamp', 'response']);
const BATCH_KEYS = new Set(['custom_id', 'method', 'url', 'body']);
/** Epoch values below this are almost surely seconds, not ms (it is 1973 in ms). */
const MIN_EPOCH_MS = 100_000_000_000;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses and checks one line. Every problem of the line is listed (joined
 * by the caller), so one pass over a file finds them all. Duplicate ids are
 * the caller's to detect: they need the whole file.
 */
export function parseScenarioLine(text: string, line: number): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`bad JSON: ${shortJsonError(err)}`] };
  }
  if (!isMapping(value)) return { ok: false, problems: ['not a JSON object'] };
  const problems: string[] = [];
  const isBatch = 'custom_id' in value || 'body' in value || ('url' in value && 'method' in value);
  let form: ScenarioForm;
  let id: string | null;
  let body: unknown;
  let metadata: Record<string, unknown> | null = null;
  let timestampMs: number | null = null;
  let recordedResponse: unknown = null;

  if (isBatch) {
    form = 'batch';
    for (const key of Object.keys(value)) {
      if (!BATCH_KEYS.has(key))
        problems.push(`unknown key "${key}" in a batch line (custom_id, method, url, body)`);
    }
    id = checkId(value['custom_id'], 'custom_id', problems, true);
    if (value['method'] !== 'POST') problems.push(`method must be "POST", got ${describe(value['method'])}`);
    if (value['url'] !== BATCH_URL)
      problems.push(`url must be "${BATCH_URL}", got ${describe(value['url'])}`);
    body = value['body'];
    if (!isMapping(body)) {
      problems.push('body must be a JSON object (the chat request)');
      return { ok: false, problems };
    }
  } else {
    form = 'timestamp' in value || 'response' in value ? 'recorded' : 'plain';
    id = checkId(value['id'], 'id', problems, false);
    if (value['metadata'] !== undefined && value['metadata'] !== null) {
      if (!isMapping(value['metadata'])) problems.push('metadata must be a JSON object');
      else metadata = value['metadata'];
    }
    if (value['timestamp'] !== undefined) timestampMs = checkTimestamp(value['timestamp'], problems);
    if (value['response'] !== undefined) recordedResponse = value['response'];
    const request: Record<string, unknown> = {};
    for (const key of Object.keys(value)) if (!SCENARIO_KEYS.has(key)) request[key] = value[key];
    body = request;
  }

  checkRequest(body as Record<string, unknown>, problems);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    prompt: {
      id: id ?? `line-${line}`,
      line,
      request: body as ChatRequest,
      metadata,
      timestampMs,
      recordedResponse,
      form,
    },
  };
}

function checkRequest(request: Record<string, unknown>, problems: string[]): void {
  const model = request['model'];
  if (model === undefined) problems.push('no model');
  else if (typeof model !== 'string' || model.trim() === '')
    problems.push('model must be a non-empty string');

  const messages = request['messages'];
  if (messages === undefined) problems.push('no messages');
  else if (!Array.isArray(messages)) problems.push('messages must be an array');
  else if (messages.length === 0) problems.push('messages is empty');
  else {
    for (let i = 0; i < messages.length; i++) checkMessage(messages[i], i, problems);
  }

  for (const key of ['max_tokens', 'max_completion_tokens']) {
    const v = request[key];
    if (v !== undefined && v !== null && !(Number.isInteger(v) && (v as number) >= 1)) {
      problems.push(`${key} must be an integer >= 1`);
    }
  }
  for (const key of ['temperature', 'top_p']) {
    const v = request[key];
    if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isFinite(v))) {
      problems.push(`${key} must be a number`);
    }
  }
  if (request['tools'] !== undefined && !Array.isArray(request['tools']))
    problems.push('tools must be an array');
  const format = request['response_format'];
  if (format !== undefined && format !== null && !isMapping(format)) {
    problems.push('response_format must be a JSON object');
  }
}

function checkMessage(message: unknown, index: number, problems: string[]): void {
  const where = `messages[${index}]`;
  if (!isMapping(message)) {
    problems.push(`${where} must be a JSON object`);
    return;
  }
  const role = message['role'];
  if (role === undefined) {
    problems.push(`${where} has no role`);
    return;
  }
  if (!ROLES.includes(role as ChatMessage['role'])) {
    problems.push(`${where}: unknown role ${describe(role)} (expected ${ROLES.join(', ')})`);
    return;
  }
  const content = message['content'];
  const hasToolCalls = Array.isArray(message['tool_calls']) && message['tool_calls'].length > 0;
  if (content === undefined || content === null) {
    if (!(role === 'assistant' && hasToolCalls)) problems.push(`${where} (${role}) has no content`);
  } else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      if (!isMapping(part) || typeof part['type'] !== 'string') {
        problems.push(`${where}.content[${j}] must be an object with a type`);
      } else if (part['type'] === 'text' && typeof part['text'] !== 'string') {
        problems.push(`${where}.content[${j}] (text) has no text`);
      }
    });
  } else if (typeof content !== 'string') {
    problems.push(`${where}.content must be a string or an array of parts`);
  }
  if (role === 'tool' && typeof message['tool_call_id'] !== 'string') {
    problems.push(`${where} (tool) has no tool_call_id`);
  }
}

function checkId(v: unknown, key: string, problems: string[], required: boolean): string | null {
  if (v === undefined || v === null) {
    if (required) problems.push(`no ${key}`);
    return null;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || v === '') {
    problems.push(`${key} must be a non-empty string`);
    return null;
  }
  return v;
}

function checkTimestamp(v: unknown, problems: string[]): number | null {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) {
      problems.push(`bad timestamp ${describe(v)}`);
      return null;
    }
    if (v < MIN_EPOCH_MS) {
      problems.push(`bad timestamp ${v}: looks like epoch seconds; use epoch ms or ISO-8601`);
      return null;
    }
    return v;
  }
  if (typeof v === 'string' && ISO_8601.test(v.trim())) {
    const ms = Date.parse(v.trim());
    if (Number.isFinite(ms)) return ms;
  }
  problems.push(`bad timestamp ${describe(v)}: expected ISO-8601 or epoch ms`);
  return null;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value for an error message, never long. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function shortJsonError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // V8 appends the whole offending text to some messages; keep the first clause.
  return message.split(/\n|, "/)[0]!.slice(0, 120);
}
