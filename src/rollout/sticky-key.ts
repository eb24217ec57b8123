import type { ScenarioPrompt } from '../scenario/scenario-line.js';

/**
 * The unit of assignment for a request: the first of the plan's key paths
 * that is present (`id`, `request.FIELD`, `metadata.PATH`, or a bare path,
 * looked up in the metadata), as a string; the
 * prompt id when none is (or when the path is `id`). A production router passes the same value to
 * routeFor, so the rehearsal routes each key exactly as it will.
 */
export function stickyKeyOf(prompt: ScenarioPrompt, paths: readonly string[], cycle = 0): string {
  for (const path of paths) {
    if (path === 'id') break;
    const value = valueAt(prompt, path);
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  // A prompt id is not a user: when the rehearsal replays the scenario again,
  // each pass is new traffic, keyed `<id>#<cycle>` from the second pass on.
  return cycle === 0 ? prompt.id : `${prompt.id}#${cycle}`;
}

function valueAt(prompt: ScenarioPrompt, path: string): unknown {
  if (path === 'id') return prompt.id;
  const parts = path.split('.');
  const head = parts[0];
  // `metadata.X` and `request.X` name their root; any other path is looked up in the metadata.
  const rooted = head === 'metadata' || head === 'request';
  const rest = rooted ? parts.slice(1) : parts;
  let node: unknown = head === 'request' ? (prompt.request as unknown) : prompt.metadata;
  for (const part of rest) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
