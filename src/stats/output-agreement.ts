/** A Markdown code fence around the whole answer, as models often add: ```json ... ``` or ``` ... ```. */
const FENCED = /^```[\w-]*[ \t]*\r?\n?([\s\S]*?)\r?\n?```$/u;

/** The JSON value an answer carries, or undefined. Trims, and unwraps one surrounding code fence. */
export function parseJsonAnswer(text: string): unknown {
  let body = text.trim();
  const fenced = FENCED.exec(body);
  if (fenced) body = fenced[1]!.trim();
  if (body === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Whether an answer is a JSON object or array (after trimming and unwrapping
 * a code fence). A bare scalar such as `42`, `true` or `"yes"` parses as JSON
 * but is an ordinary short answer, so it does not count: the measure is
 * whether a model kept to a structured-output contract.
 */
export function isValidJson(text: string): boolean {
  const value = parseJsonAnswer(text);
  return typeof value === 'object' && value !== null;
}

/** JSON text with object keys sorted at every depth, so that key order does not matter. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

export interface ToolCall {
  name: string;
  /** The arguments as the provider sent them: JSON text. */
  arguments: string;
}

/**
 * Whether two answers made the same tool calls, ignoring their order
 * (parallel calls come back in any order).
 *
 * - `names`: the same multiset of function names.
 * - `arguments`: the same multiset of (name, arguments) pairs, arguments
 *   compared as parsed JSON (key order and whitespace ignored; an empty
 *   string counts as `{}`, which some providers send for argument-less calls;
 *   text that is not JSON is compared trimmed, as is). Implies `names`.
 *
 * Two answers without tool calls agree on both.
 */
export function toolCallsAgree(a: ToolCall[], b: ToolCall[]): { names: boolean; arguments: boolean } {
  if (a.length !== b.length) return { names: false, arguments: false };
  const names = sameMultiset(
    a.map((call) => call.name),
    b.map((call) => call.name),
  );
  if (!names) return { names, arguments: false };
  const key = (call: ToolCall) => JSON.stringify([call.name, canonicalArguments(call.arguments)]);
  return { names, arguments: sameMultiset(a.map(key), b.map(key)) };
}

function canonicalArguments(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '{}';
  try {
    return canonicalJson(JSON.parse(trimmed));
  } catch {
    return trimmed;
  }
}

function sameMultiset(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const left = [...a].sort();
  const right = [...b].sort();
  return left.every((item, i) => item === right[i]);
}
