/**
 * How numbers read in the Markdown and HTML reports. Every formatter shows
 * `n/a` for null, so a missing value is never mistaken for zero.
 */

export const NOT_AVAILABLE = 'n/a';

/** Milliseconds: `842 ms`, `12.3 ms`, `1.42 s` from 1,000 ms up. */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return NOT_AVAILABLE;
  const abs = Math.abs(ms);
  if (abs === 0) return '0 ms';
  if (abs >= 1000) return `${(ms / 1000).toFixed(abs >= 10_000 ? 1 : 2)} s`;
  return `${ms.toFixed(abs >= 100 ? 0 : 1)} ms`;
}

/** A signed millisecond difference: `+12.0 ms`, `-1.20 s`. */
export function formatDeltaMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return NOT_AVAILABLE;
  return `${ms > 0 ? '+' : ''}${formatMs(ms)}`;
}

/** A share 0..1 as a percentage; small shares keep more digits. */
export function formatShare(share: number | null, digits?: number): string {
  if (share === null || !Number.isFinite(share)) return NOT_AVAILABLE;
  const pct = share * 100;
  const d = digits ?? (Math.abs(pct) > 0 && Math.abs(pct) < 1 ? 2 : 1);
  return `${pct.toFixed(d)}%`;
}

/** A signed difference of shares in percentage points. */
export function formatShareDelta(delta: number | null): string {
  if (delta === null || !Number.isFinite(delta)) return NOT_AVAILABLE;
  const pp = delta * 100;
  return `${pp > 0 ? '+' : ''}${pp.toFixed(2)} pp`;
}

/** A percentage already in 0..100 units. */
export function formatPct(pct: number | null): string {
  if (pct === null || !Number.isFinite(pct)) return NOT_AVAILABLE;
  return `${pct.toFixed(1)}%`;
}

/** US dollars; fractions of a cent keep significant digits (`$0.000412`). */
export function formatUsd(usd: number | null): string {
  if (usd === null || !Number.isFinite(usd)) return NOT_AVAILABLE;
  const sign = usd < 0 ? '-' : '';
  const abs = Math.abs(usd);
  if (abs === 0) return '$0';
  if (abs >= 1000) return `${sign}$${Math.round(abs).toLocaleString('en-US')}`;
  if (abs >= 1) return `${sign}$${abs.toFixed(2)}`;
  return `${sign}$${Number(abs.toPrecision(3))}`;
}

export function formatCount(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return NOT_AVAILABLE;
  return Math.round(n).toLocaleString('en-US');
}

/** A plain number with up to `digits` significant digits. */
export function formatNumber(v: number | null, digits = 3): string {
  if (v === null || !Number.isFinite(v)) return NOT_AVAILABLE;
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return String(Number(v.toPrecision(digits)));
}

/** A p-value: `< 0.001` below that, else three decimals. */
export function formatPValue(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return NOT_AVAILABLE;
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** An interval `[lo, hi]` with a per-bound formatter. */
export function formatInterval(ci: [number, number] | null, format: (v: number) => string): string {
  return ci === null ? NOT_AVAILABLE : `[${format(ci[0])}, ${format(ci[1])}]`;
}

/** A gate's observed value or threshold, shown in the units its metric is in. */
export function formatMetricValue(metric: string, value: number | null): string {
  // An interval end at infinity: a sequence with too little tail data so far.
  if (value === Number.POSITIVE_INFINITY) return '∞';
  if (value === Number.NEGATIVE_INFINITY) return '-∞';
  if (value === null || !Number.isFinite(value)) return NOT_AVAILABLE;
  if (metric.endsWith('_ms')) return formatDeltaMs(value);
  if (metric.endsWith('_pct')) return formatPct(value);
  if (metric.endsWith('_share') || metric.endsWith('_rate')) return formatShare(value, 2);
  if (metric.startsWith('errors.delta') || metric === 'attempts.first_failure_delta')
    return formatShareDelta(value);
  return formatNumber(value, 4);
}
