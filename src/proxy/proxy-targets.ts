/**
 * Both providers as the proxy sends to them: raw upstreams for answers passed
 * through to the client, provider clients for mirrors (which are read, not
 * relayed), and one retry policy, budget and breaker per provider shared by
 * both, as in a replay.
 */
import { retryPolicyFor } from '../config/resolve-model.js';
import type { ExperimentConfig, ProviderConfig } from '../config/types.js';
import { createProviderClient } from '../providers/create-provider.js';
import type { ProviderClient } from '../providers/types.js';
import { RetryBudget } from '../retry/budget.js';
import { CircuitBreaker } from '../retry/circuit-breaker.js';
import type { ArmTarget } from '../runner/arm-executor.js';
import type { Clock } from '../shared/clock.js';
import type { PassTarget } from './pass-through.js';
import { Upstream } from './upstream.js';

export interface ProxyTargetsOptions {
  /** Connections per provider for served answers. */
  connections: number;
  /** Connections per provider for mirrors. */
  mirrorConnections: number;
  env: Record<string, string | undefined>;
  clock: Clock;
}

export class ProxyTargets {
  readonly baseline: PassTarget;
  readonly candidate: PassTarget;
  readonly mirrorCandidate: ArmTarget;
  readonly mirrorReplica: ArmTarget;
  private readonly clients: ProviderClient[] = [];
  private readonly upstreams: Upstream[] = [];

  constructor(config: ExperimentConfig, o: ProxyTargetsOptions) {
    const { baseline, candidate } = config.providers;
    const side = (provider: ProviderConfig) => {
      const policy = retryPolicyFor(config, provider);
      const upstream = new Upstream(provider, {
        connections: o.connections,
        connectTimeoutMs: policy.connectTimeoutMs,
        env: o.env,
      });
      this.upstreams.push(upstream);
      return {
        upstream,
        policy,
        budget: new RetryBudget(policy.budget, o.clock),
        breaker: new CircuitBreaker(policy.breaker, o.clock),
      };
    };
    this.baseline = side(baseline);
    this.candidate = side(candidate);
    const client = (provider: ProviderConfig) => {
      const c = createProviderClient(provider, {
        connections: o.mirrorConnections,
        env: o.env,
        clock: o.clock,
      });
      this.clients.push(c);
      return c;
    };
    this.mirrorCandidate = {
      arm: 'candidate',
      provider: candidate,
      client: client(candidate),
      policy: this.candidate.policy,
      budget: this.candidate.budget,
      breaker: this.candidate.breaker,
    };
    this.mirrorReplica = {
      arm: 'baseline_replica',
      provider: baseline,
      client: client(baseline),
      policy: this.baseline.policy,
      budget: this.baseline.budget,
      breaker: this.baseline.breaker,
    };
  }

  /** Closes every pool; with `now`, drops their connections instead of waiting for them. */
  async close(now = false): Promise<void> {
    await Promise.allSettled([
      ...this.upstreams.map((u) => (now ? u.destroy() : u.close())),
      ...this.clients.map((c) => c.close()),
    ]);
  }
}
