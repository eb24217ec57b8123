/**
 * Prints the judge's operating characteristics as a Markdown table: for each
 * known-truth case and n, the share of promote, hold and rollback over
 * seeded runs, through the real report and default gates. The README's table
 * is this script's output: `npm run build && node dist/test/judge/operating-characteristics.js [seeds]`.
 */
import { CASES, operatingCharacteristics } from './known-truth.js';

const seeds = Number(process.argv[2] ?? 200);
const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;
const rows: string[] = [
  `| case | n | promote | hold | rollback | expected |`,
  '| --- | ---: | ---: | ---: | ---: | --- |',
];
for (const c of CASES) {
  const sizes = c.name === 'A/A' ? [100, 400, 1000] : [400];
  for (const n of sizes) {
    const oc = operatingCharacteristics(c.truth, n, seeds);
    rows.push(
      `| ${c.name} | ${n} | ${pct(oc.promote)} | ${pct(oc.hold)} | ${pct(oc.rollback)} | ${c.expect} |`,
    );
  }
}
process.stdout.write(`${rows.join('\n')}\n\n${seeds} seeds per row.\n`);
