/**
 * Launches Debian's chromium through playwright-core for browser checks. The
 * flags keep it headless, offline and quiet: no sandbox (CI containers run as
 * root), no GPU, no background fetches that could reach the network.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where the `chromium` package installs the browser; override with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether a browser is there to launch; tests skip with this reason when it is not. */
export function chromiumMissing(): string | false {
  return existsSync(CHROMIUM_PATH) ? false : `no chromium at ${CHROMIUM_PATH} (apt-get install chromium)`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
