import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_PROVIDER_SETTINGS, DEFAULT_RUN_SETTINGS } from '../../src/config/config-defaults.js';
import {
  checkApiKeys,
  loadConfig,
  redactedConfigJson,
  resolveModel,
  retryPolicyFor,
} from '../../src/config/load-config.js';
import type { ExperimentConfig } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate-config.js';
import { DEFAULT_RETRY_POLICY } from '../../src/retry/policy.js';
import { isUsageError } from '../../src/shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: fixtures are mutated freely to build bad configs
function minimal(): Record<string, any> {
  return {
    providers: {
      baseline: {
        kind: 'openai',
        baseUrl: 'https://api.openai.com/v1/',
        apiKeyEnv: 'OPENAI_API_KEY',
        models: { 'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 } },
      },
      candidate: {
        kind: 'openai',
        baseUrl: 'http://127.0.0.1:8080/v1',
        modelMap: { 'gpt-4.1': 'relay-4.1' },
        models: { 'relay-4.1': { inputPerMTok: 0.8, outputPerMTok: 3.2 } },
      },
    },
  };
}

function valid(input: unknown): ExperimentConfig {
  const result = validateConfig(input);
  if ('errors' in result) assert.fail(result.errors.join('\n'));
  return result.value;
}

function errorsOf(input: unknown): string[] {
  const result = validateConfig(input);
  assert.ok('errors' in result, 'expected errors');
  return result.errors;
}

describe('validateConfig', () => {
  it('fills defaults and trims the trailing slash of baseUrl', () => {
    const config = valid(minimal());
    const b = config.providers.baseline;
    assert.equal(b.name, 'baseline');
    assert.equal(b.baseUrl, 'https://api.openai.com/v1');
    assert.equal(b.idempotencyHeader, DEFAULT_PROVIDER_SETTINGS.idempotencyHeader);
    assert.equal(b.anthropicVersion, '2023-06-01');
    assert.equal(b.streamUsage, true);
    assert.equal(b.maxResponseBytes, 4 * 1024 * 1024);
    assert.deepEqual(b.headers, {});
    assert.deepEqual(config.providers.candidate.modelMap, { 'gpt-4.1': 'relay-4.1' });
    assert.equal(config.providers.candidate.apiKeyEnv, undefined);
    assert.deepEqual(config.run, DEFAULT_RUN_SETTINGS);
    assert.deepEqual(config.retry, DEFAULT_RETRY_POLICY);
  });

  it('reports every error at once, each with its path', () => {
    const input = minimal();
    input.providers.candidate.baseUrl = 'relay.example.com';
    input.providers.baseline.kind = 'azure';
    input.providers.baseline.models['gpt-4.1'].outputPerMTok = -1;
    delete input.providers.candidate.models['relay-4.1'].inputPerMTok;
    input.run = { concurrency: 0, stream: 'yes' };
    input.retry = { maxAttempts: 0 };
    const errors = errorsOf(input);
    for (const expected of [
      'providers.candidate.baseUrl: not a URL',
      'providers.baseline.kind: must be one of openai, anthropic',
      'providers.baseline.models.gpt-4.1.outputPerMTok: must be a number >= 0 (USD per 1M tokens)',
      'providers.candidate.models.relay-4.1.inputPerMTok: required (USD per 1M tokens)',
      'run.concurrency: must be an integer >= 1',
      'run.stream: must be true or false',
      'retry.maxAttempts: must be an integer >= 1',
    ]) {
      assert.ok(errors.includes(expected), `missing ${expected} in\n${errors.join('\n')}`);
    }
    assert.equal(errors.length, 7);
  });

  it('refuses unknown keys at every level, suggesting the likely key', () => {
    const input = minimal();
    input.providres = {};
    input.providers.baseline.baseURL = 'x';
    input.providers.baseline.models['gpt-4.1'].outputPerMtok = 1;
    input.providers.staging = {};
    input.run = { concurency: 4 };
    const errors = errorsOf(input);
    assert.ok(errors.includes('providres: unknown key (did you mean providers?)'), errors.join('\n'));
    assert.ok(errors.includes('providers.baseline.baseURL: unknown key (did you mean baseUrl?)'));
    assert.ok(
      errors.some((e) => e.startsWith('providers.baseline.models.gpt-4.1.outputPerMtok: unknown key')),
    );
    assert.ok(errors.includes('providers.staging: unknown provider; expected baseline and candidate'));
    assert.ok(errors.includes('run.concurency: unknown key (did you mean concurrency?)'));
  });

  it('requires both providers and refuses credentials in headers or URLs', () => {
    assert.deepEqual(errorsOf({ providers: { baseline: minimal().providers.baseline } }), [
      'providers.candidate: required',
    ]);
    const input = minimal();
    input.providers.baseline.headers = { Authorization: 'Bearer sk-secret', 'X-Team': 'ml' };
    input.providers.candidate.baseUrl = 'https://user:pw@relay.example.com/v1';
    input.providers.candidate.apiKeyEnv = 'sk-live-123';
    const errors = errorsOf(input);
    assert.ok(
      errors.some((e) => e.startsWith('providers.baseline.headers.Authorization: credentials do not belong')),
    );
    assert.ok(errors.some((e) => e.startsWith('providers.candidate.baseUrl: must not contain credentials')));
    assert.ok(
      errors.some((e) => e.startsWith('providers.candidate.apiKeyEnv: must be an environment variable name')),
    );
    assert.ok(!errors.join('\n').includes('sk-secret'));
  });

  it('merges a provider retry override over the top-level retry', () => {
    const input = minimal();
    input.retry = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 };
    input.providers.candidate.retry = { maxAttempts: 6, breaker: { cooldownMs: 500 } };
    const config = valid(input);
    const candidate = retryPolicyFor(config, config.providers.candidate);
    assert.equal(candidate.maxAttempts, 6);
    assert.equal(candidate.baseDelayMs, 100);
    assert.equal(candidate.breaker.cooldownMs, 500);
    assert.equal(candidate.breaker.consecutiveFailures, DEFAULT_RETRY_POLICY.breaker.consecutiveFailures);
    assert.equal(retryPolicyFor(config, config.providers.baseline).maxAttempts, 3);
    const bad = minimal();
    bad.providers.baseline.retry = { strategy: 'fibonacci' };
    assert.ok(errorsOf(bad).some((e) => e.startsWith('providers.baseline.retry.strategy:')));
  });

  it('resolveModel maps recorded names and passes unmapped ones through', () => {
    const config = valid(minimal());
    assert.deepEqual(resolveModel(config.providers.candidate, 'gpt-4.1'), {
      model: 'relay-4.1',
      prices: { inputPerMTok: 0.8, outputPerMTok: 3.2 },
    });
    assert.deepEqual(resolveModel(config.providers.candidate, 'gpt-4o'), { model: 'gpt-4o', prices: null });
    assert.deepEqual(resolveModel(config.providers.baseline, 'constructor'), {
      model: 'constructor',
      prices: null,
    });
  });
});

