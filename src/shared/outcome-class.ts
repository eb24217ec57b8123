/**
 * Outcome classes: the name of what happened to one attempt or one logical
 * request. Stored as `error_class` in the `attempts` and `requests` tables, so
 * the strings are a public contract.
 */
export const ERROR_CLASSES = [
  'http_429',
  'http_5xx',
  'http_4xx',
  'timeout_connect',
  'timeout_headers',
  'timeout_body',
  'timeout_total',
  'network',
  'protocol',
  'stream_interrupted',
  'circuit_open',
  'retry_budget_exhausted',
  'deadline_exceeded',
  'canceled',
] as const;

export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** Classes that are refusals by our own engine, not failures of the provider. */
export const ENGINE_REFUSALS: readonly ErrorClass[] = ['circuit_open', 'retry_budget_exhausted'];

export function isErrorClass(s: string): s is ErrorClass {
  return (ERROR_CLASSES as readonly string[]).includes(s);
}

/** Which server hint decided a retry delay. Stored as `attempts.hint`. */
export type RetryHint = 'x-should-retry' | 'retry-after-ms' | 'retry-after';
