// The library API: re-exports only. The CLI (src/cli/) is a thin layer over these.

export { checkApiKeys, loadConfig, redactedConfigJson, resolveModel } from './config/load-config.js';
export type * from './config/types.js';
export { validateConfig } from './config/validate-config.js';
export { initProject } from './init/init-project.js';
export { jsonSchemaFiles } from './init/json-schemas.js';
export * from './judge/gates.js';
export { loadGates } from './judge/load-gates.js';
export { costUsd, worstCaseCostUsd } from './pricing/cost.js';
export {
  loadPriceFile,
  lookupPrice,
  type PriceTable,
  parseLiteLlmPrices,
  withFilePrices,
} from './pricing/litellm-prices.js';
export { createProviderClient, type ProviderClientOptions } from './providers/create-provider.js';
export type * from './providers/types.js';
export {
  PROXY_DEFAULTS,
  PROXY_MODES,
  type ProxyMode,
  type ProxyOptions,
} from './proxy/proxy-options.js';
export { type ProxyDeps, type ProxyServer, startProxy } from './proxy/proxy-server.js';
export { renderHtml } from './report/render-html.js';
export { renderJson } from './report/render-json.js';
export { renderMarkdown } from './report/render-markdown.js';
export { buildShadowReport, resolveShadowRunId } from './report/shadow-model.js';
export type * from './report/shadow-report.js';
export { RetryBudget } from './retry/budget.js';
export {
  type BreakerEvent,
  type BreakerPermit,
  type BreakerState,
  CircuitBreaker,
} from './retry/circuit-breaker.js';
export { compareContention, simulateContention } from './retry/contention-sim.js';
export { decide } from './retry/decide.js';
export * from './retry/execute.js';
export { idempotencyKey } from './retry/idempotency.js';
export * from './retry/policy.js';
export { buildRetrySchedule } from './retry/schedule.js';
export * from './rollout/plan.js';
export { type RolloutStateDocument, stateDocument, writeStateDocument } from './rollout/rollout-state.js';
export { BUCKETS, bucketFor, HASH_VERSION, routeFor } from './rollout/route-for.js';
export {
  type CreateRouterOptions,
  createRouter,
  type RouteOutcome,
  type Router,
  type RouterState,
  type RouterStateSource,
} from './rollout/router.js';
export { type RolloutRunOptions, type RolloutSummary, runRollout } from './runner/rollout-run.js';
export * from './runner/shadow-run.js';
export { readScenario, validateScenario } from './scenario/read-scenario.js';
export type { ScenarioPrompt } from './scenario/scenario-line.js';
export { recordedModels } from './scenario/scenario-models.js';
export * from './shared/attempt-error.js';
export * from './shared/clock.js';
export * from './shared/errors.js';
export * from './shared/outcome-class.js';
export { BUILTIN_PROFILES, loadSimProfile, type SimProfile } from './sim/profiles.js';
export { type SimServer, type SimServerOptions, startSimServer } from './sim/server.js';
export { openStore } from './store/open-store.js';
export { listRuns } from './store/run-queries.js';
export { RunStore } from './store/run-store.js';
export { MIGRATIONS, SCHEMA_VERSION } from './store/schema.js';
