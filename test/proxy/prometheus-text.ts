/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for
 * tests: every line is a comment, a HELP, a TYPE or a sample; every sample
 * belongs to a family whose TYPE came first; histograms are cumulative and
 * end in +Inf = _count. Throws on the first line that breaks the format.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/;

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 1;
  while (i < text.length - 1) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!m) throw new Error(`line ${line}: bad label at ${text.slice(i)}`);
    i += m[0].length;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '\\') {
        const n = text[i + 1];
        value += n === 'n' ? '\n' : n;
        i += 2;
        continue;
      }
      if (c === '"') break;
      value += c;
      i++;
    }
    i++;
    if (m[1]! in labels) throw new Error(`line ${line}: label ${m[1]} twice`);
    labels[m[1]!] = value;
    if (text[i] === ',') i++;
  }
  return labels;
}

function parseValue(v: string, line: number): number {
  if (v === '+Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  if (v === 'NaN') return Number.NaN;
  const n = Number(v);
  if (!Number.isFinite(n) || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v))
    throw new Error(`line ${line}: bad value ${v}`);
  return n;
}

function familyOf(name: string, types: Map<string, string>): string | null {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (types.get(base) === 'histogram' || types.get(base) === 'summary') return base;
    }
  }
  return null;
}

export function parsePrometheusText(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw === '') throw new Error(`line ${line}: empty line`);
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // a plain comment
      if (!NAME.test(m[2]!)) throw new Error(`line ${line}: bad metric name ${m[2]}`);
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!))
          throw new Error(`line ${line}: bad type ${m[3]}`);
        if (types.has(m[2]!)) throw new Error(`line ${line}: TYPE ${m[2]} twice`);
        types.set(m[2]!, m[3]!);
      }
      return;
    }
    const m = SAMPLE.exec(raw);
    if (!m) throw new Error(`line ${line}: not a sample: ${raw}`);
    const name = m[1]!;
    if (familyOf(name, types) === null) throw new Error(`line ${line}: ${name} has no TYPE before it`);
    samples.push({ name, labels: m[2] ? parseLabels(m[2], line) : {}, value: parseValue(m[3]!, line) });
  });
  checkHistograms(types, samples);
  return { types, samples };
}

function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
    const keyOf = (labels: Record<string, string>) =>
      JSON.stringify(
        Object.entries(labels)
          .filter(([k]) => k !== 'le')
          .sort(),
      );
    for (const s of samples) {
      if (!s.name.startsWith(family)) continue;
      const entry = series.get(keyOf(s.labels)) ?? { buckets: [] };
      series.set(keyOf(s.labels), entry);
      if (s.name === `${family}_bucket`) {
        const le = s.labels.le;
        if (le === undefined) throw new Error(`${family}_bucket without le`);
        entry.buckets.push([parseValue(le, 0), s.value]);
      } else if (s.name === `${family}_count`) entry.count = s.value;
      else if (s.name === `${family}_sum`) entry.sum = s.value;
    }
    for (const [key, e] of series) {
      if (e.count === undefined || e.sum === undefined) throw new Error(`${family}${key}: no _count or _sum`);
      for (let i = 1; i < e.buckets.length; i++) {
        if (!(e.buckets[i]![0] > e.buckets[i - 1]![0])) throw new Error(`${family}${key}: le not increasing`);
        if (e.buckets[i]![1] < e.buckets[i - 1]![1])
          throw new Error(`${family}${key}: buckets not cumulative`);
      }
      const last = e.buckets[e.buckets.length - 1];
      if (!last || last[0] !== Number.POSITIVE_INFINITY || last[1] !== e.count)
        throw new Error(`${family}${key}: +Inf bucket missing or not equal to _count`);
    }
  }
}

/** The value of one sample, found by name and labels (exactly). */
export function sampleValue(
  e: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return e.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)
    ?.value;
}
