/**
 * Small inline SVG charts for the HTML report: line, grouped bar and overlaid
 * histogram. Pure string builders with no script; tooltips are SVG <title>
 * elements, which every browser shows on hover. Every label passes through
 * escapeHtml, so text from the database cannot break out of the SVG.
 */

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export interface Series {
  name: string;
  /** A CSS colour. */
  color: string;
  dashed?: boolean;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const FRAME: Frame = { width: 560, height: 260, left: 56, right: 16, top: 34, bottom: 44 };
/** Bar charts with many categories slant their labels and need more room below. */
const SLANTED_FRAME: Frame = { ...FRAME, height: 290, bottom: 74 };

const n = (v: number) => (Math.round(v * 10) / 10).toString();

/** Round tick values covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

function open(chart: string, title: string, frame: Frame, legend: Series[]): string {
  const legendItems = legend
    .map((s, i) => {
      const x = frame.left + i * 150;
      return (
        `<g class="legend-item"><line x1="${x}" y1="12" x2="${x + 18}" y2="12" stroke="${s.color}" stroke-width="3"` +
        `${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>` +
        `<text x="${x + 24}" y="16">${escapeHtml(s.name)}</text></g>`
      );
    })
    .join('');
  return (
    `<svg class="chart" data-chart="${escapeHtml(chart)}" viewBox="0 0 ${frame.width} ${frame.height}" ` +
    `role="img" aria-label="${escapeHtml(title)}">` +
    `<title>${escapeHtml(title)}</title>${legendItems}`
  );
}

function axes(
  frame: Frame,
  xTicks: { at: number; label: string }[],
  yTicks: { at: number; label: string }[],
  xLabel: string,
  yLabel: string,
  slantX = false,
): string {
  const x0 = frame.left;
  const x1 = frame.width - frame.right;
  const y0 = frame.height - frame.bottom;
  const y1 = frame.top;
  const parts: string[] = [];
  for (const t of yTicks) {
    parts.push(
      `<line class="grid" x1="${x0}" y1="${n(t.at)}" x2="${x1}" y2="${n(t.at)}"/>` +
        `<text class="tick" x="${x0 - 6}" y="${n(t.at + 4)}" text-anchor="end">${escapeHtml(t.label)}</text>`,
    );
  }
  for (const t of xTicks) {
    parts.push(
      `<line class="tick-mark" x1="${n(t.at)}" y1="${y0}" x2="${n(t.at)}" y2="${y0 + 4}"/>` +
        (slantX
          ? `<text class="tick" transform="translate(${n(t.at + 4)} ${y0 + 12}) rotate(-30)" text-anchor="end">${escapeHtml(t.label)}</text>`
          : `<text class="tick" x="${n(t.at)}" y="${y0 + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`),
    );
  }
  parts.push(`<line class="axis" x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}"/>`);
  parts.push(`<line class="axis" x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}"/>`);
  parts.push(
    `<text class="axis-label" x="${(x0 + x1) / 2}" y="${frame.height - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text>`,
  );
  parts.push(
    `<text class="axis-label" transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`,
  );
  return parts.join('');
}

function scale(domain: [number, number], range: [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

export interface LineChartOptions {
  chart: string;
  title: string;
  series: (Series & { points: [number, number][] })[];
  xLabel: string;
  yLabel: string;
  formatX: (v: number) => string;
  formatY: (v: number) => string;
  /** Right end of the x axis; points beyond it are clipped. Default: the largest x. */
  xMax?: number;
  yMax?: number;
  /** Dashed horizontal guides, e.g. the p50 and p95 lines of a CDF. */
  guidesY?: { at: number; label: string }[];
}

