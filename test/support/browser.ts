import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { programUnavailable } from './required-program.js';

/** Debian's Chromium, installed by `.ci/run` (`apt-get install -y chromium`). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go; `.ci/run` keeps `artifacts/` and prints what is in it. */
export const SCREENSHOT_DIR = path.resolve('artifacts', 'screenshots');

/**
 * Why the browser suites cannot run here, or null when they can (see `programUnavailable`:
 * `.ci/run` sets `BROWSER_TESTS_UNAVAILABLE` when it cannot install Chromium).
 */
export const browserUnavailable: string | null = programUnavailable({
  suite: 'browser',
  found: existsSync(CHROMIUM_PATH),
  missing: `no Chromium at ${CHROMIUM_PATH} (install it with \`apt-get install -y chromium\`, or set CHROMIUM_PATH)`,
  unavailableVariable: 'BROWSER_TESTS_UNAVAILABLE',
});

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

/** The origin of `url` as `http(s)://host[:port]`, a WebSocket's in its HTTP scheme; null for data: and blob: URLs and for what is no URL. */
function httpOrigin(url: string): string | null {
  const parsed = URL.parse(url);
  if (!parsed || parsed.protocol === 'data:' || parsed.protocol === 'blob:') return null;
  const scheme = parsed.protocol === 'wss:' ? 'https:' : parsed.protocol === 'ws:' ? 'http:' : parsed.protocol;
  return `${scheme}//${parsed.host}`;
}

/**
 * Keeps the pages of `context` to `allowedOrigins` (compared exactly: scheme, host and port), as
 * on a machine with no network, and returns the list of URLs they tried to reach beyond them, for
 * a test to assert empty. Requests elsewhere are aborted; data: and blob: URLs load. WebSockets
 * elsewhere are recorded but not stopped: `context.route` does not see them, and
 * `context.routeWebSocket`, even for a predicate matching only foreign URLs, replaces
 * `window.WebSocket` in every page with Playwright's mock, which would relay the app's own
 * sockets too, the ones under test. Call it before opening pages.
 */
export async function blockNetworkExcept(context: BrowserContext, allowedOrigins: string[]): Promise<string[]> {
  const allowed = new Set(allowedOrigins.map((origin) => new URL(origin).origin));
  const outside = (url: string) => {
    const origin = httpOrigin(url);
    return origin !== null && !allowed.has(origin);
  };
  const attempted: string[] = [];
  await context.route((url) => outside(url.href), (route) => {
    attempted.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  const watchSockets = (page: Page) =>
    page.on('websocket', (ws) => {
      if (outside(ws.url())) attempted.push(ws.url());
    });
  context.pages().forEach(watchSockets);
  context.on('page', watchSockets);
  return attempted;
}

/**
 * What a suite has opened, released together by `close()` in its `afterAll`. Each resource is
 * handed over as soon as it exists, before the next one is awaited: a set-up that fails halfway
 * leaves nothing open, and one that Jest timed out (it still runs to its end) has whatever it
 * opens after `close()` released at once.
 */
export class SuiteResources {
  #releases: (() => Promise<unknown>)[] = [];
  #closed = false;

  /**
   * Waits for `pending` and keeps it, to be released by `release` at {@link close}. Rejects as
   * `pending` does; after `close()`, releases it at once and rejects.
   */
  async own<T>(pending: Promise<T>, release: (resource: T) => Promise<unknown>): Promise<T> {
    const resource = await pending;
    if (this.#closed) {
      await release(resource);
      throw new Error('the suite was torn down before this resource was ready; it has been released');
    }
    this.#releases.push(() => release(resource));
    return resource;
  }

  /** Runs `release` at {@link close}, as for a resource that has no promise to wait for. */
  defer(release: () => Promise<unknown>): void {
    if (this.#closed) void release();
    else this.#releases.push(release);
  }

  /**
   * Releases everything kept, all at once, each attempted whether or not another fails; rejects
   * with every failure.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await closeAll(
      this.#releases.splice(0).map((release) => Promise.resolve().then(release)),
      'resource(s) failed to close',
    );
  }
}

/** Waits for every one of `closing`, whichever fails; then rejects with every failure, if any, as one AggregateError. */
export async function closeAll(closing: Promise<unknown>[], what: string): Promise<void> {
  const failures = (await Promise.allSettled(closing))
    .filter((result) => result.status === 'rejected')
    .map((result) => result.reason as unknown);
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} ${what}`);
}

/** Saves a full-page screenshot under {@link SCREENSHOT_DIR} and prints its path for the CI log. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  process.stderr.write(`screenshot: ${file}\n`);
  return file;
}
