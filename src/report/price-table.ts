/**
 * The report's price table: each model the run sent to, the prices its cost
 * was computed with, and where they came from (the config, or a `--prices`
 * file). Read from the run's stored config, so it shows what was applied.
 */
import type { ModelConfig } from '../config/types.js';
import { lookupPrice, type PriceTable } from '../pricing/litellm-prices.js';
import { CONFIG_SOURCE } from '../pricing/prices-in-force.js';
import type { RequestGroup } from '../store/report-queries.js';
import type { PriceRow } from './shadow-report.js';

interface StoredProvider {
  kind?: 'openai' | 'anthropic';
  models?: Record<string, ModelConfig>;
  priceSources?: Record<string, string>;
}

/**
 * One row per (provider, model sent). A model the run had no price for gets
 * `source: null`, unless `extra` (from `report --prices`) has it: then the
 * row shows those prices with `applied: false`, as the stored costs are
 * unknown for it.
 */
export function priceTable(configJson: string, groups: RequestGroup[], extra?: PriceTable): PriceRow[] {
  let providers: Record<string, StoredProvider> = {};
  try {
    providers = (JSON.parse(configJson) as { providers?: Record<string, StoredProvider> }).providers ?? {};
  } catch {
    // A hand-made row; the table is then empty of prices, not an error.
  }
  const rows: PriceRow[] = [];
  for (const name of ['baseline', 'candidate'] as const) {
    const provider = providers[name] ?? {};
    const sent = new Set<string>();
    for (const g of groups) {
      const arm = g.arm === 'baseline_replica' ? 'baseline' : g.arm;
      if (arm === name && g.requestedModel !== null) sent.add(g.requestedModel);
    }
    for (const model of [...sent].sort()) {
      const own = provider.models && Object.hasOwn(provider.models, model) ? provider.models[model]! : null;
      if (own) {
        const source =
          provider.priceSources && Object.hasOwn(provider.priceSources, model)
            ? provider.priceSources[model]!
            : CONFIG_SOURCE;
        rows.push(row(name, model, own, source, true));
        continue;
      }
      const found = extra ? lookupPrice(extra, model, provider.kind ?? 'openai') : null;
      rows.push(
        found && extra ? row(name, model, found, extra.source, false) : row(name, model, null, null, true),
      );
    }
  }
  return rows;
}

function row(
  provider: PriceRow['provider'],
  model: string,
  p: ModelConfig | null,
  source: string | null,
  applied: boolean,
): PriceRow {
  return {
    provider,
    model,
    inputPerMTok: p?.inputPerMTok ?? null,
    cachedInputPerMTok: p ? (p.cachedInputPerMTok ?? p.inputPerMTok) : null,
    cacheWritePerMTok: p ? (p.cacheWritePerMTok ?? p.inputPerMTok) : null,
    outputPerMTok: p?.outputPerMTok ?? null,
    reasoningPerMTok: p ? (p.reasoningPerMTok ?? p.outputPerMTok) : null,
    source,
    applied,
  };
}
