/**
 * Prints the judge's operating characteristics as a Markdown table: for each
 * known-truth case and n, the share of promote, hold and rollback over
 * seeded runs, through the real report and default gates, on one worker
 * thread per core. docs/statistics.md's table is this script's output:
 * `npm run build && node dist/test/judge/operating-characteristics.js [seeds]`.
 */
import { CASES } from './known-truth.js';
import { operatingCharacteristicsOnWorkers } from './known-truth-pool.js';
import { OC_TABLE_HEADER, ocRow, publishedSizes } from './oc-table.js';

const seeds = Number(process.argv[2] ?? 200);
const rows = CASES.flatMap((c) => publishedSizes(c).map((n) => ({ c, n })));
const results = await operatingCharacteristicsOnWorkers(
  rows.map(({ c, n }) => ({ truth: c.truth, prompts: n, seeds })),
);
const lines = [...OC_TABLE_HEADER, ...rows.map(({ c, n }, i) => ocRow(c, n, results[i]!))];
process.stdout.write(`${lines.join('\n')}\n\n${seeds} seeds per row.\n`);
