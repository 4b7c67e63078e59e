import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';

/** Debian's chromium package; the tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';

export const SCREENSHOTS = join(__dirname, '..', '..', '..', 'test-output', 'screenshots');

/**
 * Launches the machine's Chromium headless. Playwright gives every launch a fresh temporary
 * --user-data-dir (it refuses one in `args`), so no state leaks between runs.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing (${CHROMIUM}). The browser tests drive Debian's chromium package: ` +
        'install it with `apt-get install -y chromium` (.ci/run does this when it is missing). ' +
        'No browser is ever downloaded.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      // Date inputs and the like in Chinese, as on the users' devices.
      '--lang=zh-CN',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Every uncaught page error and console error, so a broken page fails the test with its reason. */
export function watchErrors(page: Page, sink: string[]): void {
  page.on('pageerror', (e) => sink.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text()))
      sink.push(`${page.url()}: ${m.text()}`);
  });
}
