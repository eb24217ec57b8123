/** Reads the `retry:` block of an experiment config file (YAML or JSON); the IO side of validateRetryPolicy. */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../shared/errors.js';
import { type RetryPolicy, validateRetryPolicy } from './policy.js';

/** Throws ConfigError (exit 2) listing every problem; a file without `retry:` gives the defaults. */
export async function loadRetryPolicy(file: string): Promise<RetryPolicy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`cannot read ${file} (${code})`);
  }
  let doc: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both.
    doc = parseYaml(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`${file} is not valid YAML or JSON: ${detail}`);
  }
  if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) {
    throw new ConfigError(`${file}: the top level must be a mapping`);
  }
  const result = validateRetryPolicy((doc as Record<string, unknown> | null)?.retry, 'retry');
  if ('errors' in result) throw new ConfigError(`invalid retry policy in ${file}`, result.errors);
  return result.value;
}
