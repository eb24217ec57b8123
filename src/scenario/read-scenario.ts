import { createHash } from 'node:crypto';
import { ScenarioError } from '../shared/errors.js';
import { HashedIdSet } from './hashed-id-set.js';
import { MAX_LINE_BYTES, readLineBatches } from './line-reader.js';
import { parseScenarioLine, type ScenarioPrompt } from './scenario-line.js';
import { type ScenarioStats, ScenarioStatsCollector } from './scenario-stats.js';

export interface ReadScenarioOptions {
  /** Skip invalid lines instead of throwing at the first. Default false. */
  skipInvalid?: boolean;
  /** The path printed in `FILE:LINE` messages, when it should differ from the path opened. */
  displayPath?: string;
  /**
   * The caller has just validated this file and found no invalid line, so the
   * duplicate-id check is skipped: its id set grows with the file (about 25 MB
   * at 1M lines). Every line is still parsed and checked. Default false.
   */
  knownDuplicateFree?: boolean;
}

export interface ValidateScenarioOptions {
  /** Problems kept in the result; the rest are only counted (`omittedProblems`). Default 100. */
  maxProblems?: number;
  displayPath?: string;
  /** Which valid prompts `selected` counts (a run's sampling), in the same pass. Default: all. */
  select?: (promptId: string) => boolean;
}

export interface ScenarioValidation {
  /** `FILE:LINE: what is wrong`, one per invalid line, the first `maxProblems` of them. */
  problems: string[];
  /** Invalid lines not listed in `problems`. */
  omittedProblems: number;
  valid: number;
  invalid: number;
  /** Valid prompts that `select` keeps; `valid` without it. */
  selected: number;
  /** sha256 of the file's bytes, hex: a resumed run checks it has not changed. */
  sha256: string;
  stats: ScenarioStats;
}

type CheckedLine =
  | { line: number; prompt: ScenarioPrompt; problem?: undefined }
  | { line: number; problem: string };

/** One pass of checks shared by validateScenario and readScenario, so both judge lines alike. Batches per chunk read. */
async function* checkedLines(
  path: string,
  options: { onChunk?: (chunk: Buffer) => void; checkDuplicates?: boolean } = {},
): AsyncGenerator<CheckedLine[]> {
  const { onChunk, checkDuplicates = true } = options;
  const ids = checkDuplicates ? new HashedIdSet() : null;
  try {
    for await (const lines of readLineBatches(path, onChunk ? { onChunk } : {})) {
      const out: CheckedLine[] = [];
      for (const { line, text } of lines) {
        if (text === null) {
          out.push({ line, problem: `line longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB` });
          continue;
        }
        if (isBlank(text)) continue;
        const parsed = parseScenarioLine(text, line);
        if (!parsed.ok) {
          out.push({ line, problem: parsed.problems.join('; ') });
          continue;
        }
        const firstLine = ids ? ids.addOrGetLine(parsed.prompt.id, line) : null;
        if (firstLine !== null) {
          out.push({
            line,
            problem: `duplicate id ${JSON.stringify(parsed.prompt.id)} (first on line ${firstLine})`,
          });
          continue;
        }
        out.push({ line, prompt: parsed.prompt });
      }
      yield out;
    }
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ScenarioError(
      code === 'ENOENT'
        ? `scenario file not found: ${path}`
        : `cannot read scenario ${path}: ${(err as Error).message}`,
    );
  }
}

/**
 * Streams a scenario's prompts; the file is never held in memory. Invalid
 * lines are skipped with `skipInvalid`; otherwise the iterator throws a
 * ScenarioError (`FILE:LINE: problem`) at the first one.
 */
export async function* readScenario(
  path: string,
  options: ReadScenarioOptions = {},
): AsyncGenerator<ScenarioPrompt> {
  const shown = options.displayPath ?? path;
  for await (const batch of checkedLines(path, { checkDuplicates: !options.knownDuplicateFree })) {
    for (const item of batch) {
      if (item.problem === undefined) yield item.prompt;
      else if (!options.skipInvalid) {
        const problem = `${shown}:${item.line}: ${item.problem}`;
        throw new ScenarioError(`invalid scenario line: ${problem}`, [problem]);
      }
    }
  }
}

/**
 * One streaming pass over a scenario: every problem (`FILE:LINE: what is
 * wrong`), the counts, the file's sha256 and its stats (over the valid lines).
 */
export async function validateScenario(
  path: string,
  options: ValidateScenarioOptions = {},
): Promise<ScenarioValidation> {
  const shown = options.displayPath ?? path;
  const maxProblems = options.maxProblems ?? 100;
  const hash = createHash('sha256');
  const stats = new ScenarioStatsCollector();
  const problems: string[] = [];
  const select = options.select;
  let valid = 0;
  let invalid = 0;
  let selected = 0;
  for await (const batch of checkedLines(path, { onChunk: (chunk) => hash.update(chunk) })) {
    for (const item of batch) {
      if (item.problem === undefined) {
        valid++;
        if (select === undefined || select(item.prompt.id)) selected++;
        stats.add(item.prompt);
      } else {
        invalid++;
        if (problems.length < maxProblems) problems.push(`${shown}:${item.line}: ${item.problem}`);
      }
    }
  }
  return {
    problems,
    omittedProblems: invalid - problems.length,
    valid,
    invalid,
    selected,
    sha256: hash.digest('hex'),
    stats: stats.result(),
  };
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** The problems of a validation as lines to print, with the count of those left out. */
export function problemLines(validation: Pick<ScenarioValidation, 'problems' | 'omittedProblems'>): string[] {
  return validation.omittedProblems > 0
    ? [...validation.problems, `... and ${validation.omittedProblems} more invalid lines`]
    : validation.problems;
}

export type { ScenarioStats } from './scenario-stats.js';