describe('loadConfig', () => {
  it('reads YAML and JSON alike', () => {
    const yamlPath = join(dir, 'c.yaml');
    writeFileSync(
      yamlPath,
      `providers:
  baseline: { kind: openai, baseUrl: "https://api.openai.com/v1", models: { gpt-4.1: { inputPerMTok: 2, outputPerMTok: 8 } } }
  candidate:
    kind: anthropic
    baseUrl: https://api.anthropic.com/v1
    apiKeyEnv: ANTHROPIC_API_KEY
run: { concurrency: 4 }
`,
    );
    const jsonPath = join(dir, 'c.conf');
    writeFileSync(jsonPath, JSON.stringify(minimal()));
    const fromYaml = loadConfig(yamlPath);
    assert.equal(fromYaml.providers.candidate.kind, 'anthropic');
    assert.equal(fromYaml.run.concurrency, 4);
    assert.equal(loadConfig(jsonPath).providers.candidate.modelMap['gpt-4.1'], 'relay-4.1');
  });

  it('throws ConfigError with every problem, and with line numbers for bad YAML', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'providers:\n  baseline: { kind: openai }\n');
    assert.throws(
      () => loadConfig(path),
      (err: unknown) => {
        assert.ok(isUsageError(err));
        assert.equal(err.code, 'config_invalid');
        assert.ok(
          err.problems.includes('providers.baseline.baseUrl: required (e.g. https://api.openai.com/v1)'),
        );
        assert.ok(err.problems.includes('providers.candidate: required'));
        return true;
      },
    );
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'providers:\n  baseline: [unclosed\n');
    assert.throws(
      () => loadConfig(broken),
      (err: unknown) => isUsageError(err) && /broken\.yaml:\d+:\d+: /.test(err.problems[0] ?? ''),
    );
    assert.throws(() => loadConfig(join(dir, 'none.yaml')), /config file not found/);
  });
});

