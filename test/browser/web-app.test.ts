import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext } from 'playwright-core';
import { blockNetworkExcept, describeBrowser, launchChromium, saveScreenshot, SuiteResources } from '../support/browser.js';
import { START_SESSION, STOP_SESSION, SUBJECTS } from '../support/fixtures.js';
import { buildWebApp, stopViteProcesses, type WebAppBuild } from '../support/web-app.js';
import {
  activeSession,
  addSubject,
  apiStudent,
  closeStack,
  openApp,
  type Stack,
  startSession,
  startStack,
  statusPill,
  signUp,
  timerReaches,
  timerSeconds,
  until,
} from '../support/web-app-page.js';

// The reference web app (examples/web) in headless Chromium, built for production and served by
// `vite preview` in front of a real server on a real database, the clock running in real time.
// Everything is asserted as a student sees it: roles, labels, the digits of the timer.

/**
 * Security events of a refused credential. None happens while every refresh waits for the one
 * before (one in flight) and each reconnection presents a token fresh at that moment.
 */
const REFUSALS = ['auth.token_rejected', 'auth.refresh_rejected', 'auth.refresh_reuse_detected', 'ws.connection_rejected', 'ws.operation_rejected'];

/** Credentials the API handed to the pages of a context. */
interface IssuedCredentials {
  /** `accessToken` of every answer. */
  accessTokens: string[];
  /** Values of every `studyclock_*` cookie the API set. */
  cookies: string[];
}

/**
 * Records every credential the API hands to the pages of `context`; call the function it
 * returns, once the pages are done, for the list. An answer whose body the page no longer has
 * (it reloaded) only counts for its cookies.
 */
function recordCredentials(context: BrowserContext): () => Promise<IssuedCredentials> {
  const issued = { accessTokens: new Set<string>(), cookies: new Set<string>() };
  const reads: Promise<void>[] = [];
  context.on('response', (response) => {
    if (new URL(response.url()).pathname !== '/graphql') return;
    reads.push(
      (async () => {
        for (const header of await response.headerValues('set-cookie')) {
          const value = /^studyclock_\w+=([^;]+)/.exec(header)?.[1];
          if (value) issued.cookies.add(decodeURIComponent(value));
        }
        const body = await response.text().catch(() => '');
        for (const [, token] of body.matchAll(/"accessToken":"([^"]+)"/g)) issued.accessTokens.add(token!);
      })(),
    );
  });
  return async () => {
    await Promise.all(reads);
    return { accessTokens: [...issued.accessTokens], cookies: [...issued.cookies] };
  };
}

