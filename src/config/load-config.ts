import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../shared/errors.js';
import type { ExperimentConfig } from './types.js';
import { validateConfig } from './validate-config.js';

export { redactedConfigJson } from './redacted-config.js';
export { resolveModel, retryPolicyFor } from './resolve-model.js';

/**
 * Reads an experiment config, YAML or JSON (by extension; otherwise by
 * content: a file starting with `{` is JSON), and validates it. Throws
 * ConfigError listing every problem with its path.
 */
export function loadConfig(path: string): ExperimentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `config file not found: ${path}`
        : `cannot read config ${path}: ${(err as Error).message}`,
    );
  }
  const parsed = parseConfigText(text, path);
  const result = validateConfig(parsed);
  if ('errors' in result) {
    const n = result.errors.length;
    throw new ConfigError(`invalid config ${path} (${n} problem${n === 1 ? '' : 's'})`, result.errors);
  }
  return result.value;
}

/** Parses YAML or JSON text; syntax errors become a ConfigError with line numbers. */
export function parseConfigText(text: string, path: string): unknown {
  const ext = extname(path).toLowerCase();
  const json = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && text.trimStart().startsWith('{'));
  if (json) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`invalid JSON in config ${path}: ${(err as Error).message}`);
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const line = e.linePos?.[0];
      const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return `${path}${line ? `:${line.line}:${line.col}` : ''}: ${message}`;
    });
    throw new ConfigError(`invalid YAML in config ${path}`, problems);
  }
  return doc.toJS();
}

/**
 * Fails before a run starts when a provider's key variable is unset or empty.
 * The message names the variable, never a value.
 */
export function checkApiKeys(config: ExperimentConfig, env: Record<string, string | undefined>): void {
  const problems: string[] = [];
  const missing = new Set<string>();
  for (const provider of [config.providers.baseline, config.providers.candidate]) {
    const name = provider.apiKeyEnv;
    if (name !== undefined && !env[name]) {
      missing.add(name);
      problems.push(`providers.${provider.name}.apiKeyEnv: environment variable ${name} is not set`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`API key not set: ${[...missing].join(', ')}`, problems);
}
