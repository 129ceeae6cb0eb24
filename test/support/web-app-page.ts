import type { BrowserContext, Page } from 'playwright-core';
import { closeAll } from './browser.js';
import { ACTIVE_SESSION, LOG_IN, PASSWORD } from './fixtures.js';
import type { GraphQLTestClient } from './graphql-client.js';
import { ManualClock } from './manual-clock.js';
import { startTestServer, type TestServer } from './server.js';
import { onFreePort, startWebPreview, type WebAppBuild, type WebAppPreview } from './web-app.js';

// What the browser suites of the reference web app (test/browser/web-app*.test.ts) share: the
// stack they drive (a test server and `vite preview` of the build in front of it) and the
// steps a student takes on the page, each one found by role and label as a person would.

/** A page of the app and the API behind it. */
export interface Stack {
  api: TestServer;
  web: WebAppPreview;
}

/**
 * A test server and a preview of the build in front of it. The page's origin is listed in
 * ALLOWED_ORIGINS, as `npm run web` does: the access cookie rides on the WebSocket upgrade, and
 * the API admits such upgrades only from allowed origins. On a new port (and a new server) when
 * another process took the preview's port first. `clock`: the server's, by default running in
 * real time from now.
 */
export function startStack(build: WebAppBuild, env: Record<string, string>, clock?: ManualClock): Promise<Stack> {
  return onFreePort(async (port) => {
    const api = await startTestServer({
      clock: clock ?? new ManualClock({ running: true }),
      env: { ALLOWED_ORIGINS: `http://127.0.0.1:${port}`, ...env },
    });
    try {
      return { api, web: await startWebPreview(build, api.origin, port) };
    } catch (err) {
      await api.close();
      throw err;
    }
  });
}

/** Stops the preview and the server, both attempted whatever the other does. */
export function closeStack(stack: Stack): Promise<void> {
  return closeAll([stack.web.close(), stack.api.close()], 'part(s) of the stack failed to close');
}

/** Seconds shown by the timer (`mm:ss` or `h:mm:ss`); NaN when it shows something else. */
export function parseClock(text: string): number {
  if (!/^\d+(:\d\d){1,2}$/.test(text.trim())) return Number.NaN;
  return text
    .trim()
    .split(':')
    .map(Number)
    .reduce((total, part) => total * 60 + part, 0);
}

/** Seconds the page's timer shows (NaN for anything else); fails when no timer shows within 5 s. */
export async function timerSeconds(page: Page): Promise<number> {
  return parseClock((await page.getByRole('timer').textContent({ timeout: 5000 })) ?? '');
}

/** Polls `read` until `ok` holds (every 100 ms), or fails after `timeoutMs` saying what was last read. */
export async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the timer shows at least `seconds`. */
export function timerReaches(page: Page, seconds: number, timeoutMs = 8000): Promise<number> {
  return until(() => timerSeconds(page), (s) => s >= seconds, timeoutMs, `the timer to reach ${seconds} s`);
}

/** A new page of `context` on the app's start page. */
export async function openApp(context: BrowserContext, web: WebAppPreview): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${web.origin}/`);
  return page;
}

/** Signs up through the form; resolves once the dashboard shows. */
export async function signUp(page: Page, email: string): Promise<void> {
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Logs in through the form; resolves once the dashboard shows. */
export async function logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Adds a subject on the timer page's subjects card; resolves once it is listed. */
export async function addSubject(page: Page, name: string): Promise<void> {
  await page.getByLabel('New subject').fill(name);
  await page.getByRole('button', { name: 'Add subject' }).click();
  await page.getByRole('list', { name: 'Subjects' }).getByText(name, { exact: true }).waitFor();
}

/** Starts a session from the form; resolves once the timer shows. */
export async function startSession(page: Page, subject: string, kind: 'Pomodoro' | 'Free'): Promise<void> {
  await page.getByLabel('Subject', { exact: true }).selectOption({ label: subject });
  await page.getByLabel(kind).check();
  await page.getByRole('button', { name: 'Start session' }).click();
  await page.getByRole('timer').waitFor();
}

/** The student's unfinished session as the API reports it, read over HTTP. */
export async function activeSession(student: GraphQLTestClient) {
  const { activeSession: session } = await student.ok(ACTIVE_SESSION);
  if (!session) throw new Error('the student has no active session');
  return session;
}

/** Logs the student in over HTTP, for checks and set-up behind the page's back. */
export async function apiStudent(api: TestServer, email: string): Promise<GraphQLTestClient> {
  const { logIn } = await api.client().ok(LOG_IN, { input: { email, password: PASSWORD } });
  return api.client().withToken(logIn.accessToken);
}

/** The timer card's state ("Running", "Paused"). */
export const statusPill = (page: Page) => page.getByRole('status').filter({ hasText: /^(Running|Paused)/ });
