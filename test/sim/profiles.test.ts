import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isUsageError, UsageError } from '../../src/shared/errors.js';
import { planResponse } from '../../src/sim/plan.js';
import { BUILTIN_PROFILES, loadSimProfile, validateSimProfile } from '../../src/sim/profiles.js';
import { parseChatCompletionsRequest, type SimRequest } from '../../src/sim/sim-request.js';

const dir = mkdtempSync(join(tmpdir(), 'sim-profiles-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function request(prompt: string, maxTokens?: number): SimRequest {
  const body = { model: 'm', messages: [{ role: 'user', content: prompt }], max_tokens: maxTokens };
  const parsed = parseChatCompletionsRequest(body);
  assert.notEqual(typeof parsed, 'string');
  return parsed as SimRequest;
}

describe('built-in profiles', () => {
  for (const [name, profile] of Object.entries(BUILTIN_PROFILES)) {
    it(`${name} passes its own validation and keeps its name`, () => {
      const result = validateSimProfile(profile, 'x');
      assert.ok('value' in result, JSON.stringify(result));
      assert.deepEqual(result.value, profile);
    });
  }

  it('loadSimProfile returns a copy that callers may change', () => {
    const a = loadSimProfile('openai-like');
    a.latencyScale = 0;
    a.faultRates['429'] = 1;
    assert.equal(BUILTIN_PROFILES['openai-like'].latencyScale, 0.1);
    assert.equal(BUILTIN_PROFILES['openai-like'].faultRates['429'], 0.015);
  });

  it('steady injects nothing', () => {
    const plan = planResponse(BUILTIN_PROFILES.steady, 1, request('hello'), 0);
    assert.equal(plan.fault, 'none');
    assert.equal(plan.latencyMs, 0);
  });

  // The demo replays a few hundred prompts against these two; it must finish in well under a minute.
  for (const name of ['openai-like', 'relay-fast'] as const) {
    it(`${name} keeps a typical response around a second and never past max_tokens`, () => {
      const latencies: number[] = [];
      for (let i = 0; i < 400; i++) {
        const plan = planResponse(BUILTIN_PROFILES[name], 7, request(`prompt ${i}`, 300), 0, 'none');
        assert.ok(plan.completionTokens <= 300);
        latencies.push(plan.latencyMs);
      }
      latencies.sort((a, b) => a - b);
      const median = latencies[200]!;
      const p95 = latencies[380]!;
      assert.ok(median < 1000, `median ${median}`);
      assert.ok(p95 < 2500, `p95 ${p95}`);
    });
  }

  it('openai-like fails about 3% of requests, mostly 429 and 5xx; relay-fast fails less', () => {
    const count = (name: 'openai-like' | 'relay-fast') => {
      let failures = 0;
      let rateOr5xx = 0;
      for (let i = 0; i < 4000; i++) {
        const { fault } = planResponse(BUILTIN_PROFILES[name], 3, request(`p${i}`, 16), 0);
        if (fault !== 'none' && fault !== 'missing-usage') failures++;
        if (/^(429|5\d\d)$/.test(fault)) rateOr5xx++;
      }
      return { failures: failures / 4000, rateOr5xx };
    };
    const openai = count('openai-like');
    const relay = count('relay-fast');
    assert.ok(openai.failures > 0.02 && openai.failures < 0.045, String(openai.failures));
    assert.ok(openai.rateOr5xx / (openai.failures * 4000) > 0.9);
    assert.ok(relay.failures < openai.failures / 2, String(relay.failures));
  });
});

describe('loadSimProfile from a file', () => {
  it('merges a YAML file over steady and names it after the file', () => {
    const path = write(
      'slow.yaml',
      'ttft: { medianMs: 100, p99Ms: 400 }\nfaultRates:\n  "503": 0.5\n  hang: 0.1\n',
    );
    const profile = loadSimProfile(path);
    assert.equal(profile.name, 'slow');
    assert.deepEqual(profile.ttft, { medianMs: 100, p99Ms: 400 });
    assert.deepEqual(profile.faultRates, { '503': 0.5, hang: 0.1 });
    assert.deepEqual(profile.tpot, BUILTIN_PROFILES.steady.tpot);
    assert.equal(profile.output.medianTokens, BUILTIN_PROFILES.steady.output.medianTokens);
  });

  it('resolves relative paths against cwd and reads JSON', () => {
    write('p.json', JSON.stringify({ name: 'mine', output: { medianTokens: 5, p99Tokens: 9 } }));
    const profile = loadSimProfile('p.json', dir);
    assert.equal(profile.name, 'mine');
    assert.equal(profile.output.medianTokens, 5);
    assert.equal(profile.output.maxTokens, BUILTIN_PROFILES.steady.output.maxTokens);
  });

  it('extends another built-in', () => {
    const path = write('relay-drift.yaml', 'extends: relay-fast\ndrift: 0.3\nmisreport: { model: other }\n');
    const profile = loadSimProfile(path);
    assert.equal(profile.drift, 0.3);
    assert.equal(profile.misreport.model, 'other');
    assert.deepEqual(profile.ttft, BUILTIN_PROFILES['relay-fast'].ttft);
  });

  it('rejects unknown keys and bad values, naming each', () => {
    const path = write(
      'bad.yaml',
      [
        'latencyScal: 2',
        'variability: 1.5',
        'faultRates: { teapot: 0.1, "500": -1 }',
        'ttft: { fixedMs: 1, medianMs: 2 }',
        'output: { medianTokens: 10, p99Tokens: 5, colour: 1 }',
        'retryAfterHeaders: sometimes',
      ].join('\n'),
    );
    assert.throws(
      () => loadSimProfile(path),
      (err: unknown) => {
        assert.ok(err instanceof UsageError);
        const all = err.problems.join('\n');
        for (const needle of [
          'latencyScal: unknown key',
          'variability:',
          'faultRates.teapot',
          'faultRates.500',
          'ttft',
          'output.colour: unknown key',
          'output.p99Tokens',
          'retryAfterHeaders',
        ]) {
          assert.ok(all.includes(needle), `missing ${needle} in\n${all}`);
        }
        assert.ok(err.message.includes('bad.yaml'));
        return true;
      },
    );
  });

  it('rejects fault rates that add up past 1', () => {
    const result = validateSimProfile({ faultRates: { '500': 0.6, '502': 0.6 } });
    assert.ok('errors' in result);
    assert.match(result.errors.join(), /faultRates/);
  });

  it('an unknown name is a usage error that lists the built-ins', () => {
    assert.throws(
      () => loadSimProfile('nope'),
      (err: unknown) => {
        assert.ok(isUsageError(err));
        assert.match(err.message, /'nope'/);
        for (const name of Object.keys(BUILTIN_PROFILES)) assert.ok(err.message.includes(name));
        return true;
      },
    );
    assert.throws(() => loadSimProfile(join(dir, 'missing.yaml')), UsageError);
  });

  it('a file that is not YAML is a usage error', () => {
    const path = write('broken.yaml', 'ttft: [unclosed\n');
    assert.throws(() => loadSimProfile(path), /cannot parse/);
  });
});