export function lineChart(o: LineChartOptions): string {
  const f = FRAME;
  const all = o.series.flatMap((s) => s.points);
  if (all.length === 0) return emptyChart(o.chart, o.title);
  const xMin = Math.min(0, ...all.map((p) => p[0]));
  const xMax = o.xMax ?? Math.max(...all.map((p) => p[0]));
  const yMax = o.yMax ?? Math.max(...all.map((p) => p[1]));
  const xs = scale([xMin, xMax], [f.left, f.width - f.right]);
  const ys = scale([0, yMax], [f.height - f.bottom, f.top]);
  const xTicks = niceTicks(xMin, xMax, 6).map((t) => ({ at: xs(t), label: o.formatX(t) }));
  const yTicks = niceTicks(0, yMax, 4).map((t) => ({ at: ys(t), label: o.formatY(t) }));
  const clipId = `clip-${o.chart.replace(/[^a-z0-9-]/gi, '')}`;
  const parts = [open(o.chart, o.title, f, o.series), axes(f, xTicks, yTicks, o.xLabel, o.yLabel)];
  parts.push(
    `<clipPath id="${clipId}"><rect x="${f.left}" y="${f.top - 2}" width="${f.width - f.left - f.right}" ` +
      `height="${f.height - f.top - f.bottom + 4}"/></clipPath>`,
  );
  for (const g of o.guidesY ?? []) {
    parts.push(
      `<line class="guide" x1="${f.left}" y1="${n(ys(g.at))}" x2="${f.width - f.right}" y2="${n(ys(g.at))}"/>` +
        `<text class="guide-label" x="${f.width - f.right - 4}" y="${n(ys(g.at) - 4)}" text-anchor="end">${escapeHtml(g.label)}</text>`,
    );
  }
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${n(xs(p[0]))} ${n(ys(p[1]))}`).join('');
    parts.push(
      `<path class="series" clip-path="url(#${clipId})" d="${d}" fill="none" stroke="${s.color}" stroke-width="2.2"` +
        `${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${escapeHtml(s.name)}</title></path>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

export interface BarChartOptions {
  chart: string;
  title: string;
  categories: string[];
  /** One value per category per series; null draws nothing. */
  series: (Series & { values: (number | null)[] })[];
  yLabel: string;
  formatY: (v: number) => string;
  /** Label drawn above each bar; default formatY. */
  formatBar?: (v: number) => string;
}

/** Grouped vertical bars: one group per category, one bar per series. */
export function barChart(o: BarChartOptions): string {
  const slant = o.categories.length > 4;
  const f = slant ? SLANTED_FRAME : FRAME;
  const values = o.series
    .flatMap((s) => s.values)
    .filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0 || o.categories.length === 0) return emptyChart(o.chart, o.title);
  const yMax = Math.max(...values, 0) || 1;
  const ticks = niceTicks(0, yMax, 4);
  // Headroom above the tallest bar for its label.
  const top = Math.max(yMax * 1.12, ticks[ticks.length - 1]!);
  const ys = scale([0, top], [f.height - f.bottom, f.top]);
  const plotWidth = f.width - f.left - f.right;
  const groupWidth = plotWidth / o.categories.length;
  const barWidth = Math.min(48, (groupWidth * 0.8) / o.series.length);
  const parts = [
    open(o.chart, o.title, f, o.series),
    axes(
      f,
      o.categories.map((c, i) => ({ at: f.left + groupWidth * (i + 0.5), label: c })),
      ticks.map((t) => ({ at: ys(t), label: o.formatY(t) })),
      '',
      o.yLabel,
      slant,
    ),
  ];
  const label = o.formatBar ?? o.formatY;
  o.categories.forEach((category, ci) => {
    const groupStart = f.left + groupWidth * (ci + 0.5) - (barWidth * o.series.length) / 2;
    o.series.forEach((s, si) => {
      const v = s.values[ci];
      if (v === null || v === undefined || !Number.isFinite(v) || v === 0) return;
      const x = groupStart + si * barWidth;
      const y = ys(Math.max(0, v));
      const h = Math.max(1, f.height - f.bottom - y);
      parts.push(
        `<rect class="bar" x="${n(x + 1)}" y="${n(Math.min(y, f.height - f.bottom - 1))}" width="${n(barWidth - 2)}" height="${n(h)}" fill="${s.color}">` +
          `<title>${escapeHtml(`${s.name}, ${category}: ${label(v)}`)}</title></rect>`,
      );
      if (barWidth >= 28) {
        parts.push(
          `<text class="bar-label" x="${n(x + barWidth / 2)}" y="${n(Math.min(y, f.height - f.bottom - 1) - 4)}" text-anchor="middle">${escapeHtml(label(v))}</text>`,
        );
      }
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface HistogramOptions {
  chart: string;
  title: string;
  /** Bin edges, ascending; counts[i] covers [edges[i], edges[i + 1]). */
  edges: number[];
  series: (Series & { counts: number[] })[];
  xLabel: string;
  formatX: (v: number) => string;
  /** A vertical marker, e.g. the drift threshold. */
  marker?: { at: number; label: string };
}

/** Histograms side by side within each bin, each normalised to shares of its own total so arms of different size compare. */
export function histogramChart(o: HistogramOptions): string {
  const f = FRAME;
  const shares = o.series.map((s) => {
    const total = s.counts.reduce((a, b) => a + b, 0);
    return s.counts.map((c) => (total > 0 ? c / total : 0));
  });
  const yMax = Math.max(0, ...shares.flat());
  if (o.edges.length < 2 || yMax === 0) return emptyChart(o.chart, o.title);
  const lo = o.edges[0]!;
  const hi = o.edges[o.edges.length - 1]!;
  const xs = scale([lo, hi], [f.left, f.width - f.right]);
  const ticks = niceTicks(0, yMax, 4);
  const ys = scale([0, Math.max(yMax, ticks[ticks.length - 1]!)], [f.height - f.bottom, f.top]);
  const parts = [
    open(o.chart, o.title, f, o.series),
    axes(
      f,
      niceTicks(lo, hi, 6).map((t) => ({ at: xs(t), label: o.formatX(t) })),
      ticks.map((t) => ({ at: ys(t), label: `${Math.round(t * 1000) / 10}%` })),
      o.xLabel,
      'share of requests',
    ),
  ];
  const lanes = o.series.length;
  o.series.forEach((s, si) => {
    shares[si]!.forEach((share, i) => {
      if (share === 0) return;
      const binX = xs(o.edges[i]!);
      const laneWidth = (xs(o.edges[i + 1]!) - binX - 1) / lanes;
      const x = binX + si * laneWidth;
      const w = Math.max(1, laneWidth);
      const y = ys(share);
      const range = `${o.formatX(o.edges[i]!)}–${o.formatX(o.edges[i + 1]!)}`;
      parts.push(
        `<rect class="bar" x="${n(x + 0.5)}" y="${n(y)}" width="${n(w)}" height="${n(Math.max(1, f.height - f.bottom - y))}" ` +
          `fill="${s.color}"${s.dashed ? ' fill-opacity="0.7"' : ''}>` +
          `<title>${escapeHtml(`${s.name}, ${range}: ${(share * 100).toFixed(1)}% (${s.counts[i]})`)}</title></rect>`,
      );
    });
  });
  if (o.marker && o.marker.at >= lo && o.marker.at <= hi) {
    const x = xs(o.marker.at);
    // Label on the side with room: left of the line when it sits in the right half.
    const left = x > (f.left + f.width - f.right) / 2;
    parts.push(
      `<line class="marker" x1="${n(x)}" y1="${f.top}" x2="${n(x)}" y2="${f.height - f.bottom}"/>` +
        `<text class="marker-label" x="${n(left ? x - 4 : x + 4)}" y="${f.top + 12}" text-anchor="${left ? 'end' : 'start'}">` +
        `${escapeHtml(o.marker.label)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The frame of a chart with nothing to draw, saying so. */
export function emptyChart(chart: string, title: string): string {
  const f = FRAME;
  return (
    `<svg class="chart chart-empty" data-chart="${escapeHtml(chart)}" viewBox="0 0 ${f.width} ${f.height}" ` +
    `role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>` +
    `<rect class="empty-frame" x="${f.left}" y="${f.top}" width="${f.width - f.left - f.right}" height="${f.height - f.top - f.bottom}"/>` +
    `<text class="empty-text" x="${f.width / 2}" y="${f.height / 2}" text-anchor="middle">no data to draw</text></svg>`
  );
}
