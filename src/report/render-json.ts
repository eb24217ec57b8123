/**
 * The shadow report as JSON: snake_case keys, numbers cut to six significant
 * digits, null (never NaN) where a value could not be computed.
 */
import type { ShadowReport } from './shadow-report.js';

/** Keys whose children are data (error classes, metric names), kept as they are. */
const VERBATIM_CHILDREN = new Set(['errorsByClass', 'engineRefusals', 'metrics']);

/** Keys the published JSON contract spells differently from the model. */
const RENAMED: Record<string, string> = {
  costPer1kRequestsUsd: 'cost_per_1k_requests',
  costPer1mTokensUsd: 'cost_per_1m_tokens',
  costPerRequestUsd: 'cost_per_request',
};

export function renderJson(report: ShadowReport): string {
  return `${JSON.stringify(toJsonValue(report, false), null, 2)}\n`;
}

function toJsonValue(value: unknown, verbatimKeys: boolean): unknown {
  if (typeof value === 'number') return roundNumber(value);
  if (value === undefined) return null;
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, roundNumber);
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v, false));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[verbatimKeys ? key : snakeCase(key)] = toJsonValue(v, VERBATIM_CHILDREN.has(key));
  }
  return out;
}

function snakeCase(key: string): string {
  return RENAMED[key] ?? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function roundNumber(v: number): number | null {
  if (!Number.isFinite(v)) return null;
  if (Number.isInteger(v)) return v;
  return Number(v.toPrecision(6));
}
