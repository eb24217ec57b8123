import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_ROLLOUT_PLAN, loadPlan, validatePlan } from '../../src/rollout/plan.js';
import { ConfigError } from '../../src/shared/errors.js';

function problemsOf(input: unknown): string[] {
  try {
    validatePlan(input, 'plan.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /^invalid rollout plan plan\.yaml \(\d+ problems?\)$/);
    return err.problems;
  }
  assert.fail('expected ConfigError');
}

describe('validatePlan', () => {
  it('fills every default and turns a single stickyKey into a list', () => {
    assert.deepEqual(validatePlan({ stages: [10, 100] }, 'p'), {
      stages: [10, 100],
      ...DEFAULT_ROLLOUT_PLAN,
    });
    assert.deepEqual(DEFAULT_ROLLOUT_PLAN.stickyKey, ['id']);
    const plan = validatePlan(
      {
        stages: [5, 25, 50, 100],
        stickyKey: 'metadata.user_id',
        minRequestsPerStage: 50,
        maxStageRepeats: 0,
        fallback: false,
        confidence: 0.999,
        gates: { maxP95LatencyRatio: 1.2, minCostSavingsPct: -5 },
        gatesFile: 'g.yaml',
        onFail: 'hold',
        salt: 's1',
      },
      'p',
    );
    assert.deepEqual(plan.stickyKey, ['metadata.user_id']);
    assert.deepEqual(plan.gates, { maxP95LatencyRatio: 1.2, minCostSavingsPct: -5 });
    assert.equal(plan.maxStageRepeats, 0);
    assert.equal(plan.fallback, false);
    assert.equal(plan.onFail, 'hold');
    assert.equal(plan.gatesFile, 'g.yaml');
    assert.deepEqual(validatePlan({ stages: [100], stickyKey: ['metadata.tenant', 'id'] }, 'p').stickyKey, [
      'metadata.tenant',
      'id',
    ]);
  });

  it('names each bad key by its path, unknown keys included, all at once', () => {
    const problems = problemsOf({
      stages: [5, 50, 25],
      minRequestsPerStage: 0,
      maxStageRepeats: -1,
      stickyKey: 'metadata user',
      confidence: 0.9999,
      fallback: 'yes',
      gates: { maxP95LatencyRatio: 0, maxErrorRate: 0.1 },
      onFail: 'panic',
      stagse: [1],
    });
    assert.deepEqual(problems, [
      'stagse: unknown key (did you mean stages?)',
      'stages: must increase: stage 3 (25) follows 50',
      'minRequestsPerStage: must be an integer >= 1',
      'maxStageRepeats: must be an integer >= 0',
      'stickyKey: must be a dotted path into the prompt, like metadata.user_id or id, or a list of them',
      'fallback: must be true or false',
      'confidence: must be a number from 0.5 to 0.999',
      'gates.maxErrorRate: unknown key (did you mean maxErrorRateIncrease?)',
      'gates.maxP95LatencyRatio: must be a number > 0',
      'onFail: must be one of rollback, hold',
    ]);
  });

  it('wants stages that end at 100, as whole percentages', () => {
    assert.deepEqual(problemsOf({ stages: [5, 50] }), ['stages: must end at 100 (the last is 50)']);
    assert.deepEqual(problemsOf({ stages: [0.5, 100] }), ['stages[0]: must be an integer from 1 to 100']);
    assert.deepEqual(problemsOf({ stages: [] }), ['stages: must be a list of percentages (integers 1..100)']);
    assert.deepEqual(problemsOf({}), ['stages: required (e.g. [5, 25, 50, 100])']);
    assert.deepEqual(problemsOf([5, 100]), ['(top level): must be a mapping with stages']);
  });
});

describe('loadPlan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadowgate-plan-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads YAML and JSON, resolving gatesFile against the plan', () => {
    const yamlPath = join(dir, 'plan.yaml');
    writeFileSync(yamlPath, '# a plan\nstages: [5, 100]\ngatesFile: gates/rollout.yaml\n');
    const plan = loadPlan(yamlPath);
    assert.deepEqual(plan.stages, [5, 100]);
    assert.equal(plan.gatesFile, join(dir, 'gates/rollout.yaml'));
    const jsonPath = join(dir, 'plan.json');
    writeFileSync(jsonPath, JSON.stringify({ stages: [100], onFail: 'hold' }));
    assert.equal(loadPlan(jsonPath).onFail, 'hold');
  });

  it('throws ConfigError naming the file: missing, bad YAML, bad keys', () => {
    assert.throws(() => loadPlan(join(dir, 'none.yaml')), /rollout plan not found: .*none\.yaml/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'stages: [5, 100\n');
    assert.throws(
      () => loadPlan(bad),
      (err: unknown) => err instanceof ConfigError && err.message.includes(bad),
    );
    writeFileSync(bad, 'stages: [5, 100]\nsalt: ""\n');
    assert.throws(
      () => loadPlan(bad),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === `invalid rollout plan ${bad} (1 problem)` &&
        err.problems[0] === 'salt: must be a non-empty string',
    );
  });
});
