import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { idempotencyKey } from '../../src/retry/idempotency.js';
import { isReplicaPick, isSampled } from '../../src/runner/sampling.js';
import { runShadow, type ShadowRunDeps, type ShadowRunOptions } from '../../src/runner/shadow-run.js';
import { systemClock } from '../../src/shared/clock.js';
import { ConfigError, InterruptedError, ScenarioError, UsageError } from '../../src/shared/errors.js';
import {
  finalRowCounts,
  makePrompts,
  openDb,
  profile,
  simConfig,
  simConfigInput,
  startSim,
  tempDir,
  writeConfig,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';

function deps(over: Partial<ShadowRunDeps> = {}): ShadowRunDeps {
  return { clock: systemClock, env: {}, ...over };
}

interface RequestRowView {
  prompt_id: string;
  arm: string;
  outcome: string;
  attempts: number;
  error_class: string | null;
  latency_ms: number;
  service_ms: number | null;
  ttft_ms: number | null;
  cost_usd: number;
  output_text: string | null;
  output_hash: string | null;
  similarity: number | null;
  idempotency_key: string;
  input_tokens: number | null;
}

/** Every final row's `attempts` equals its attempts rows, and no attempts row lacks a final row. */
function assertAttemptsConsistent(db: ReturnType<typeof openDb>, runId: string): void {
  const mismatched = db
    .prepare(
      `SELECT r.prompt_id, r.arm, r.attempts, (SELECT COUNT(*) FROM attempts a
         WHERE a.run_id = r.run_id AND a.prompt_id = r.prompt_id AND a.arm = r.arm) AS n
       FROM requests r WHERE r.run_id = ? AND r.attempts != n`,
    )
    .all(runId);
  assert.deepEqual(mismatched, []);
  const orphans = db
    .prepare(
      `SELECT COUNT(*) AS n FROM attempts a WHERE a.run_id = ? AND NOT EXISTS
         (SELECT 1 FROM requests r WHERE r.run_id = a.run_id AND r.prompt_id = a.prompt_id AND r.arm = a.arm)`,
    )
    .get(runId) as { n: number };
  assert.equal(orphans.n, 0);
}

async function setup(
  t: TestContext,
  n: number,
  sims?: { baseline?: Parameters<typeof profile>; candidate?: Parameters<typeof profile> },
) {
  const dir = tempDir(t);
  const baseline = await startSim(t, profile(...(sims?.baseline ?? ['steady'])), 1);
  const candidate = await startSim(t, profile(...(sims?.candidate ?? ['steady'])), 1);
  const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(n));
  return { dir, baseline, candidate, scenarioPath, dbPath: join(dir, 'run.db') };
}

