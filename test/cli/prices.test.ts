import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { BufferSink, type CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import {
  makePrompts,
  openDb,
  profile,
  simConfigInput,
  startSim,
  tempDir,
  writeConfig,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';

const FIXTURE = resolve('test/fixtures/litellm-prices.json');

function io(cwd: string): CliIo & { stdout: BufferSink; stderr: BufferSink } {
  return { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd };
}

describe('--prices FILE (LiteLLM format)', () => {
  it('run prices the unpriced candidate model from the file, config prices win, and the report names each source', async (t) => {
    const dir = tempDir(t, 'shadowgate-prices-');
    const baseline = await startSim(t, profile('openai-like'));
    const candidate = await startSim(t, profile('relay-fast'));
    const input = simConfigInput(baseline.url, candidate.url, { stream: false });
    const providers = input['providers'] as Record<string, Record<string, unknown>>;
    providers['baseline']!['models'] = { 'gpt-4.1': { inputPerMTok: 3, outputPerMTok: 9 } };
    providers['candidate']!['modelMap'] = { 'gpt-4.1': 'relay-4.1' };
    providers['candidate']!['models'] = {};
    writeConfig(join(dir, 'exp.json'), input);
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(6));

    const common = ['--config', 'exp.json', '--scenario', 'prompts.jsonl', '--json'];
    const without = io(dir);
    assert.equal(await runCli(['run', ...common, '--db', 'without.db'], without), 0, without.stderr.text);
    assert.match(without.stderr.text, /providers\.candidate\.models\.relay-4\.1: no prices/);

    const out = io(dir);
    const code = await runCli(['run', ...common, '--db', 'with.db', '--prices', FIXTURE], out);
    assert.equal(code, 0, out.stderr.text);
    assert.doesNotMatch(out.stderr.text, /no prices/);
    const db = openDb(t, join(dir, 'with.db'));
    const run = db.prepare('SELECT id, prices_json FROM runs').get() as { id: string; prices_json: string };
    const prices = JSON.parse(run.prices_json);
    assert.deepEqual(prices.candidate['relay-4.1'], { inputPerMTok: 0.7, outputPerMTok: 2.8 });
    assert.deepEqual(prices.baseline['gpt-4.1'], { inputPerMTok: 3, outputPerMTok: 9 });
    assert.deepEqual(prices.sources, {
      baseline: { 'gpt-4.1': 'config' },
      candidate: { 'relay-4.1': FIXTURE },
    });
    const rows = db
      .prepare(
        `SELECT arm, COUNT(*) AS n, COUNT(cost_usd) AS costed,
          SUM(ABS(cost_usd - (input_tokens * ? + output_tokens * ?) / 1e6)) AS off
        FROM requests WHERE arm = ? GROUP BY arm`,
      )
      .get(0.7, 2.8, 'candidate') as { n: number; costed: number; off: number };
    assert.equal(rows.costed, rows.n, 'every candidate request has a cost');
    assert.ok(rows.off < 1e-12, `candidate costs use the file's prices (off by ${rows.off})`);

    const report = io(dir);
    assert.equal(
      await runCli(['report', 'shadow', '--db', 'with.db', '--format', 'md,json', '--out', 'r'], report),
      0,
      report.stderr.text,
    );
    const md = readFileSync(join(dir, 'r', `${run.id}-shadow.md`), 'utf8');
    assert.match(md, /\| baseline \| `gpt-4\.1` \| \$3 \| \$3 \| \$3 \| \$9 \| \$9 \| config \|/);
    assert.ok(
      md.includes(`| candidate | \`relay-4.1\` | $0.7 | $0.7 | $0.7 | $2.8 | $2.8 | \`${FIXTURE}\` |`),
      md,
    );
    const json = JSON.parse(readFileSync(join(dir, 'r', `${run.id}-shadow.json`), 'utf8'));
    assert.deepEqual(
      json.prices.map((p: { provider: string; model: string; source: string; applied: boolean }) => [
        p.provider,
        p.model,
        p.source,
        p.applied,
      ]),
      [
        ['baseline', 'gpt-4.1', 'config', true],
        ['candidate', 'relay-4.1', FIXTURE, true],
      ],
    );
  });

  it('report --prices shows the file price for a model the run left unpriced, marked not applied', async (t) => {
    const dir = tempDir(t, 'shadowgate-prices-');
    const baseline = await startSim(t, profile('openai-like'));
    const candidate = await startSim(t, profile('relay-fast'));
    const input = simConfigInput(baseline.url, candidate.url, { stream: false });
    const providers = input['providers'] as Record<string, Record<string, unknown>>;
    providers['candidate']!['modelMap'] = { 'gpt-4.1': 'relay-4.1' };
    providers['candidate']!['models'] = {};
    writeConfig(join(dir, 'exp.json'), input);
    writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(3));
    const run = io(dir);
    assert.equal(await runCli(['run', '--config', 'exp.json', '--scenario', 'prompts.jsonl'], run), 0);

    const plain = io(dir);
    assert.equal(await runCli(['report', 'shadow', '--format', 'md', '--out', 'a'], plain), 0);
    const before = readFileSync(join(dir, plain.stdout.text.trim()), 'utf8');
    assert.match(
      before,
      /\| candidate \| `relay-4\.1` \| n\/a \| n\/a \| n\/a \| n\/a \| n\/a \| none: cost unknown \|/,
    );

    const out = io(dir);
    assert.equal(
      await runCli(['report', 'shadow', '--format', 'md', '--out', 'b', '--prices', FIXTURE], out),
      0,
    );
    const md = readFileSync(join(dir, out.stdout.text.trim()), 'utf8');
    assert.ok(md.includes(`| $2.8 | $2.8 | \`${FIXTURE}\` (not applied) |`), md);
    assert.match(md, /_Not applied_: the run had no price for this model/);

    const missing = io(dir);
    assert.equal(await runCli(['report', 'shadow', '--prices', 'nope.json'], missing), 2);
    assert.match(missing.stderr.text, /price file not found: .*nope\.json/);
  });

  it('run --prices without --config is a usage error', async (t) => {
    const dir = tempDir(t, 'shadowgate-prices-');
    const out = io(dir);
    assert.equal(await runCli(['run', '--resume', 'r-x', '--prices', FIXTURE], out), 2);
    assert.match(out.stderr.text, /--prices needs --config and --scenario/);
  });
});
