/**
 * Prints the pairing-power figures for docs/statistics.md and the README:
 * `npm run build && node dist/test/judge/pairing-power-table.js [seeds]`.
 */
import { promptsForPower } from './pairing-power.js';

const seeds = Number(process.argv[2] ?? 200);
const sizes = [10, 20, 30, 40, 50, 60, 80, 100, 125, 150, 175, 200, 250, 300, 400, 500, 600, 700, 800, 1000];
const { curve, needed } = promptsForPower(1.1, sizes, seeds);
const pct = (v: number) => `${Math.round(v * 100)}%`;
const atMost = (n: number | null) => (n === null ? `more than ${sizes.at(-1)}` : String(n));
const rows = [
  '| prompts | paired: p50 ratio (the gate) | paired: signed-rank on deltas | unpaired: Mann-Whitney |',
  '| ---: | ---: | ---: | ---: |',
  ...curve.map(
    (p) => `| ${p.prompts} | ${pct(p.pairedP50)} | ${pct(p.pairedSignedRank)} | ${pct(p.unpaired)} |`,
  ),
];
process.stdout.write(
  `${rows.join('\n')}\n\nPrompts for 90% power at a 10% p50 regression (one-sided 5%, ${seeds} seeds per size): ` +
    `p50 ratio ${atMost(needed.pairedP50)}, signed-rank ${atMost(needed.pairedSignedRank)}, ` +
    `Mann-Whitney ${atMost(needed.unpaired)}.\n`,
);
