import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { BufferSink, type CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { loadConfig } from '../../src/config/load-config.js';
import { resolveModel } from '../../src/config/resolve-model.js';
import type { ProviderKind } from '../../src/config/types.js';
import { validateScenario } from '../../src/scenario/read-scenario.js';
import { tempDir } from '../helpers/shadow-fixtures.js';

function io(cwd: string): CliIo & { stdout: BufferSink; stderr: BufferSink } {
  return { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd };
}

const FILES = ['shadowgate.yaml', 'plan.yaml', 'prompts.jsonl'];

describe('shadowgate init', () => {
  for (const [baseline, candidate] of [
    ['openai', 'openai'],
    ['openai', 'anthropic'],
    ['anthropic', 'openai'],
    ['anthropic', 'anthropic'],
  ] as [ProviderKind, ProviderKind][]) {
    it(`writes a config that loads, a valid scenario it prices, and a plan (${baseline} -> ${candidate})`, async (t) => {
      const cwd = tempDir(t, 'shadowgate-init-');
      const out = io(cwd);
      const code = await runCli(['init', 'exp', '--baseline', baseline, '--candidate', candidate], out);
      assert.equal(code, 0, out.stderr.text);
      const dir = join(cwd, 'exp');
      for (const f of FILES) assert.ok(existsSync(join(dir, f)), f);

      const config = loadConfig(join(dir, 'shadowgate.yaml'));
      assert.equal(config.providers.baseline.kind, baseline);
      assert.equal(config.providers.candidate.kind, candidate);
      assert.notEqual(config.providers.baseline.apiKeyEnv, config.providers.candidate.apiKeyEnv);

      const scenario = await validateScenario(join(dir, 'prompts.jsonl'));
      assert.equal(scenario.valid, 3);
      assert.equal(scenario.invalid, 0);
      for (const recorded of Object.keys(scenario.stats.byModel)) {
        for (const provider of [config.providers.baseline, config.providers.candidate]) {
          assert.notEqual(
            resolveModel(provider, recorded).prices,
            null,
            `${provider.name} prices ${recorded}`,
          );
        }
      }

      const plan = parse(readFileSync(join(dir, 'plan.yaml'), 'utf8'));
      assert.deepEqual(plan.stages, [5, 25, 50, 100]);
      for (const f of ['shadowgate.yaml', 'plan.yaml']) {
        const first = readFileSync(join(dir, f), 'utf8').split('\n')[0]!;
        assert.match(
          first,
          /^# yaml-language-server: \$schema=(\.\.\/)+[^ ]*schema\/[a-z-.]+\.schema\.json$/,
        );
        const target = first.split('$schema=')[1]!;
        assert.ok(existsSync(join(dir, target)), `${f} points at ${target}, which exists`);
      }

      const lines = out.stdout.text.trim().split('\n');
      const next = lines.slice(lines.indexOf('next:') + 1).map((l) => l.trim());
      assert.equal(next.length, 3, out.stdout.text);
      assert.match(next[0]!, /^export [A-Z_]+=\.\.\. [A-Z_]+=\.\.\.$/);
      assert.equal(
        next[1],
        'shadowgate run --config exp/shadowgate.yaml --scenario exp/prompts.jsonl --replica 0.1',
      );
      assert.equal(next[2], 'shadowgate report shadow --run latest');
    });
  }

  it('refuses to overwrite a file (exit 2, naming it, nothing written); --force overwrites', async (t) => {
    const dir = tempDir(t, 'shadowgate-init-');
    writeFileSync(join(dir, 'plan.yaml'), 'mine\n');
    const out = io(dir);
    assert.equal(await runCli(['init'], out), 2);
    assert.match(out.stderr.text, /plan\.yaml already exists; nothing written \(--force overwrites\)/);
    assert.ok(!out.stderr.text.includes('    at '), 'no stack trace');
    assert.equal(readFileSync(join(dir, 'plan.yaml'), 'utf8'), 'mine\n');
    assert.ok(!existsSync(join(dir, 'shadowgate.yaml')));
    assert.ok(!existsSync(join(dir, 'prompts.jsonl')));

    const forced = io(dir);
    assert.equal(await runCli(['init', '--force'], forced), 0, forced.stderr.text);
    assert.match(readFileSync(join(dir, 'plan.yaml'), 'utf8'), /^# yaml-language-server/);
    loadConfig(join(dir, 'shadowgate.yaml'));
  });

  it('refuses an unknown provider kind', async (t) => {
    const dir = tempDir(t, 'shadowgate-init-');
    const out = io(dir);
    assert.equal(await runCli(['init', '--candidate', 'azure'], out), 2);
    assert.match(out.stderr.text, /candidate/);
    assert.ok(!existsSync(join(dir, 'shadowgate.yaml')));
  });
});
