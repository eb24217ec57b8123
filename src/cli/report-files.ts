import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { renderHtml } from '../report/render-html.js';
import { renderJson } from '../report/render-json.js';
import { renderMarkdown } from '../report/render-markdown.js';
import type { RolloutReport } from '../report/rollout-model.js';
import { renderRolloutHtml, renderRolloutJson, renderRolloutMarkdown } from '../report/rollout-render.js';
import type { ShadowReport } from '../report/shadow-report.js';
import { UsageError } from '../shared/errors.js';

/** Report formats, the file extension each is written with, and its renderer. */
export const REPORT_FORMATS = {
  md: renderMarkdown,
  html: renderHtml,
  json: renderJson,
} as const satisfies Record<string, (report: ShadowReport) => string>;

export type ReportFormat = keyof typeof REPORT_FORMATS;

/** `md,html` -> ['md', 'html']; UsageError naming an unknown format. */
export function parseFormats(text: string): ReportFormat[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = names.filter((n) => !Object.hasOwn(REPORT_FORMATS, n));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--format: ${unknown.length ? `unknown format ${unknown.join(', ')}` : 'empty'} (known: md, html, json)`,
    );
  }
  return [...new Set(names)] as ReportFormat[];
}

const ROLLOUT_FORMATS = {
  md: renderRolloutMarkdown,
  html: renderRolloutHtml,
  json: renderRolloutJson,
} as const satisfies Record<ReportFormat, (report: RolloutReport) => string>;

/** Writes `<outDir>/<run-id>-shadow.<format>` for each format; see writeReportFiles. */
export function writeShadowReportFiles(
  report: ShadowReport,
  formats: readonly ReportFormat[],
  outDir: string,
  cwd: string,
): string[] {
  return writeReportFiles(`${report.runId}-shadow`, formats, (f) => REPORT_FORMATS[f](report), outDir, cwd);
}

/** Writes `<outDir>/<rollout-id>-rollout.<format>` for each format; see writeReportFiles. */
export function writeRolloutReportFiles(
  report: RolloutReport,
  formats: readonly ReportFormat[],
  outDir: string,
  cwd: string,
): string[] {
  return writeReportFiles(
    `${report.rolloutId}-rollout`,
    formats,
    (f) => ROLLOUT_FORMATS[f](report),
    outDir,
    cwd,
  );
}

/**
 * Writes `<outDir>/<stem>.<format>` for each format (creating outDir) and
 * returns the paths as a user should see them: relative to cwd when inside it.
 */
function writeReportFiles(
  stem: string,
  formats: readonly ReportFormat[],
  render: (format: ReportFormat) => string,
  outDir: string,
  cwd: string,
): string[] {
  const dir = resolve(cwd, outDir);
  mkdirSync(dir, { recursive: true });
  return formats.map((format) => {
    const path = join(dir, `${safeFileName(stem)}.${format}`);
    writeFileSync(path, render(format));
    const shown = relative(cwd, path);
    return shown.startsWith('..') ? path : shown;
  });
}

/** Run ids are ours (`r-2026...`), but a hand-made db could hold anything: keep the file inside the out dir. */
function safeFileName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9._-]/g, '_');
}