describe('checkApiKeys', () => {
  it('names the unset variable and never a value', () => {
    const input = minimal();
    input.providers.candidate.apiKeyEnv = 'RELAY_API_KEY';
    const config = valid(input);
    const marker = 'sk-test-MARKER-0123456789';
    assert.doesNotThrow(() => checkApiKeys(config, { OPENAI_API_KEY: marker, RELAY_API_KEY: marker }));
    assert.throws(
      () => checkApiKeys(config, { OPENAI_API_KEY: marker, RELAY_API_KEY: '' }),
      (err: unknown) => {
        assert.ok(isUsageError(err));
        const text = `${err.message}\n${err.problems.join('\n')}`;
        assert.match(text, /RELAY_API_KEY/);
        assert.doesNotMatch(text, /OPENAI_API_KEY|MARKER/);
        return true;
      },
    );
  });
});

describe('redactedConfigJson', () => {
  it('keeps apiKeyEnv names and masks header values and URL params that look like credentials', () => {
    const input = minimal();
    input.providers.baseline.headers = {
      'X-Relay-Token': 'abc',
      'X-Team': 'ml-platform',
      'X-Opaque': 'A'.repeat(40),
    };
    input.providers.candidate.baseUrl = 'https://relay.example.com/v1?api_key=topsecret&region=eu';
    const json = redactedConfigJson(valid(input));
    const parsed = JSON.parse(json);
    assert.equal(parsed.providers.baseline.apiKeyEnv, 'OPENAI_API_KEY');
    assert.equal(parsed.providers.baseline.headers['X-Team'], 'ml-platform');
    assert.equal(parsed.providers.baseline.headers['X-Relay-Token'], '[redacted]');
    assert.equal(parsed.providers.baseline.headers['X-Opaque'], '[redacted]');
    assert.ok(!json.includes('topsecret'));
    assert.match(parsed.providers.candidate.baseUrl, /region=eu/);
  });
});

describe('millisecond settings above the timer limit (issue 14 item 6)', () => {
  const tooBig = 2 ** 31;

  it('rejects a model timeoutMs above 2^31-1, naming the key', () => {
    const input = minimal();
    input.providers.baseline.models['gpt-4.1'].timeoutMs = tooBig;
    const result = validateConfig(input);
    assert.ok('errors' in result);
    assert.deepEqual(result.errors, [
      'providers.baseline.models.gpt-4.1.timeoutMs: must be at most 2147483647 ms (Node timers fire at once above it)',
    ]);
  });

  it('rejects every retry duration above 2^31-1, top level and per provider, and keeps 2^31-1', () => {
    const input = minimal();
    input.retry = { attemptTimeoutMs: tooBig, totalDeadlineMs: tooBig, breaker: { cooldownMs: tooBig } };
    input.providers.candidate.retry = { bodyTimeoutMs: 1e12, budget: { ttlMs: tooBig } };
    const result = validateConfig(input);
    assert.ok('errors' in result);
    const keys = result.errors.map((e) => e.split(':')[0]);
    assert.deepEqual(keys, [
      'retry.attemptTimeoutMs',
      'retry.totalDeadlineMs',
      'retry.breaker.cooldownMs',
      'providers.candidate.retry.bodyTimeoutMs',
      'providers.candidate.retry.budget.ttlMs',
    ]);
    for (const e of result.errors) assert.match(e, /must be at most 2147483647 ms/);

    const ok = minimal();
    ok.retry = { totalDeadlineMs: 2 ** 31 - 1 };
    ok.providers.baseline.models['gpt-4.1'].timeoutMs = 2 ** 31 - 1;
    assert.ok('value' in validateConfig(ok));
  });
});
