import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ProviderKind } from '../config/types.js';
import { UsageError } from '../shared/errors.js';
import { apiKeyEnvFor, configTemplate, planTemplate, scenarioTemplate } from './templates.js';

/** The files init writes, relative to its directory. */
export const INIT_FILES = {
  config: 'shadowgate.yaml',
  plan: 'plan.yaml',
  scenario: 'prompts.jsonl',
} as const;

export interface InitOptions {
  /** Where the files go; created when missing. */
  dir: string;
  /** Default `openai`. */
  baseline?: ProviderKind;
  /** Default `openai` (an OpenAI-compatible relay). */
  candidate?: ProviderKind;
  /** Overwrite files that exist. Default false: any existing file stops init before it writes one. */
  force?: boolean;
  /** The directory holding the JSON Schemas (the package's `schema/`); `$schema=` points there, relative to `dir`. */
  schemaDir: string;
  /** The directory the printed commands are run from; default `dir`. */
  cwd?: string;
}

export interface InitResult {
  /** Absolute paths written, config first. */
  written: string[];
  /** The three commands to run next (keys, week 1, its report), paths relative to `cwd`. */
  next: string[];
}

/**
 * Writes a commented config, a rollout plan and an example scenario into
 * `dir`. Checks every target first: without `force`, an existing file is a
 * UsageError naming it, and nothing is written.
 */
export function initProject(options: InitOptions): InitResult {
  const dir = resolve(options.dir);
  const baseline = options.baseline ?? 'openai';
  const candidate = options.candidate ?? 'openai';
  const targets = Object.values(INIT_FILES).map((name) => join(dir, name));
  if (!options.force) {
    const existing = targets.filter((path) => existsSync(path));
    if (existing.length > 0) {
      throw new UsageError(
        `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing written (--force overwrites)`,
      );
    }
  }
  const schemaRef = (file: string) => {
    const rel = relative(dir, join(options.schemaDir, file));
    return isAbsolute(rel) ? rel : rel.split(sep).join('/');
  };
  const t = {
    baseline,
    candidate,
    configSchema: schemaRef('shadowgate.config.schema.json'),
    planSchema: schemaRef('rollout-plan.schema.json'),
  };
  mkdirSync(dir, { recursive: true });
  const [configPath, planPath, scenarioPath] = targets as [string, string, string];
  writeFileSync(configPath, configTemplate(t));
  writeFileSync(planPath, planTemplate(t));
  writeFileSync(scenarioPath, scenarioTemplate(baseline));
  const from = resolve(options.cwd ?? dir);
  const shown = (path: string) => {
    const rel = relative(from, path);
    return rel.startsWith('..') ? path : rel;
  };
  const keys = apiKeyEnvFor(baseline, candidate);
  return {
    written: targets,
    next: [
      `export ${keys.map((k) => `${k}=...`).join(' ')}`,
      `shadowgate run --config ${shown(configPath)} --scenario ${shown(scenarioPath)} --replica 0.1`,
      'shadowgate report shadow --run latest',
    ],
  };
}
