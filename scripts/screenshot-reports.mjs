// Refreshes reports/examples/: runs `shadowgate demo --quick`, keeps its shadow report and the
// rollout that completed (not the rollback drill) as md and html, and screenshots each HTML report
// (full page, 1280 px wide) with the headless chromium the tests use.
// Usage: npm run build && node scripts/screenshot-reports.mjs
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const examples = join(root, 'reports', 'examples');
const { launchChromium } = await import(pathToFileURL(join(root, 'dist/test/helpers/chromium.js')).href);

const work = mkdtempSync(join(tmpdir(), 'shadowgate-examples-'));
try {
  const demo = spawnSync(
    process.execPath,
    [join(root, 'dist/src/cli/main.js'), 'demo', '--quick', '--out', work],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (demo.status !== 0) throw new Error(`demo exited ${demo.status}`);

  const files = readdirSync(work);
  const shadow = files.find((f) => f.endsWith('-shadow.json'));
  const completed = files
    .filter((f) => f.endsWith('-rollout.json'))
    .find((f) => JSON.parse(readFileSync(join(work, f), 'utf8')).rollout?.status === 'completed');
  if (!shadow || !completed) throw new Error(`no shadow report or completed rollout in ${work}`);

  mkdirSync(examples, { recursive: true });
  const picks = [
    [shadow.replace(/\.json$/, ''), 'shadow'],
    [completed.replace(/\.json$/, ''), 'rollout'],
  ];
  for (const [stem, name] of picks) {
    for (const ext of ['md', 'html']) {
      // The demo's scenario path is absolute; keep the committed copy free of this machine's paths.
      const text = readFileSync(join(work, `${stem}.${ext}`), 'utf8').replaceAll(`${root}/`, '');
      writeFileSync(join(examples, `${name}.${ext}`), text);
    }
  }

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    for (const [, name] of picks) {
      await page.goto(pathToFileURL(join(examples, `${name}.html`)).href);
      await page.screenshot({ path: join(examples, `${name}.png`), fullPage: true });
      console.log(`reports/examples/${name}.{md,html,png}`);
    }
  } finally {
    await browser.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
