import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { problemLines, type ScenarioValidation, validateScenario } from '../../scenario/read-scenario.js';
import type { ScenarioStats } from '../../scenario/scenario-stats.js';
import { EXIT } from '../../shared/errors.js';
import type { CommandContext } from '../io.js';

interface ScenarioFileArgs {
  file: string;
  json: boolean;
}

/** `shadowgate scenario validate|stats FILE`: check a scenario before anything is sent. */
export function scenarioCommand(ctx: CommandContext): CommandModule {
  const fileArgs = (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'scenario JSONL file', demandOption: true })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout' });
  const run = async (argv: ScenarioFileArgs) =>
    validateScenario(resolve(ctx.io.cwd, argv.file), { displayPath: argv.file });
  return {
    command: 'scenario <action>',
    describe: 'validate a scenario file or show its stats',
    builder: (y) =>
      y
        .command({
          command: 'validate <file>',
          describe: 'list every invalid line as FILE:LINE: problem; exit 2 when any',
          builder: fileArgs,
          handler: async (argv) => {
            const args = argv as unknown as ScenarioFileArgs;
            const result = await run(args);
            if (args.json) ctx.io.stdout.write(`${JSON.stringify(validationJson(args.file, result))}\n`);
            else {
              for (const line of problemLines(result)) ctx.io.stdout.write(`${line}\n`);
              ctx.io.stdout.write(`${validationSummary(args.file, result)}\n`);
            }
            if (result.invalid > 0) ctx.exitCode = EXIT.badInput;
          },
        })
        .command({
          command: 'stats <file>',
          describe: 'counts by model, form and language, estimated tokens, time span',
          builder: fileArgs,
          handler: async (argv) => {
            const args = argv as unknown as ScenarioFileArgs;
            const result = await run(args);
            if (args.json) ctx.io.stdout.write(`${JSON.stringify(validationJson(args.file, result))}\n`);
            else ctx.io.stdout.write(renderStats(args.file, result));
          },
        })
        .demandCommand(1, 'name an action: validate or stats'),
    handler: () => {},
  };
}

function validationJson(file: string, v: ScenarioValidation) {
  return {
    file,
    valid: v.valid,
    invalid: v.invalid,
    problems: v.problems,
    omitted_problems: v.omittedProblems,
    sha256: v.sha256,
    stats: v.stats,
  };
}

function validationSummary(file: string, v: ScenarioValidation): string {
  const lines = v.valid + v.invalid;
  return v.invalid === 0
    ? `${file}: ${v.valid} prompts, all valid`
    : `${file}: ${v.invalid} of ${lines} lines invalid, ${v.valid} valid (replay the valid ones with --skip-invalid)`;
}

/** The human-readable stats: aligned two-column sections. */
export function renderStats(file: string, v: ScenarioValidation): string {
  const s: ScenarioStats = v.stats;
  const out: string[] = [
    `${file}`,
    `  prompts               ${s.prompts}${v.invalid ? ` (${v.invalid} invalid lines)` : ''}`,
  ];
  const section = (title: string, counts: Record<string, number>) => {
    const entries = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    if (entries.length === 0) return;
    out.push(`  ${title}`);
    const width = Math.max(...entries.map(([k]) => k.length));
    for (const [k, n] of entries)
      out.push(`    ${k.padEnd(width)}  ${String(n).padStart(7)}  ${pct(n, s.prompts)}`);
  };
  section('by model', s.byModel);
  section('by form', s.byForm);
  section('by language (guessed from script)', s.byLanguage);
  out.push(
    `  estimated input tokens ${s.estimatedInputTokens} (~${s.prompts ? Math.round(s.estimatedInputTokens / s.prompts) : 0} a prompt, upper-leaning)`,
    `  max output tokens      ${s.maxOutputTokens}${s.promptsWithoutMaxTokens ? ` (${s.promptsWithoutMaxTokens} prompts set no limit)` : ''}`,
    `  with tools             ${s.withTools}`,
    `  with response_format   ${s.withResponseFormat}`,
    `  with a system prompt   ${s.withSystemPrompt}`,
    `  with recorded response ${s.withRecordedResponse}`,
  );
  if (s.timeSpan) {
    out.push(
      `  time span              ${s.timeSpan.first} .. ${s.timeSpan.last} (${formatDuration(s.timeSpan.spanMs)}, ${s.timeSpan.withTimestamp} timestamped)`,
    );
  } else out.push('  time span              none (no timestamps)');
  out.push(`  sha256                 ${v.sha256}`);
  return `${out.join('\n')}\n`;
}

function pct(n: number, total: number): string {
  return total === 0 ? '' : `${((100 * n) / total).toFixed(1).padStart(5)}%`;
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
}
