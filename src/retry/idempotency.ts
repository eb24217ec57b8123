import { sha256Hex } from '../shared/sha256-hex.js';

/**
 * One idempotency key per logical request, derived from (run, prompt, arm), so
 * a resumed run sends the same key again, on every attempt. Formatted as a
 * version-8 (custom) UUID from the SHA-256 of the three parts; JSON encoding
 * keeps `("a:b", "c")` and `("a", "b:c")` apart.
 */
export function idempotencyKey(runId: string, promptId: string, arm: string): string {
  const hex = sha256Hex(JSON.stringify([runId, promptId, arm]));
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
