/**
 * The sending side of a run's arms: one client, policy, retry budget and
 * circuit breaker per provider, and each recorded model resolved once per arm.
 */
import { resolveModel, retryPolicyFor } from '../config/resolve-model.js';
import type { ExperimentConfig, ModelConfig } from '../config/types.js';
import { createProviderClient } from '../providers/create-provider.js';
import type { ProviderClient } from '../providers/types.js';
import { RetryBudget } from '../retry/budget.js';
import { CircuitBreaker } from '../retry/circuit-breaker.js';
import { attemptTimeoutForModel } from '../retry/policy.js';
import type { Clock } from '../shared/clock.js';
import type { ArmTarget } from './arm-executor.js';
import type { StoredOptions } from './run-options.js';
import { isReplicaPick } from './sampling.js';

/** Per-arm, per-recorded-model resolution, computed once per model rather than per prompt. */
export interface ResolvedModel {
  model: string;
  prices: ModelConfig | null;
  attemptTimeoutMs: number;
}

export class ArmTargets {
  readonly baseline: ArmTarget;
  readonly candidate: ArmTarget;
  /** The same provider asked again: it shares the baseline's client, budget and breaker. */
  readonly replica: ArmTarget;
  private readonly resolved = new Map<ArmTarget, Map<string, ResolvedModel>>();

  /**
   * Pushes each client it creates onto `clients` at once, so the caller closes
   * whatever was opened even when a later creation throws.
   */
  constructor(
    config: ExperimentConfig,
    private readonly o: StoredOptions,
    deps: { env: Record<string, string | undefined>; clock: Clock },
    clients: ProviderClient[],
  ) {
    const { clock } = deps;
    const { baseline, candidate } = config.providers;
    const baselineClient = createProviderClient(baseline, {
      connections: o.concurrency * (o.replica > 0 ? 2 : 1),
      env: deps.env,
      clock,
    });
    clients.push(baselineClient);
    const candidateClient = createProviderClient(candidate, {
      connections: o.concurrency,
      env: deps.env,
      clock,
    });
    clients.push(candidateClient);
    const baselinePolicy = retryPolicyFor(config, baseline);
    const candidatePolicy = retryPolicyFor(config, candidate);
    this.baseline = {
      arm: 'baseline',
      provider: baseline,
      client: baselineClient,
      policy: baselinePolicy,
      budget: new RetryBudget(baselinePolicy.budget, clock),
      breaker: new CircuitBreaker(baselinePolicy.breaker, clock),
    };
    this.candidate = {
      arm: 'candidate',
      provider: candidate,
      client: candidateClient,
      policy: candidatePolicy,
      budget: new RetryBudget(candidatePolicy.budget, clock),
      breaker: new CircuitBreaker(candidatePolicy.breaker, clock),
    };
    this.replica = { ...this.baseline, arm: 'baseline_replica' };
  }

  /** The arms a prompt goes to: baseline and candidate, and the replica when `--replica` picks it. */
  forPrompt(promptId: string): ArmTarget[] {
    const targets = [this.baseline, this.candidate];
    if (isReplicaPick(promptId, this.o.seed, this.o.replica)) targets.push(this.replica);
    return targets;
  }

  resolve(target: ArmTarget, recordedModel: string): ResolvedModel {
    let byModel = this.resolved.get(target);
    if (!byModel) {
      byModel = new Map();
      this.resolved.set(target, byModel);
    }
    let r = byModel.get(recordedModel);
    if (!r) {
      const { model, prices } = resolveModel(target.provider, recordedModel);
      r = { model, prices, attemptTimeoutMs: attemptTimeoutForModel(target.policy, prices) };
      byModel.set(recordedModel, r);
    }
    return r;
  }
}
