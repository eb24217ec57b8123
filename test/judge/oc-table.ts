/** The operating-characteristics table as docs/statistics.md publishes it: one Markdown row per case and n. */
import type { Case, OperatingCharacteristics } from './known-truth.js';

export const OC_TABLE_HEADER = [
  '| case | n | promote | hold | rollback | expected |',
  '| --- | ---: | ---: | ---: | ---: | --- |',
];

const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;

/** The sizes each case is published at: A/A at three, the rest at the default minimum sample. */
export function publishedSizes(c: Case): number[] {
  return c.name === 'A/A' ? [100, 400, 1000] : [400];
}

/** A row's cells before the 'expected' column, which the docs may word at more length. */
export function ocRowPrefix(c: Case, n: number, oc: OperatingCharacteristics): string {
  return `| ${c.name} | ${n} | ${pct(oc.promote)} | ${pct(oc.hold)} | ${pct(oc.rollback)} |`;
}

export function ocRow(c: Case, n: number, oc: OperatingCharacteristics): string {
  return `${ocRowPrefix(c, n, oc)} ${c.expect} |`;
}
