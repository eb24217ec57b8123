/**
 * The proxy's metrics in Prometheus text exposition format (version 0.0.4):
 * counters, gauges and histograms with labels, rendered on `GET /metrics`.
 * Hand-written: a dozen series do not need a client library, and updates on
 * the hot path are a Map lookup and an add.
 */

/** Latency buckets, seconds: 1 ms to 60 s. */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
/** The proxy's own overhead, seconds: 0.05 ms to 100 ms. */
export const OVERHEAD_BUCKETS_S: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1,
];

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '';
  return `{${names.map((n) => `${n}="${escapeLabel(labels[n]!)}"`).join(',')}}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatNumber(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

interface Metric {
  render(out: string[]): void;
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    private readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const [k, v] of this.values) out.push(`${this.name}${k} ${formatNumber(v)}`);
  }
}

/** A value read when rendered, from the thing it measures: a gauge, or a counter kept elsewhere. */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly read: () => number | [Labels, number][],
    private readonly type: 'gauge' | 'counter' = 'gauge',
  ) {}

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`);
    const v = this.read();
    if (typeof v === 'number') out.push(`${this.name} ${formatNumber(v)}`);
    else for (const [labels, n] of v) out.push(`${this.name}${labelKey(labels)} ${formatNumber(n)}`);
  }
}

interface HistogramSeries {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram implements Metric {
  private readonly series = new Map<string, HistogramSeries>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels, counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]!) {
        s.counts[i]!++;
        break;
      }
    }
    s.sum += value;
    s.count++;
  }

  count(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.counts[i]!;
        out.push(
          `${this.name}_bucket${labelKey({ ...s.labels, le: formatNumber(this.buckets[i]!) })} ${cumulative}`,
        );
      }
      out.push(`${this.name}_bucket${labelKey({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${this.name}_sum${labelKey(s.labels)} ${formatNumber(s.sum)}`);
      out.push(`${this.name}_count${labelKey(s.labels)} ${s.count}`);
    }
  }
}

/** Where an upstream request went: the answer the client got (`served`), or a background mirror. */
export type Path = 'served' | 'mirror';

export interface ProxyGaugeSources {
  mirrorQueueDepth: () => number;
  mirrorQueueBytes: () => number;
  mirrorInFlight: () => number;
  inFlight: () => number;
  /** The rollout percentage in force; null outside rollout mode. */
  percentage: () => number | null;
  /** 1 when this replica holds the gate lock, 0 when not; null when no store decides (a state file, other modes). */
  leader?: () => number | null;
  shed: () => Record<string, number>;
}

/** Every series the proxy exposes. */
export class ProxyMetrics {
  readonly requests = new Counter(
    'shadowgate_proxy_requests_total',
    'Upstream requests by arm and path (served to the client, or mirrored).',
  );
  readonly errors = new Counter(
    'shadowgate_proxy_errors_total',
    'Upstream requests that ended in an error, by arm, path and error class.',
  );
  readonly latency = new Histogram(
    'shadowgate_proxy_latency_seconds',
    'Upstream request latency to the end of the answer, by arm and path.',
    LATENCY_BUCKETS_S,
  );
  readonly ttft = new Histogram(
    'shadowgate_proxy_ttft_seconds',
    'Time to the first body byte of a streamed answer, by arm and path.',
    LATENCY_BUCKETS_S,
  );
  readonly overhead = new Histogram(
    'shadowgate_proxy_overhead_seconds',
    "The proxy's own time per answer (what x-shadowgate-overhead-ms reports).",
    OVERHEAD_BUCKETS_S,
  );
  readonly inbound = new Counter(
    'shadowgate_proxy_inbound_requests_total',
    'Requests the proxy received, by route and status.',
  );
  readonly mirrored = new Counter(
    'shadowgate_proxy_mirrored_total',
    'Mirrors accepted into the queue, by arm (candidate, baseline_replica).',
  );
  readonly fallbacks = new Counter(
    'shadowgate_proxy_fallbacks_total',
    'Candidate-routed requests the baseline served (rollout mode).',
  );
  readonly recorded = new Counter(
    'shadowgate_proxy_recorded_total',
    'Requests written to the record file (record mode).',
  );
  readonly storeErrors = new Counter(
    'shadowgate_proxy_store_errors_total',
    'Reads and writes of the store that failed (no user request fails for them), by operation.',
  );
  private readonly all: { render(out: string[]): void }[];

  constructor(sources: ProxyGaugeSources) {
    this.all = [
      this.inbound,
      this.requests,
      this.errors,
      this.latency,
      this.ttft,
      this.overhead,
      this.mirrored,
      new Gauge(
        'shadowgate_proxy_mirror_shed_total',
        'Mirrors not sent, by reason (queue_full, body_too_large, budget).',
        () => Object.entries(sources.shed()).map(([reason, n]) => [{ reason }, n]),
        'counter',
      ),
      new Gauge(
        'shadowgate_proxy_mirror_queue_depth',
        'Mirrors waiting for a slot.',
        sources.mirrorQueueDepth,
      ),
      new Gauge(
        'shadowgate_proxy_mirror_queue_bytes',
        'Request bytes held by mirrors waiting and running.',
        sources.mirrorQueueBytes,
      ),
      new Gauge('shadowgate_proxy_mirror_in_flight', 'Mirrors being sent.', sources.mirrorInFlight),
      new Gauge('shadowgate_proxy_in_flight', 'Client requests being answered.', sources.inFlight),
      this.fallbacks,
      this.recorded,
      new Gauge('shadowgate_proxy_rollout_percentage', 'Percent of traffic routed to the candidate.', () => {
        const p = sources.percentage();
        return p === null ? [] : p;
      }),
      new Gauge(
        'shadowgate_gate_leader',
        '1 when this replica holds the gate lock (judges the live gates, may move the percentage), else 0.',
        () => {
          const l = sources.leader?.() ?? null;
          return l === null ? [] : l;
        },
      ),
      this.storeErrors,
    ];
  }

  render(): string {
    const out: string[] = [];
    for (const m of this.all) m.render(out);
    return `${out.join('\n')}\n`;
  }
}
