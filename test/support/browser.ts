import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, installed by `.ci/run` (`apt-get install -y chromium`). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go; `.ci/run` keeps `artifacts/` and prints what is in it. */
export const SCREENSHOT_DIR = path.resolve('artifacts', 'screenshots');

/**
 * Why the browser suites cannot run here, or null when they can. Chromium missing is a reason to
 * skip only outside CI, or in CI when `.ci/run` could not install it and said so in
 * `BROWSER_TESTS_UNAVAILABLE`; otherwise the suites run and fail to launch.
 */
export const browserUnavailable: string | null = existsSync(CHROMIUM_PATH)
  ? null
  : (process.env.BROWSER_TESTS_UNAVAILABLE ??
    (process.env.CI === 'true'
      ? null
      : `no Chromium at ${CHROMIUM_PATH} (install it with \`apt-get install -y chromium\`, or set CHROMIUM_PATH)`));

if (browserUnavailable) process.stderr.write(`browser tests skipped: ${browserUnavailable}\n`);

/** `describe`, or `describe.skip` when Chromium cannot be found outside CI. */
export const describeBrowser = browserUnavailable ? describe.skip : describe;

/** Headless Chromium with the flags these machines need. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The origins a page may reach: everything else is aborted, as on a machine with no network. */
export async function blockNetworkExcept(context: BrowserContext, allowedOrigins: string[]): Promise<string[]> {
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('blob:') || allowedOrigins.some((o) => url.startsWith(o))) {
      return route.continue();
    }
    blocked.push(url);
    return route.abort('internetdisconnected');
  });
  return blocked;
}

/** Saves a full-page screenshot under {@link SCREENSHOT_DIR} and prints its path for the CI log. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  process.stderr.write(`screenshot: ${file}\n`);
  return file;
}
