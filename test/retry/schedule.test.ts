import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/retry/policy.js';
import { loadRetryPolicy } from '../../src/retry/policy-file.js';
import { buildRetrySchedule } from '../../src/retry/schedule.js';
import { formatRetrySchedule, retryScheduleJson } from '../../src/retry/schedule-format.js';
import { ConfigError } from '../../src/shared/errors.js';

const fixed: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  strategy: 'exponential-capped',
  jitter: 'none',
  baseDelayMs: 500,
  maxDelayMs: 3_000,
  maxAttempts: 5,
  attemptTimeoutMs: 10_000,
  totalDeadlineMs: 600_000,
};

describe('buildRetrySchedule', () => {
  it('has one row per attempt; the first has no wait', () => {
    const s = buildRetrySchedule(fixed);
    assert.equal(s.rows.length, 5);
    assert.equal(s.rows[0]!.wait, null);
    assert.equal(s.rows[0]!.maxMs, 0);
    assert.deepEqual(
      s.rows.map((r) => r.attempt),
      [1, 2, 3, 4, 5],
    );
  });

  it('without jitter every wait is the strategy delay and the sample equals it', () => {
    const s = buildRetrySchedule(fixed);
    assert.deepEqual(
      s.rows.slice(1).map((r) => [r.minMs, r.maxMs, r.sampleMs]),
      [
        [500, 500, 500],
        [1000, 1000, 1000],
        [2000, 2000, 2000],
        [3000, 3000, 3000],
      ],
    );
    assert.equal(s.worstCaseWaitMs, 6_500);
    assert.equal(s.worstCaseTotalMs, 6_500 + 5 * 10_000);
    assert.equal(s.randomised, false);
  });

  it('with jitter shows the range and a seeded sample inside it; the worst case sums the upper ends', () => {
    const s = buildRetrySchedule({ ...fixed, jitter: 'equal' }, { seed: 4 });
    for (const r of s.rows.slice(1)) {
      assert.equal(r.minMs, r.strategyMaxMs / 2);
      assert.ok(r.sampleMs >= r.minMs && r.sampleMs <= r.maxMs);
    }
    assert.equal(s.worstCaseWaitMs, 500 + 1000 + 2000 + 3000);
    assert.deepEqual(buildRetrySchedule({ ...fixed, jitter: 'equal' }, { seed: 4 }), s);
    assert.notDeepEqual(buildRetrySchedule({ ...fixed, jitter: 'equal' }, { seed: 5 }).rows, s.rows);
  });

  it('caps the worst case at the total deadline and notes attempts that can never start', () => {
    const s = buildRetrySchedule({ ...fixed, strategy: 'constant', totalDeadlineMs: 1_200 });
    assert.equal(s.worstCaseTotalMs, 1_200);
    // waits of 500 ms: after two of them (1000 ms) one more reaches 1500 >= 1200
    assert.equal(s.unreachableAttempts, 2);
    assert.match(formatRetrySchedule(s), /last 2 attempt\(s\) can never start/);
  });

  it('a per-model attempt timeout changes the worst case', () => {
    assert.equal(buildRetrySchedule(fixed, { attemptTimeoutMs: 1_000 }).worstCaseTotalMs, 6_500 + 5 * 1_000);
  });
});

describe('schedule rendering', () => {
  it('prints a row per attempt and the worst-case totals', () => {
    const text = formatRetrySchedule(buildRetrySchedule(fixed));
    const lines = text.split('\n');
    assert.match(
      lines[0]!,
      /exponential-capped backoff, no jitter, base 500 ms, max delay 3000 ms, 5 attempts/,
    );
    assert.match(text, /worst-case total wait: 6500 ms \(6\.5 s\)/);
    assert.match(text, /worst-case total time: 56500 ms/);
    assert.equal(lines.filter((l) => /^\s+\d+\s/.test(l)).length, 5);
  });

  it('the JSON form has the attempts and the totals', () => {
    const json = retryScheduleJson(buildRetrySchedule(fixed)) as {
      attempts: unknown[];
      worst_case_wait_ms: number;
    };
    assert.equal(json.attempts.length, 5);
    assert.equal(json.worst_case_wait_ms, 6500);
  });
});

describe('loadRetryPolicy', () => {
  it('reads the retry key of a YAML or JSON config and reports every problem', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-retry-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const yamlFile = join(dir, 'exp.yaml');
    await writeFile(yamlFile, 'providers: {}\nretry:\n  strategy: linear\n  maxAttempts: 3\n');
    const p = await loadRetryPolicy(yamlFile);
    assert.deepEqual([p.strategy, p.maxAttempts, p.jitter], ['linear', 3, DEFAULT_RETRY_POLICY.jitter]);

    const jsonFile = join(dir, 'exp.json');
    await writeFile(jsonFile, JSON.stringify({ retry: { maxAttempts: 0, jitter: 'loud' } }));
    await assert.rejects(loadRetryPolicy(jsonFile), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.exitCode, 2);
      assert.deepEqual(err.problems.sort(), [
        'retry.jitter: must be one of none, full, equal, range',
        'retry.maxAttempts: must be an integer >= 1',
      ]);
      return true;
    });

    await assert.rejects(
      loadRetryPolicy(join(dir, 'missing.yaml')),
      /cannot read .*missing\.yaml \(ENOENT\)/,
    );
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'retry: [unclosed\n');
    await assert.rejects(loadRetryPolicy(broken), /not valid YAML or JSON/);
  });
});
