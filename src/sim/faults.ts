/**
 * The faults the simulator can inject, in the order a draw walks them. The
 * strings are the values of the `x-sim-fault` ground-truth header and the keys
 * of a profile's `faultRates`, so they are a public contract.
 */
export const FAULT_KINDS = [
  '429',
  '500',
  '502',
  '503',
  '504',
  '529',
  'reset',
  'hang',
  'stall',
  'cutoff',
  'malformed-json',
  'html',
  'missing-usage',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults the real limiter answers with (not drawn: they happen when a budget runs out). */
export const LIMITER_FAULTS = ['limit-rpm', 'limit-tpm'] as const;
export type LimiterFault = (typeof LIMITER_FAULTS)[number];

/** What `x-sim-fault` can say: `none`, a drawn fault, or a limiter refusal. */
export type SimFault = 'none' | FaultKind | LimiterFault;

/** HTTP error statuses the simulator answers with, and the error type/code each carries. */
export const HTTP_ERROR_FAULTS: Record<
  '429' | '500' | '502' | '503' | '504' | '529',
  { status: number; openaiType: string; openaiCode: string; anthropicType: string; message: string }
> = {
  '429': {
    status: 429,
    openaiType: 'requests',
    openaiCode: 'rate_limit_exceeded',
    anthropicType: 'rate_limit_error',
    message: 'Rate limit reached for requests (simulated).',
  },
  '500': {
    status: 500,
    openaiType: 'server_error',
    openaiCode: 'internal_error',
    anthropicType: 'api_error',
    message: 'The server had an error while processing your request (simulated).',
  },
  '502': {
    status: 502,
    openaiType: 'server_error',
    openaiCode: 'bad_gateway',
    anthropicType: 'api_error',
    message: 'Bad gateway (simulated).',
  },
  '503': {
    status: 503,
    openaiType: 'server_error',
    openaiCode: 'service_unavailable',
    anthropicType: 'api_error',
    message: 'The engine is currently overloaded, please try again later (simulated).',
  },
  '504': {
    status: 504,
    openaiType: 'server_error',
    openaiCode: 'gateway_timeout',
    anthropicType: 'api_error',
    message: 'Gateway timeout (simulated).',
  },
  '529': {
    status: 529,
    openaiType: 'overloaded_error',
    openaiCode: 'overloaded',
    anthropicType: 'overloaded_error',
    message: 'Overloaded (simulated).',
  },
};

export function isFaultKind(s: string): s is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(s);
}

/**
 * Picks at most one fault for a request: `u` (uniform in [0, 1)) walks the
 * cumulative rates in FAULT_KINDS order. Rates summing past 1 saturate: the
 * later kinds then never fire.
 */
export function chooseFault(rates: Partial<Record<FaultKind, number>>, u: number): FaultKind | 'none' {
  let cumulative = 0;
  for (const kind of FAULT_KINDS) {
    cumulative += rates[kind] ?? 0;
    if (u < cumulative) return kind;
  }
  return 'none';
}