describeBrowser('reference web app (examples/web)', () => {
  const resources = new SuiteResources();
  let browser: Browser;
  let build: WebAppBuild;

  beforeAll(async () => {
    // A build still running when the suite gives up is stopped with the rest.
    resources.defer(stopViteProcesses);
    [build, browser] = await Promise.all([
      resources.own(buildWebApp(), (done) => done.dispose()),
      resources.own(launchChromium(), (chromium) => chromium.close()),
    ]);
    process.stderr.write(`web app built in ${build.buildMs} ms\n`);
  }, 60_000);

  afterAll(() => resources.close());

  describe('with a 15-minute access token', () => {
    const stackResources = new SuiteResources();
    let stack: Stack;
    let context: BrowserContext | undefined;
    let blocked: string[] = [];

    beforeAll(async () => {
      // A short grace, so that closing every tab pauses the session within the test.
      stack = await stackResources.own(startStack(build, { DISCONNECT_GRACE_SECONDS: '2' }), closeStack);
    }, 40_000);

    beforeEach(async () => {
      context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
      blocked = await blockNetworkExcept(context, [stack.web.origin]);
    });

    afterEach(async () => {
      await context?.close();
      context = undefined;
      // Everything the app loads comes from its own origin.
      expect(blocked).toEqual([]);
    });

    afterAll(() => stackResources.close());

    it('signs up, creates a subject, ticks a session, pauses it, keeps it across a reload and lists it with its duration', async () => {
      const email = `ada-${randomUUID().slice(0, 8)}@example.com`;
      const page = await openApp(context!, stack.web);
      await signUp(page, email);
      await addSubject(page, 'Linear algebra');
      await addSubject(page, 'Organic chemistry');

      // Two earlier sessions, made over HTTP with the server's clock moved on (logging in again
      // after each jump, which outlives the access token).
      const { subjects } = await (await apiStudent(stack.api, email)).ok(SUBJECTS);
      const subjectId = (name: string) => subjects.find((s) => s.name === name)!.id;
      await (await apiStudent(stack.api, email)).ok(START_SESSION, {
        input: { subjectId: subjectId('Linear algebra'), type: 'POMODORO', focusMinutes: 25 },
      });
      stack.api.clock.advanceSeconds(25 * 60); // the pomodoro completes by itself
      const student = await apiStudent(stack.api, email);
      const free = await student.ok(START_SESSION, { input: { subjectId: subjectId('Organic chemistry'), type: 'FREE' } });
      stack.api.clock.advanceSeconds(47 * 60);
      await (await apiStudent(stack.api, email)).ok(STOP_SESSION, { id: free.startSession.id });

      // A reload signs the student back in from the refresh cookie.
      await page.reload();
      const past = page.getByRole('list', { name: 'Past sessions' });
      await past.getByRole('listitem').filter({ hasText: 'Linear algebra' }).filter({ hasText: '25 min' }).waitFor();
      await past.getByRole('listitem').filter({ hasText: 'Organic chemistry' }).filter({ hasText: '47 min' }).waitFor();

      await startSession(page, 'Organic chemistry', 'Free');
      expect(await page.getByRole('timer', { name: 'Time studied' }).isVisible()).toBe(true);
      await expect(statusPill(page).textContent()).resolves.toBe('Running');
      const first = await timerSeconds(page);
      await timerReaches(page, first + 2);
      await page.getByText('Live', { exact: true }).waitFor();

      await saveScreenshot(page, 'web-timer-running');
      await page.setViewportSize({ width: 375, height: 812 });
      // Nothing sticks out sideways on a phone.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await saveScreenshot(page, 'web-timer-running-phone');
      await page.setViewportSize({ width: 1200, height: 900 });

      await page.getByRole('button', { name: 'Pause' }).click();
      await until(() => statusPill(page).textContent(), (t) => t === 'Paused', 5000, 'the status to read Paused');
      const paused = await timerSeconds(page);
      // Not one reading more in over a second (a running timer would have ticked): the pause
      // is what is under test, so this wait is the point.
      await new Promise((resolve) => setTimeout(resolve, 1600));
      expect(await timerSeconds(page)).toBe(paused);

      await page.reload();
      await page.getByRole('timer').waitFor();
      expect(await statusPill(page).textContent()).toBe('Paused');
      expect(await timerSeconds(page)).toBe(paused);
      await page.getByRole('button', { name: 'Resume' }).waitFor();

      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await page.getByRole('heading', { name: 'Start a session' }).waitFor();
      expect(await page.getByRole('timer').count()).toBe(0);
      // The third past session, once the list has been fetched again: until then the first item
      // (newest first) is the earlier Organic chemistry session.
      const items = past.getByRole('listitem');
      await until(() => items.count(), (n) => n === 3, 5000, 'the stopped session to be listed');
      const stopped = ((await items.first().textContent()) ?? '').trim();
      expect(stopped).toContain('Organic chemistry');
      expect(paused).toBeLessThan(60);
      expect(stopped).toMatch(new RegExp(`\\b${paused} s$`));
      expect(await page.getByRole('alert').count()).toBe(0);
    }, 45_000);

    it('ticks in two tabs, keeps running when one closes, and pauses after the grace when both have', async () => {
      const email = `grace-${randomUUID().slice(0, 8)}@example.com`;
      const first = await openApp(context!, stack.web);
      await signUp(first, email);
      await addSubject(first, 'History');
      await startSession(first, 'History', 'Free');

      // The second tab signs in from the cookie the first one left.
      const second = await openApp(context!, stack.web);
      await second.getByRole('timer').waitFor();
      const [a, b] = await Promise.all([timerSeconds(first), timerSeconds(second)]);
      await Promise.all([timerReaches(first, a + 2), timerReaches(second, b + 2)]);
      // Both show the same reading of the server's: at some instant they agree (two reads on
      // a busy machine may straddle a tick, so one pair is not enough).
      await until(
        () => Promise.all([timerSeconds(first), timerSeconds(second)]),
        ([x, y]) => x === y,
        5000,
        'both tabs to show the same time',
      );

      // One tab left: the session keeps running beyond the grace period.
      await first.close();
      const alone = await timerSeconds(second);
      await timerReaches(second, alone + 3);
      expect(await statusPill(second).textContent()).toBe('Running');

      const student = await apiStudent(stack.api, email);
      expect((await activeSession(student)).status).toBe('RUNNING');

      // No tab left: paused after DISCONNECT_GRACE_SECONDS, counting time up to the last close.
      const lastShown = await timerSeconds(second);
      await second.close();
      const session = await until(
        () => activeSession(student),
        (s) => s.status === 'PAUSED',
        10_000,
        'the session to be paused',
      );
      expect(session.pausedReason).toBe('DISCONNECT');
      expect(session.elapsedSeconds).toBeGreaterThanOrEqual(lastShown);
      // The read, the close and the socket's end take a moment, more on a busy machine; the
      // grace itself (2 s) is not counted.
      expect(session.elapsedSeconds).toBeLessThanOrEqual(lastShown + 3);
    }, 45_000);

    it('keeps no credential where a script could read it, signed in or back from a reload', async () => {
      const page = await openApp(context!, stack.web);
      await signUp(page, `storage-${randomUUID().slice(0, 8)}@example.com`);
      // The access token in memory, the refresh token in an httpOnly cookie: nothing else.
      const expectNothingReadable = async () => {
        expect(await page.evaluate('[localStorage.length, sessionStorage.length]')).toEqual([0, 0]);
        const cookies = await context!.cookies();
        expect(cookies.map((c) => c.name)).toContain('studyclock_refresh');
        expect(cookies.filter((c) => !c.httpOnly).map((c) => c.name)).toEqual([]);
      };
      await expectNothingReadable();
      await page.reload();
      await page.getByRole('button', { name: 'Log out' }).waitFor();
      await expectNothingReadable();
    });

    it('signs every tab out when the student logs out in one', async () => {
      const first = await openApp(context!, stack.web);
      await signUp(first, `logout-${randomUUID().slice(0, 8)}@example.com`);

      // A running session, so that the second tab has a socket open, which the log-out ends.
      await addSubject(first, 'Geography');
      await startSession(first, 'Geography', 'Free');
      const second = await openApp(context!, stack.web);
      await second.getByRole('timer').waitFor();

      await first.getByRole('button', { name: 'Log out' }).click();
      await first.getByRole('heading', { name: 'Log in' }).waitFor();
      // The tab that logged out says nothing more; the other one says why it shows the form.
      await second.getByRole('heading', { name: 'Log in' }).waitFor({ timeout: 10_000 });
      await second.getByText('Your sign-in has ended', { exact: false }).waitFor();
      expect(await first.getByText('Your sign-in has ended', { exact: false }).count()).toBe(0);
      for (const tab of [first, second]) {
        expect(await tab.getByRole('timer').count()).toBe(0);
        expect(await tab.getByRole('button', { name: 'Log out' }).count()).toBe(0);
      }
      // Nothing left to sign in with, here or in a new tab.
      expect((await context!.cookies()).map((c) => c.name)).not.toContain('studyclock_refresh');
      const third = await openApp(context!, stack.web);
      await third.getByRole('heading', { name: 'Log in' }).waitFor();
    }, 45_000);
  });

  describe('with a 3-second access token', () => {
    const stackResources = new SuiteResources();
    let stack: Stack;

    beforeAll(async () => {
      // debug: the server logs where each socket's token came from.
      stack = await stackResources.own(startStack(build, { ACCESS_TOKEN_TTL_SECONDS: '3', LOG_LEVEL: 'debug' }), closeStack);
    }, 40_000);

    afterAll(() => stackResources.close());

    it('refreshes the token and reconnects at each expiry without the timer display breaking', async () => {
      const context = await stackResources.own(browser.newContext({ viewport: { width: 1200, height: 900 } }), (c) => c.close());
      const blocked = await blockNetworkExcept(context, [stack.web.origin]);
      const credentials = recordCredentials(context);
      const page = await context.newPage();
      let sockets = 0;
      page.on('websocket', (ws) => {
        if (new URL(ws.url()).pathname === '/graphql') sockets += 1;
      });
      await page.goto(`${stack.web.origin}/`);
      await signUp(page, `expiry-${randomUUID().slice(0, 8)}@example.com`);
      await addSubject(page, 'Statistics');
      await startSession(page, 'Statistics', 'Free');

      // Watch the display across at least two expiries (a token lives 3 s): it keeps
      // counting up, never goes blank or back, and never shows an error.
      const readings: { at: number; seconds: number }[] = [];
      const start = Date.now();
      while (Date.now() - start < 8000) {
        readings.push({ at: Date.now(), seconds: await timerSeconds(page) });
        expect(await page.getByRole('alert').count()).toBe(0);
        expect(await page.getByText('Reconnecting…').count()).toBe(0);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const seconds = readings.map((r) => r.seconds);
      expect(seconds.every((s) => Number.isInteger(s))).toBe(true);
      for (let i = 1; i < seconds.length; i++) expect(seconds[i]!).toBeGreaterThanOrEqual(seconds[i - 1]!);
      // It keeps pace with the wall clock, within 2 s over the whole watch: a reconnection
      // costs no more than a blink (reads on a busy machine may lag, hence the measured span).
      const watched = (readings.at(-1)!.at - readings[0]!.at) / 1000;
      expect(seconds.at(-1)! - seconds[0]!).toBeGreaterThanOrEqual(Math.floor(watched) - 2);
      expect(await statusPill(page).textContent()).toBe('Running');
      // The first socket, then one per expiry, each authenticated by a token in connectionParams
      // (not by the access cookie, which rides along on the upgrade too).
      expect(sockets).toBeGreaterThanOrEqual(3);
      const authenticated = stack.api.logs.filter((line) => line.msg === 'websocket authenticated');
      expect(authenticated.length).toBeGreaterThanOrEqual(3);
      expect(new Set(authenticated.map((line) => line.tokenSource))).toEqual(new Set(['connectionParams.Authorization']));
      // One refresh at a time, each on the cookie the one before left, and no token presented
      // after its time: the server refused nothing.
      expect(stack.api.logs.filter((line) => REFUSALS.includes(line.event as string))).toEqual([]);
      expect(blocked).toEqual([]);

      // What the API issued (a token and a refresh cookie per refresh) never reached its logs,
      // debug level included.
      const issued = await credentials();
      expect(issued.accessTokens.length).toBeGreaterThanOrEqual(3);
      expect(issued.cookies.length).toBeGreaterThanOrEqual(3);
      const raw = stack.api.rawLogs();
      expect([...issued.accessTokens, ...issued.cookies].filter((secret) => raw.includes(secret))).toEqual([]);
    }, 45_000);
  });
});