describe('runShadow', () => {
  it('sends every prompt to both arms (and the replica share), one final row each, attempts recorded', async (t) => {
    // Streaming with every chunk due at once: the simulator can reorder chunks due at different times.
    const s = await setup(t, 40, {
      baseline: ['openai-like', { faultRates: {}, ttft: { fixedMs: 300 }, tpot: { fixedMs: 0 } }],
      candidate: ['relay-fast', { ttft: { fixedMs: 200 }, tpot: { fixedMs: 0 } }],
    });
    const progress: number[] = [];
    const summary = await runShadow(
      {
        config: simConfig(s.baseline.url, s.candidate.url),
        scenarioPath: s.scenarioPath,
        dbPath: s.dbPath,
        replica: 0.5,
        seed: 7,
        label: 'e2e',
      },
      deps({ onProgress: (p) => progress.push(p.done) }),
    );
    const replicas = makePrompts(40).filter((p) => isReplicaPick(p.id as string, 7, 0.5)).length;
    assert.ok(replicas > 5 && replicas < 35);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.prompts, 40);
    assert.equal(summary.arms.baseline.requests, 40);
    assert.equal(summary.arms.candidate.requests, 40);
    assert.equal(summary.arms.baseline_replica?.requests, replicas);
    assert.match(summary.run_id, /^r-\d{8}-\d{6}-[0-9a-f]{4}$/);
    assert.equal(progress.at(-1), 40);

    const db = openDb(t, s.dbPath);
    const counts = finalRowCounts(db, summary.run_id);
    assert.equal(counts.size, 80 + replicas);
    assert.ok([...counts.values()].every((c) => c === 1));
    assertAttemptsConsistent(db, summary.run_id);

    const rows = db
      .prepare('SELECT * FROM requests WHERE run_id = ?')
      .all(summary.run_id) as RequestRowView[];
    let spent = 0;
    let withText = 0;
    let ok = 0;
    for (const row of rows) {
      assert.equal(row.idempotency_key, idempotencyKey(summary.run_id, row.prompt_id, row.arm));
      assert.ok(row.latency_ms > 0);
      spent += row.cost_usd;
      if (row.outcome !== 'ok') continue;
      ok++;
      if (row.output_text) withText++;
      assert.match(row.output_hash ?? '', /^[0-9a-f]{64}$/);
      assert.ok(row.cost_usd > 0, 'priced model, usage reported');
      assert.ok(row.service_ms !== null && row.service_ms <= row.latency_ms + 1);
      assert.ok(row.ttft_ms !== null, 'streaming measures TTFT');
    }
    assert.equal(withText, ok);
    // Similarity is filled for candidate and replica rows answered alongside an ok baseline.
    const baselineOk = new Set(
      rows.filter((r) => r.arm === 'baseline' && r.outcome === 'ok').map((r) => r.prompt_id),
    );
    for (const row of rows) {
      if (row.arm === 'baseline') assert.equal(row.similarity, null);
      else if (row.outcome === 'ok' && baselineOk.has(row.prompt_id)) {
        assert.ok(row.similarity !== null && row.similarity >= 0 && row.similarity <= 1);
      }
    }
    const run = db.prepare('SELECT * FROM runs WHERE id = ?').get(summary.run_id) as Record<string, unknown>;
    assert.equal(run.label, 'e2e');
    assert.equal(run.total_prompts, 40);
    assert.ok(Math.abs((run.spent_usd as number) - spent) < 1e-9);
    assert.ok(Math.abs(summary.spent_usd - spent) < 1e-9);
    assert.ok(JSON.parse(run.prices_json as string).candidate['gpt-4.1']);
    const prompts = db
      .prepare('SELECT prompt_hash, request_json FROM prompts WHERE run_id = ?')
      .all(summary.run_id) as {
      prompt_hash: string;
      request_json: string;
    }[];
    assert.equal(prompts.length, 40);
    assert.ok(
      prompts.every((p) => /^[0-9a-f]{64}$/.test(p.prompt_hash) && p.request_json.includes('messages')),
    );
  });

  it('records faults as data, retries them, and stores the Retry-After hint per attempt', async (t) => {
    const s = await setup(t, 30, {
      baseline: ['steady', { faultRates: { '429': 0.4 }, retryAfterHeaders: 'seconds', retryAfterMs: 0 }],
      candidate: ['steady', { faultRates: { '500': 0.2, reset: 0.1, html: 0.1, 'malformed-json': 0.1 } }],
    });
    const summary = await runShadow(
      {
        config: simConfig(s.baseline.url, s.candidate.url, { retry: { maxAttempts: 2 }, stream: false }),
        scenarioPath: s.scenarioPath,
        dbPath: s.dbPath,
      },
      deps(),
    );
    assert.equal(summary.status, 'completed');
    const db = openDb(t, s.dbPath);
    assertAttemptsConsistent(db, summary.run_id);
    assert.equal(finalRowCounts(db, summary.run_id).size, 60);
    const hinted = db
      .prepare(
        "SELECT COUNT(*) AS n FROM attempts WHERE run_id = ? AND arm = 'baseline' AND attempt > 1 AND hint = 'retry-after'",
      )
      .get(summary.run_id) as { n: number };
    assert.ok(hinted.n > 0, 'retries after a 429 carry the retry-after hint');
    const first429 = db
      .prepare(
        "SELECT COUNT(*) AS n FROM attempts WHERE run_id = ? AND http_status = 429 AND error_class = 'http_429'",
      )
      .get(summary.run_id) as { n: number };
    assert.ok(first429.n > 0);
    const candidateErrors = db
      .prepare(
        "SELECT DISTINCT error_class FROM attempts WHERE run_id = ? AND arm = 'candidate' AND error_class IS NOT NULL",
      )
      .all(summary.run_id) as { error_class: string }[];
    assert.ok(candidateErrors.length >= 2, JSON.stringify(candidateErrors));
    // Two attempts at most: some candidate requests end in error, and that is data, not a failure of the run.
    assert.ok(summary.arms.candidate.error > 0);
    assert.equal(summary.arms.candidate.requests, 30);
  });

  it('--seed reproduces every retry wait per (prompt, arm, attempt) whatever the completion order', async (t) => {
    const dir = tempDir(t);
    const scenarioPath = writeJsonl(join(dir, 'prompts.jsonl'), makePrompts(40));
    // Fresh simulators per run: their faults depend on how often they saw a prompt, so both runs meet the same ones.
    const faulty = (rate: number) =>
      profile('steady', { faultRates: { '500': rate, reset: 0.1 }, latencyScale: 0.02 });
    const delays = async (name: string, seed: number) => {
      const baseline = await startSim(t, faulty(0.3), 1);
      const candidate = await startSim(t, faulty(0.2), 2);
      const dbPath = join(dir, `${name}.db`);
      const config = simConfig(baseline.url, candidate.url, {
        concurrency: 8,
        stream: false,
        retry: {
          maxAttempts: 4,
          baseDelayMs: 5,
          maxDelayMs: 40,
          budget: { enabled: false },
          breaker: { enabled: false },
        },
      });
      const summary = await runShadow({ config, scenarioPath, dbPath, seed }, deps());
      const db = openDb(t, dbPath);
      return db
        .prepare(
          'SELECT prompt_id, arm, attempt, delay_before_ms FROM attempts WHERE run_id = ? ORDER BY prompt_id, arm, attempt',
        )
        .all(summary.run_id) as { attempt: number; delay_before_ms: number }[];
    };
    const first = await delays('first', 5);
    const second = await delays('second', 5);
    const retries = first.filter((a) => a.attempt > 1);
    assert.ok(retries.length >= 10, `${retries.length} retries`);
    assert.ok(retries.every((a) => a.delay_before_ms > 0));
    assert.deepEqual(second, first);
    const otherSeed = await delays('other-seed', 6);
    assert.notDeepEqual(
      otherSeed.filter((a) => a.attempt > 1).map((a) => a.delay_before_ms),
      retries.map((a) => a.delay_before_ms),
      'the seed drives the waits',
    );
  });

  it('samples deterministically by id and seed, then applies --limit', async (t) => {
    const s = await setup(t, 60);
    const summary = await runShadow(
      {
        config: simConfig(s.baseline.url, s.candidate.url),
        scenarioPath: s.scenarioPath,
        dbPath: s.dbPath,
        sample: 0.5,
        seed: 3,
        limit: 10,
      },
      deps(),
    );
    const expected = makePrompts(60)
      .map((p) => p.id as string)
      .filter((id) => isSampled(id, 3, 0.5))
      .slice(0, 10);
    const db = openDb(t, s.dbPath);
    const ids = (
      db.prepare('SELECT prompt_id FROM prompts WHERE run_id = ? ORDER BY seq').all(summary.run_id) as {
        prompt_id: string;
      }[]
    ).map((r) => r.prompt_id);
    assert.deepEqual(ids, expected);
    assert.equal(summary.total_prompts, 10);
  });

  it('records an unpriced model as unknown cost (NULL), with a warning, never as free', async (t) => {
    const s = await setup(t, 6);
    writeJsonl(s.scenarioPath, makePrompts(6, { model: 'unpriced-model' }));
    const warnings: string[] = [];
    const summary = await runShadow(
      { config: simConfig(s.baseline.url, s.candidate.url), scenarioPath: s.scenarioPath, dbPath: s.dbPath },
      deps({ onWarning: (line) => warnings.push(line) }),
    );
    assert.ok(warnings.some((w) => w.includes('unpriced-model') && w.includes('no prices')));
    const db = openDb(t, s.dbPath);
    const rows = db
      .prepare("SELECT outcome, cost_usd FROM requests WHERE run_id = ? AND outcome = 'ok'")
      .all(summary.run_id) as { outcome: string; cost_usd: number | null }[];
    assert.equal(rows.length, 12);
    assert.ok(rows.every((r) => r.cost_usd === null));
    const attempts = db.prepare('SELECT cost_usd FROM attempts WHERE run_id = ?').all(summary.run_id) as {
      cost_usd: number | null;
    }[];
    assert.ok(attempts.every((a) => a.cost_usd === null));
  });

  it('stops at the USD budget without exceeding it, and a resume with a higher budget completes', async (t) => {
    const s = await setup(t, 40);
    const config = simConfig(s.baseline.url, s.candidate.url, { concurrency: 2 });
    const first = await runShadow(
      { config, scenarioPath: s.scenarioPath, dbPath: s.dbPath, budgetUsd: 0.004 },
      deps(),
    );
    assert.equal(first.status, 'budget_exhausted');
    assert.ok(first.spent_usd <= 0.004, `${first.spent_usd}`);
    assert.ok(first.spent_usd > 0);
    assert.ok(first.arms.baseline.requests < 40);

    const second = await runShadow({ config, dbPath: s.dbPath, resume: first.run_id, budgetUsd: 1 }, deps());
    assert.equal(second.status, 'completed');
    assert.equal(second.run_id, first.run_id);
    assert.equal(second.arms.baseline.requests, 40);
    assert.equal(second.arms.candidate.requests, 40);
    assert.ok(second.spent_usd > first.spent_usd);
    assert.equal(second.budget_usd, 1);
    const db = openDb(t, s.dbPath);
    const counts = finalRowCounts(db, first.run_id);
    assert.equal(counts.size, 80);
    assertAttemptsConsistent(db, first.run_id);
    const cost = db
      .prepare('SELECT SUM(cost_usd) AS usd FROM requests WHERE run_id = ?')
      .get(first.run_id) as {
      usd: number;
    };
    assert.ok(second.spent_usd >= cost.usd - 1e-12, 'spend includes every booked attempt');
    const reserved = db.prepare('SELECT reserved_usd FROM runs WHERE id = ?').pluck().get(first.run_id);
    assert.equal(reserved, 0, 'both sessions released every reservation with its row');
  });

  it('--redact keeps prompt text and API keys out of every byte of the db (WAL included)', async (t) => {
    const s = await setup(t, 1);
    const marker = 'ZEBRA-QUOKKA-7731';
    const keyValue = 'sk-test-UNIQUE-KEY-VALUE-99812734';
    const scenarioPath = writeJsonl(join(s.dir, 'secret.jsonl'), makePrompts(12, { marker }));
    const env = { SG_TEST_BASELINE_KEY: keyValue, SG_TEST_CANDIDATE_KEY: keyValue };
    const configPath = writeConfig(
      join(s.dir, 'config.json'),
      simConfigInput(s.baseline.url, s.candidate.url, {
        baselineKeyEnv: 'SG_TEST_BASELINE_KEY',
        candidateKeyEnv: 'SG_TEST_CANDIDATE_KEY',
      }),
    );
    const bytesOf = (dbPath: string) =>
      Buffer.concat(
        readdirSync(s.dir)
          .filter((f) => join(s.dir, f).startsWith(dbPath))
          .map((f) => readFileSync(join(s.dir, f))),
      );

    const redactedDb = join(s.dir, 'redacted.db');
    const summary = await runShadow(
      { configPath, scenarioPath, dbPath: redactedDb, redact: true },
      deps({ env }),
    );
    assert.equal(summary.arms.baseline.ok, 12);
    const db = openDb(t, redactedDb);
    const row = db.prepare('SELECT request_json, prompt_hash FROM prompts LIMIT 1').get() as Record<
      string,
      unknown
    >;
    assert.equal(row.request_json, null);
    assert.match(String(row.prompt_hash), /^[0-9a-f]{64}$/);
    const out = db
      .prepare("SELECT output_text, output_hash FROM requests WHERE outcome = 'ok' LIMIT 1")
      .get() as Record<string, unknown>;
    assert.equal(out.output_text, null);
    assert.match(String(out.output_hash), /^[0-9a-f]{64}$/);
    const redactedBytes = bytesOf(redactedDb);
    assert.equal(redactedBytes.includes(marker), false, 'prompt text in the redacted db');
    assert.equal(redactedBytes.includes(keyValue), false, 'API key in the db');

    // The same run unredacted does store the text: the search above can find it.
    const plainDb = join(s.dir, 'plain.db');
    await runShadow({ configPath, scenarioPath, dbPath: plainDb }, deps({ env }));
    const plainBytes = bytesOf(plainDb);
    assert.equal(plainBytes.includes(marker), true);
    assert.equal(plainBytes.includes(keyValue), false, 'API key in the db');
  });

  it('Ctrl-C: stops, marks the run interrupted, and a resume completes without doubling anything', async (t) => {
    const s = await setup(t, 60, {
      baseline: ['openai-like', { faultRates: {}, latencyScale: 0.03 }],
      candidate: ['relay-fast', { faultRates: {}, latencyScale: 0.03 }],
    });
    const config = simConfig(s.baseline.url, s.candidate.url, { concurrency: 4, stream: false });
    const ac = new AbortController();
    const warnings: string[] = [];
    const err = await runShadow(
      { config, scenarioPath: s.scenarioPath, dbPath: s.dbPath, graceMs: 100, replica: 0.3 },
      deps({
        signal: ac.signal,
        onProgress: (p) => {
          if (p.done >= 6) ac.abort(new Error('SIGINT'));
        },
      }),
    ).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof InterruptedError, String(err));
    const runId = /--resume (\S+)/.exec(err.message)?.[1];
    assert.ok(runId);
    assert.match(err.message, new RegExp(`--db ${s.dbPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    {
      const db = openDb(t, s.dbPath);
      const run = db.prepare('SELECT status, finished_at FROM runs WHERE id = ?').get(runId) as Record<
        string,
        unknown
      >;
      assert.equal(run.status, 'interrupted');
      const done = db.prepare('SELECT COUNT(*) AS n FROM requests WHERE run_id = ?').get(runId) as {
        n: number;
      };
      assert.ok(done.n > 0 && done.n < 120, `${done.n}`);
    }

    const summary = await runShadow(
      { config, dbPath: s.dbPath, resume: runId },
      deps({ onWarning: (w) => warnings.push(w) }),
    );
    assert.equal(summary.status, 'completed');
    const db = openDb(t, s.dbPath);
    const counts = finalRowCounts(db, runId);
    const replicas = makePrompts(60).filter((p) => isReplicaPick(p.id as string, 1, 0.3)).length;
    assert.equal(counts.size, 120 + replicas);
    assert.ok([...counts.values()].every((c) => c === 1));
    assertAttemptsConsistent(db, runId);
    const keys = db
      .prepare('SELECT prompt_id, arm, idempotency_key FROM requests WHERE run_id = ?')
      .all(runId) as {
      prompt_id: string;
      arm: string;
      idempotency_key: string;
    }[];
    for (const k of keys) assert.equal(k.idempotency_key, idempotencyKey(runId, k.prompt_id, k.arm));
  });

  it('a second Ctrl-C aborts in-flight requests at once and leaves a consistent db', async (t) => {
    const s = await setup(t, 30, {
      baseline: ['openai-like', { faultRates: {}, latencyScale: 0.05 }],
      candidate: ['openai-like', { faultRates: {}, latencyScale: 0.05 }],
    });
    const config = simConfig(s.baseline.url, s.candidate.url, { concurrency: 8, stream: false });
    const soft = new AbortController();
    const hard = new AbortController();
    const started = performance.now();
    const err = await runShadow(
      { config, scenarioPath: s.scenarioPath, dbPath: s.dbPath, graceMs: 60_000 },
      deps({
        signal: soft.signal,
        hardSignal: hard.signal,
        onProgress: (p) => {
          if (p.done >= 2) {
            soft.abort(new Error('SIGINT'));
            setTimeout(() => hard.abort(new Error('SIGINT again')), 5);
          }
        },
      }),
    ).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof InterruptedError);
    assert.ok(performance.now() - started < 20_000, 'did not wait for the 60 s grace');
    const runId = /--resume (\S+)/.exec(err.message)![1]!;
    const summary = await runShadow({ config, dbPath: s.dbPath, resume: runId }, deps());
    assert.equal(summary.arms.baseline.requests, 30);
    const db = openDb(t, s.dbPath);
    assert.equal(finalRowCounts(db, runId).size, 60);
    assertAttemptsConsistent(db, runId);
  });

  it('refuses bad input before anything is sent or written', async (t) => {
    const s = await setup(t, 5);
    const badConfig = writeConfig(join(s.dir, 'bad.json'), {
      providers: {
        baseline: { kind: 'openai', baseUrl: 'not a url' },
        candidate: { kind: 'nope', baseUrl: s.candidate.url },
      },
      run: { concurrency: 0 },
    });
    const configErr = await runShadow(
      { configPath: badConfig, scenarioPath: s.scenarioPath, dbPath: s.dbPath },
      deps(),
    ).catch((e: unknown) => e);
    assert.ok(configErr instanceof ConfigError);
    const problems = configErr.problems.join('\n');
    assert.match(problems, /providers\.baseline\.baseUrl/);
    assert.match(problems, /providers\.candidate\.kind/);

    const keyed = writeConfig(
      join(s.dir, 'keyed.json'),
      simConfigInput(s.baseline.url, s.candidate.url, { candidateKeyEnv: 'SG_TEST_UNSET_KEY' }),
    );
    const keyErr = await runShadow(
      { configPath: keyed, scenarioPath: s.scenarioPath, dbPath: s.dbPath },
      deps(),
    ).catch((e: unknown) => e);
    assert.ok(keyErr instanceof UsageError);
    assert.match(`${keyErr.message} ${keyErr.problems.join(' ')}`, /SG_TEST_UNSET_KEY/);

    const badScenario = writeJsonl(join(s.dir, 'bad.jsonl'), [
      makePrompts(1)[0],
      '{not json',
      { id: 'x', model: 'gpt-4.1', messages: [{ role: 'wizard', content: 'hi' }] },
    ]);
    const config = simConfig(s.baseline.url, s.candidate.url);
    const scenarioErr = await runShadow(
      { config, scenarioPath: badScenario, dbPath: s.dbPath },
      deps(),
    ).catch((e: unknown) => e);
    assert.ok(scenarioErr instanceof ScenarioError);
    assert.ok(scenarioErr.problems.some((p) => p.startsWith(`${badScenario}:2:`)));
    assert.ok(scenarioErr.problems.some((p) => p.startsWith(`${badScenario}:3:`)));

    assert.equal(existsSync(s.dbPath), false, 'nothing written');
    assert.equal(s.baseline.stats().requests ?? 0, 0, 'nothing sent');

    const warnings: string[] = [];
    const summary = await runShadow(
      { config, scenarioPath: badScenario, dbPath: s.dbPath, skipInvalid: true },
      deps({ onWarning: (w) => warnings.push(w) }),
    );
    assert.equal(summary.arms.baseline.requests, 1);
    assert.equal(warnings.filter((w) => w.includes(badScenario)).length, 2);
  });

  it('resume refuses a changed scenario and a changed selection', async (t) => {
    const s = await setup(t, 6);
    const config = simConfig(s.baseline.url, s.candidate.url);
    const summary = await runShadow(
      { config, scenarioPath: s.scenarioPath, dbPath: s.dbPath, sample: 0.9 },
      deps(),
    );
    const changedSample = await runShadow(
      { config, dbPath: s.dbPath, resume: summary.run_id, sample: 0.5 },
      deps(),
    ).catch((e: unknown) => e);
    assert.ok(changedSample instanceof UsageError);
    assert.match(changedSample.problems.join(' '), /--sample/);

    writeJsonl(s.scenarioPath, makePrompts(7));
    const changed = await runShadow({ config, dbPath: s.dbPath, resume: summary.run_id }, deps()).catch(
      (e: unknown) => e,
    );
    assert.ok(changed instanceof UsageError);
    assert.match(changed.message, /changed/);
    const missing = await runShadow({ config, dbPath: s.dbPath, resume: 'r-nope' }, deps()).catch(
      (e: unknown) => e,
    );
    assert.ok(missing instanceof UsageError);
  });

  it('a resumed run restores its config from the db when --config is not given again', async (t) => {
    const s = await setup(t, 8);
    const options: ShadowRunOptions = {
      config: simConfig(s.baseline.url, s.candidate.url),
      scenarioPath: s.scenarioPath,
      dbPath: s.dbPath,
      limit: 4,
    };
    const first = await runShadow(options, deps());
    const again = await runShadow({ dbPath: s.dbPath, resume: first.run_id }, deps());
    assert.equal(again.status, 'completed');
    assert.equal(again.arms.candidate.requests, 4);
  });
});
