import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from '../shared/errors.js';
import type { MetricScope } from './metrics.js';
import { type GatesFile, validateGates } from './validate-gates.js';

/**
 * Reads and validates a gates file, YAML or JSON (YAML 1.2 reads both).
 * Throws ConfigError listing every problem, each prefixed with the file path.
 */
export function loadGates(path: string, scope: MetricScope = 'shadow'): GatesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new ConfigError(`cannot read gates file ${path}: ${reason}`);
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (e) {
    throw new ConfigError(
      `gates file ${path} is not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  const result = validateGates(parsed, scope);
  if ('errors' in result) {
    throw new ConfigError(`gates file ${path} has ${result.errors.length} problem(s)`, result.errors);
  }
  return result.value;
}
