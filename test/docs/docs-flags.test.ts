/**
 * Holds the docs to the CLI: every `shadowgate <command> [subcommand]` and every `--flag` that
 * README.md and docs/*.md name in code exists in that command's `--help`, every file under docs/
 * is linked from the README, and every relative link points at a file that is there.
 *
 * What counts as naming a command: a code block line or an inline code span containing
 * `shadowgate <word>` (continuation lines of a synopsis included), an inline span that starts
 * with a command's name and names a flag (`report shadow --check`), and the first cell of a
 * table row that names a flag, in a section whose heading names a command.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { before, describe, it } from 'node:test';
import { BufferSink } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';

const ROOT = process.cwd();
const DOCS = join(ROOT, 'docs');

/** Files another branch is writing: linked already, checked once they exist. */
const PENDING = new Set(['docs/rollout.md']);

interface CommandHelp {
  flags: Set<string>;
  subcommands: Set<string>;
}

async function help(path: string[]): Promise<string> {
  const io = { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd: ROOT };
  const code = await runCli([...path, '--help'], io);
  assert.equal(code, 0, `shadowgate ${path.join(' ')} --help: ${io.stderr.text}`);
  return io.stdout.text;
}

function parseHelp(text: string, path: string[]): CommandHelp {
  const flags = new Set<string>();
  for (const m of text.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)) flags.add(m[1]!);
  const subcommands = new Set<string>();
  const prefix = `${['shadowgate', ...path].join(' ')} `;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith(prefix)) continue;
    const word = t.slice(prefix.length).split(/\s+/)[0]!;
    if (/^[a-z][a-z-]*$/.test(word)) subcommands.add(word);
  }
  return { flags, subcommands };
}

/** Every command path the CLI has, with its flags: discovered from the help itself. */
async function discover(): Promise<Map<string, CommandHelp>> {
  const tree = new Map<string, CommandHelp>();
  const walk = async (path: string[]) => {
    const parsed = parseHelp(await help(path), path);
    tree.set(path.join(' '), parsed);
    for (const sub of parsed.subcommands) await walk([...path, sub]);
  };
  await walk([]);
  return tree;
}

interface Mention {
  file: string;
  line: number;
  /** The words after `shadowgate` and the flags: `report shadow --format md`. */
  text: string;
}

