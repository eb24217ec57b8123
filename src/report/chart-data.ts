/** The data behind the report's charts: latency CDF and histogram, similarity histogram. */
import { percentile } from '../stats/percentile.js';
import type { ArmName } from '../store/report-queries.js';
import type { ChartData, Comparison } from './shadow-report.js';

/** Percentile grid of the CDF chart: 0, 0.5, ..., 99.5 and 99.9. */
const CDF_PERCENTILES = [...Array.from({ length: 200 }, (_, i) => i / 2), 99.9];
const HISTOGRAM_BINS = 24;
const SIMILARITY_BINS = 20;

/** @param sortedLatencies each arm's ok latencies, ascending */
export function chartData(
  sortedLatencies: Map<ArmName, Float64Array>,
  candidateSimilarity: Float64Array,
  replicaSimilarity: Float64Array,
  comparison: Comparison,
): ChartData {
  const latencyCdf = [...sortedLatencies].map(([arm, sorted]) => ({
    arm,
    points:
      sorted.length > 0
        ? CDF_PERCENTILES.map((p) => [percentile(sorted, p), p / 100] as [number, number])
        : [],
  }));

  // Shared bins across arms, from the lowest p1 to the highest p99: the tails
  // fold into the edge bins so one slow outlier cannot flatten the picture.
  const withData = [...sortedLatencies].filter(([, s]) => s.length > 0);
  let latencyHistogram: ChartData['latencyHistogram'] = null;
  if (withData.length > 0) {
    const lo = Math.min(...withData.map(([, s]) => percentile(s, 1)));
    const hi = Math.max(...withData.map(([, s]) => percentile(s, 99)));
    const edges = niceEdges(lo, hi, HISTOGRAM_BINS);
    latencyHistogram = {
      edgesMs: edges,
      arms: withData.map(([arm, sorted]) => ({ arm, counts: binCounts(sorted, edges) })),
    };
  }

  const simEdges = Array.from({ length: SIMILARITY_BINS + 1 }, (_, i) => i / SIMILARITY_BINS);
  const similarity =
    candidateSimilarity.length > 0
      ? {
          edges: simEdges,
          candidate: binCounts(candidateSimilarity, simEdges),
          replica: replicaSimilarity.length > 0 ? binCounts(replicaSimilarity, simEdges) : null,
          threshold: comparison.outputs.driftThreshold,
        }
      : null;
  return { latencyCdf, latencyHistogram, similarity };
}

/** Bin edges on a round step covering [lo, hi]. */
function niceEdges(lo: number, hi: number, bins: number): number[] {
  if (!(hi > lo)) {
    const step = Math.max(1, Math.abs(lo) * 0.1);
    return Array.from({ length: 3 }, (_, i) => lo - step + i * step);
  }
  const raw = (hi - lo) / bins;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const start = Math.floor(lo / step) * step;
  const count = Math.ceil((hi - start) / step);
  return Array.from({ length: count + 1 }, (_, i) => start + i * step);
}

/** Counts of sorted values per bin; values outside the edges land in the first or last bin. */
function binCounts(sorted: Float64Array, edges: number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  let bin = 0;
  for (const v of sorted) {
    while (bin < counts.length - 1 && v >= edges[bin + 1]!) bin++;
    counts[bin]!++;
  }
  return counts;
}