/** `shadowgate ...` in code blocks and inline spans; flags in tables under a command's heading. */
function mentions(file: string, markdown: string, topCommands: Set<string>): Mention[] {
  const out: Mention[] = [];
  const lines = markdown.split('\n');
  let fence = false;
  let sectionCommand: string | null = null;
  let last: Mention | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const n = i + 1;
    if (/^(```|~~~)/.test(line.trim())) {
      fence = !fence;
      last = null;
      continue;
    }
    if (fence) {
      const code = line.replace(/\s#\s.*$/, '').replace(/^\s*#.*$/, '');
      const at = code.search(/(^|[\s$(])shadowgate [a-z]/);
      if (at >= 0) {
        const start = code.indexOf('shadowgate ', at);
        last = { file, line: n, text: code.slice(start + 'shadowgate '.length) };
        out.push(last);
      } else if (last && /^\s+(\[|--)/.test(code)) {
        last.text += ` ${code.trim()}`;
      } else {
        last = null;
      }
      if (last && /\\\s*$/.test(code)) last.text = last.text.replace(/\\\s*$/, '');
      continue;
    }
    last = null;
    const heading = /^#{1,6} (.*)$/.exec(line);
    if (heading) {
      const named = /`shadowgate ([a-z][a-z -]*?)`/.exec(heading[1]!);
      sectionCommand = named ? named[1]!.trim() : null;
      continue;
    }
    for (const span of line.matchAll(/`([^`]+)`/g)) {
      const code = span[1]!;
      const at = code.indexOf('shadowgate ');
      if (at >= 0 && /^[a-z]/.test(code.slice(at + 11))) {
        out.push({ file, line: n, text: code.slice(at + 11) });
      } else if (topCommands.has(code.split(' ')[0]!) && /\s--[a-z]/.test(code)) {
        out.push({ file, line: n, text: code });
      }
    }
    if (sectionCommand && line.startsWith('|')) {
      const first = line.split('|')[1] ?? '';
      const flags = [...first.matchAll(/`(--[a-z][a-z0-9-]*)/g)].map((m) => m[1]!);
      if (flags.length > 0) out.push({ file, line: n, text: `${sectionCommand} ${flags.join(' ')}` });
    }
  }
  return out;
}

/** Problems with one mention: an unknown command, or a flag its help does not list. */
function check(m: Mention, tree: Map<string, CommandHelp>): string[] {
  const words = m.text.split(/\s+/).filter((w) => w !== '');
  const path: string[] = [];
  for (const w of words) {
    if (w.startsWith('-')) break;
    const node = tree.get(path.join(' '))!;
    if (node.subcommands.has(w)) path.push(w);
    else if (path.length === 0) return [`${m.file}:${m.line}: unknown command "shadowgate ${w}"`];
    else break;
  }
  const node = tree.get(path.join(' '))!;
  const problems: string[] = [];
  const cmd = `shadowgate ${path.join(' ')}`;
  for (const f of m.text.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*)/g)) {
    const flag = f[1]!;
    const known = node.flags.has(flag) || (flag.startsWith('--no-') && node.flags.has(`--${flag.slice(5)}`));
    if (!known) problems.push(`${m.file}:${m.line}: ${cmd} has no ${flag} (in: ${m.text.trim()})`);
  }
  return problems;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (/^(```|~~~)/.test(line.trim())) fence = !fence;
    const h = fence ? null : /^#{1,6} (.*)$/.exec(line);
    if (!h) continue;
    const base = h[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function docFiles(): string[] {
  return readdirSync(DOCS)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
}

describe('the docs match the CLI', () => {
  let tree: Map<string, CommandHelp>;
  const files = ['README.md', ...docFiles()];
  before(async () => {
    tree = await discover();
  });

  it('finds the commands and flags it is meant to (the parser is not blind)', () => {
    const top = tree.get('')!.subcommands;
    for (const c of ['run', 'report', 'gate', 'rollout', 'retry', 'sim', 'scenario', 'demo', 'init', 'runs'])
      assert.ok(top.has(c), `--help lists ${c}`);
    assert.ok(tree.get('rollout')!.subcommands.has('status'));
    assert.ok(tree.get('report shadow')!.flags.has('--monthly-requests'));
    const sample = [
      '```sh',
      'npx shadowgate report shadow --run latest --format md   # exit 0 promote, --not-a-flag',
      'shadowgate retry schedule [--config FILE]',
      '                          [--seed N] [--json]',
      '```',
      '## `shadowgate run`: the replay',
      '| `--budget-usd X` | | |',
      'Then `shadowgate rollout status --json`, and `report shadow --check`.',
    ].join('\n');
    const found = mentions('x.md', sample, top).map((m) => m.text.trim());
    assert.deepEqual(found, [
      'report shadow --run latest --format md',
      'retry schedule [--config FILE] [--seed N] [--json]',
      'run --budget-usd',
      'rollout status --json',
      'report shadow --check',
    ]);
    const bad = mentions('x.md', '`shadowgate rollout --frobnicate FILE`, `shadowgate deploy`', top);
    assert.deepEqual(
      bad.flatMap((m) => check(m, tree)),
      [
        'x.md:1: shadowgate rollout has no --frobnicate (in: rollout --frobnicate FILE)',
        'x.md:1: unknown command "shadowgate deploy"',
      ],
    );
  });

  it('every command and flag named in README.md and docs/*.md exists in its --help', () => {
    const top = tree.get('')!.subcommands;
    const all = files.flatMap((f) => mentions(f, readFileSync(join(ROOT, f), 'utf8'), top));
    assert.ok(all.length > 100, `only ${all.length} mentions found`);
    const problems = all.flatMap((m) => check(m, tree));
    assert.deepEqual(problems, []);
  });

  it('every file under docs/ is linked from the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const missing = docFiles().filter((f) => !readme.includes(`](${f})`) && !readme.includes(`](${f}#`));
    assert.deepEqual(missing, []);
  });

  it('every relative link points at a file that exists, and at a heading in it', () => {
    const broken: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const [target, anchor] = m[1]!.split('#') as [string, string | undefined];
        if (/^[a-z]+:/.test(target)) continue;
        const rel = target === '' ? f : normalize(join(dirname(f), target));
        if (!existsSync(join(ROOT, rel))) {
          if (!PENDING.has(rel)) broken.push(`${f}: ${m[1]}`);
          continue;
        }
        if (anchor && rel.endsWith('.md') && !anchors(readFileSync(join(ROOT, rel), 'utf8')).has(anchor))
          broken.push(`${f}: ${m[1]} (no such heading)`);
      }
    }
    assert.deepEqual(broken, []);
  });
});
