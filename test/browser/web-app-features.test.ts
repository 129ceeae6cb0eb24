import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { graphql } from '../__generated__/index.js';
import { blockNetworkExcept, describeBrowser, launchChromium, saveScreenshot, SuiteResources } from '../support/browser.js';
import { CREATE_SUBJECT, LOG_IN, PASSWORD, SIGN_UP, START_SESSION, STOP_SESSION } from '../support/fixtures.js';
import { ManualClock } from '../support/manual-clock.js';
import { buildWebApp, stopViteProcesses, type WebAppBuild } from '../support/web-app.js';
import {
  addSubject,
  apiStudent,
  closeStack,
  logIn,
  openApp,
  signUp,
  type Stack,
  startSession,
  startStack,
  statusPill,
  until,
} from '../support/web-app-page.js';

// The web app's pages beyond the timer, in headless Chromium in front of a real server:
// statistics (Chart.js), subject management, the account page, and a second device following
// the first one's session live. The server's clock stands still unless a test moves it, so
// every figure is exact; a page that must agree with the server on what "today" is gets the
// server's instant as its own clock (Playwright's clock, which then runs on from there).

const SETTINGS = graphql(`
  mutation WebAppSettings($input: UpdateSettingsInput!) { updateSettings(input: $input) { timeZone } }
`);
const ALL_SUBJECTS = graphql(`
  query WebAppAllSubjects { subjects(includeArchived: true) { name color archivedAt } }
`);

/** What the statistics chart draws, as its canvas's `data-chart` says. */
interface ChartData {
  labels: string[];
  minutes: number[];
}

/** The weekly chart's data once it has `days` days (the chart is drawn after the figures load). */
async function chartData(page: Page, minutes: number[]): Promise<ChartData> {
  const canvas = page.getByRole('img', { name: /^Study time per day/ });
  return until(
    async () => JSON.parse((await canvas.getAttribute('data-chart', { timeout: 5000 })) ?? 'null') as ChartData | null,
    (data) => JSON.stringify(data?.minutes) === JSON.stringify(minutes),
    5000,
    `the chart to show ${JSON.stringify(minutes)} minutes`,
  ).then((data) => data!);
}

/** The text of the day list's entry for `date` (`YYYY-MM-DD`), as `<time>` marks it. */
function dayEntry(page: Page, date: string) {
  return page.getByRole('list', { name: 'Study time per day' }).getByRole('listitem').filter({ has: page.locator(`time[datetime="${date}"]`) });
}

describeBrowser('reference web app: statistics, subjects, account, second device', () => {
  const resources = new SuiteResources();
  let browser: Browser;
  let build: WebAppBuild;
  let stack: Stack;
  const contexts: BrowserContext[] = [];
  const blocked: string[][] = [];

  beforeAll(async () => {
    resources.defer(stopViteProcesses);
    [build, browser] = await Promise.all([
      resources.own(buildWebApp(), (done) => done.dispose()),
      resources.own(launchChromium(), (chromium) => chromium.close()),
    ]);
    // Frozen (a Wednesday morning) until a test moves it: session times and "today" are exact.
    stack = await resources.own(startStack(build, {}, new ManualClock({ start: '2026-03-11T09:00:00.000Z' })), closeStack);
  }, 90_000);

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    // Everything the app loads comes from its own origin.
    expect(blocked.splice(0).flat()).toEqual([]);
  });

  afterAll(() => resources.close());

  /** A new browser (a device of its own: own cookies), kept to the app's origin. */
  async function newDevice(options: BrowserContextOptions = {}): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, ...options });
    contexts.push(context);
    blocked.push(await blockNetworkExcept(context, [stack.web.origin]));
    return context;
  }

  /** Moves the server's clock forward to `iso`. */
  function moveClockTo(iso: string): void {
    const ms = Date.parse(iso) - stack.api.clock.now().getTime();
    if (ms < 0) throw new Error(`the clock is already past ${iso}`);
    stack.api.clock.advance(ms);
  }

  /** A student made over HTTP, with a subject per name; answers their email and subject ids. */
  async function apiStudentWithSubjects(names: string[]): Promise<{ email: string; subjects: Record<string, string> }> {
    const email = `stats-${randomUUID().slice(0, 8)}@example.com`;
    await stack.api.client().ok(SIGN_UP, { input: { email, password: PASSWORD } });
    const student = await apiStudent(stack.api, email);
    const subjects: Record<string, string> = {};
    for (const name of names) subjects[name] = (await student.ok(CREATE_SUBJECT, { name })).createSubject.id;
    return { email, subjects };
  }

  /** A FREE session over HTTP from the server's now, `minutes` long (the clock moved on by as much). */
  async function studyFree(email: string, subjectId: string, minutes: number): Promise<void> {
    const started = await (await apiStudent(stack.api, email)).ok(START_SESSION, { input: { subjectId, type: 'FREE' } });
    stack.api.clock.advanceSeconds(minutes * 60);
    // Logged in again: the jump may outlive the access token.
    await (await apiStudent(stack.api, email)).ok(STOP_SESSION, { id: started.startSession.id });
  }

  it('shows on a second device the session started, paused, resumed and stopped on the first, without a reload', async () => {
    const email = `devices-${randomUUID().slice(0, 8)}@example.com`;
    const first = await openApp(await newDevice(), stack.web);
    await signUp(first, email);
    await addSubject(first, 'Physics');
    const second = await openApp(await newDevice(), stack.web);
    await logIn(second, email);
    await second.getByRole('heading', { name: 'Start a session' }).waitFor();
    // Set on the page itself: a reload or a navigation would lose it.
    await second.evaluate('window.studyclockNotReloaded = true');

    await startSession(first, 'Physics', 'Free');
    await second.getByRole('timer', { name: 'Time studied' }).waitFor({ timeout: 10_000 });
    await expect(second.getByRole('heading', { name: 'Physics' }).count()).resolves.toBe(1);
    await until(() => statusPill(second).textContent(), (t) => t === 'Running', 5000, 'the second device to say Running');

    await first.getByRole('button', { name: 'Pause' }).click();
    await until(() => statusPill(second).textContent(), (t) => t === 'Paused', 5000, 'the second device to say Paused');
    await second.getByRole('button', { name: 'Resume' }).waitFor();

    await first.getByRole('button', { name: 'Resume' }).click();
    await until(() => statusPill(second).textContent(), (t) => t === 'Running', 5000, 'the second device to say Running again');

    await first.getByRole('button', { name: 'Stop', exact: true }).click();
    await until(() => second.getByRole('timer').count(), (n) => n === 0, 5000, 'the timer to leave the second device');
    await second.getByRole('heading', { name: 'Start a session' }).waitFor();
    await second.getByRole('list', { name: 'Past sessions' }).getByRole('listitem').filter({ hasText: 'Physics' }).waitFor();
    expect(await second.evaluate('window.studyclockNotReloaded')).toBe(true);
    expect(await second.getByRole('alert').count()).toBe(0);
  }, 60_000);

  it('renames, recolours, archives and unarchives subjects, and says why a name is refused', async () => {
    const email = `subjects-${randomUUID().slice(0, 8)}@example.com`;
    const page = await openApp(await newDevice(), stack.web);
    await signUp(page, email);
    await addSubject(page, 'Physics');
    await addSubject(page, 'Chemistry');
    const student = await apiStudent(stack.api, email);

    await page.getByRole('link', { name: 'Subjects' }).click();
    const rows = page.getByRole('list', { name: 'Your subjects' }).getByRole('listitem');
    const row = (name: string) => rows.filter({ has: page.locator('.subject-row__name', { hasText: new RegExp(`^${name}$`) }) });
    await until(() => rows.count(), (n) => n === 2, 5000, 'both subjects to be listed');

    // Another subject's name (in another case): refused, and nothing renamed.
    await row('Physics').getByLabel('Name').fill('chemistry');
    await row('Physics').getByRole('button', { name: 'Save' }).click();
    await row('Physics').getByRole('alert').filter({ hasText: 'You already have a subject with that name.' }).waitFor();
    expect((await student.ok(ALL_SUBJECTS)).subjects.map((s) => s.name)).toEqual(['Physics', 'Chemistry']);

    await row('Physics').getByLabel('Name').fill('Mechanics');
    await row('Physics').getByLabel('Colour').fill('#FF8800');
    await row('Physics').getByRole('button', { name: 'Save' }).click();
    await row('Mechanics').waitFor();
    expect(await row('Mechanics').getByRole('alert').count()).toBe(0);
    expect((await student.ok(ALL_SUBJECTS)).subjects).toEqual([
      { name: 'Mechanics', color: '#ff8800', archivedAt: null },
      { name: 'Chemistry', color: null, archivedAt: null },
    ]);

    // Archived: gone from the list (and from the start form) until "Show archived".
    await row('Mechanics').getByRole('button', { name: 'Archive' }).click();
    await until(() => row('Mechanics').count(), (n) => n === 0, 5000, 'the archived subject to leave the list');
    await page.getByLabel(/^Show archived/).check();
    await row('Mechanics').getByText('Archived', { exact: true }).waitFor();
    expect((await student.ok(ALL_SUBJECTS)).subjects[0]!.archivedAt).not.toBeNull();
    await page.getByRole('link', { name: 'Timer' }).click();
    const options = page.getByLabel('Subject', { exact: true }).locator('option');
    await until(() => options.allTextContents(), (names) => names.join() === 'Chemistry', 5000, 'the start form to offer only Chemistry');

    await page.getByRole('link', { name: 'Subjects' }).click();
    await page.getByLabel(/^Show archived/).check();
    await row('Mechanics').getByRole('button', { name: 'Unarchive' }).click();
    await until(() => row('Mechanics').getByText('Archived', { exact: true }).count(), (n) => n === 0, 5000, 'the pill to go');
    expect((await student.ok(ALL_SUBJECTS)).subjects[0]!.archivedAt).toBeNull();
    await page.getByRole('link', { name: 'Timer' }).click();
    await until(() => options.allTextContents(), (names) => names.join() === 'Mechanics,Chemistry', 5000, 'both subjects on offer');
  }, 60_000);

  it('lists the log-ins, revokes the other device (back to its sign-in screen) and changes the password', async () => {
    const email = `account-${randomUUID().slice(0, 8)}@example.com`;
    const page = await openApp(await newDevice(), stack.web);
    await signUp(page, email);
    const other = await openApp(await newDevice(), stack.web);
    await logIn(other, email);

    await page.getByRole('link', { name: 'Account' }).click();
    const logIns = page.getByRole('list', { name: 'Where you are logged in' }).getByRole('listitem');
    await until(() => logIns.count(), (n) => n === 2, 5000, 'both log-ins to be listed');
    const here = logIns.filter({ hasText: 'This device' });
    expect(await here.count()).toBe(1);
    for (const text of await logIns.allTextContents()) {
      expect(text).toContain('HeadlessChrome');
      expect(text).toContain('127.0.0.1');
      expect(text).toContain('last used');
    }
    expect(await here.getByRole('button', { name: 'Revoke' }).count()).toBe(0);

    await logIns.filter({ hasNotText: 'This device' }).getByRole('button', { name: 'Revoke' }).click();
    await until(() => logIns.count(), (n) => n === 1, 5000, 'the revoked log-in to leave the list');
    // The other device's socket is closed, its refresh refused: it shows the sign-in form.
    await other.getByRole('heading', { name: 'Log in' }).waitFor({ timeout: 10_000 });
    await other.getByText('Your sign-in has ended', { exact: false }).waitFor();
    expect(await other.getByRole('button', { name: 'Log out' }).count()).toBe(0);

    const alert = page.getByRole('alert');
    await page.getByLabel('Current password').fill('not my password at all');
    await page.getByLabel('New password').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await alert.filter({ hasText: 'That is not your current password.' }).waitFor();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await until(() => alert.textContent(), (t) => t !== 'That is not your current password.', 5000, 'the password rule to be shown');
    expect(await alert.textContent()).toMatch(/password/i);
    // Neither attempt changed it.
    await stack.api.client().ok(LOG_IN, { input: { email, password: PASSWORD } });

    await page.getByLabel('New password').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor();
    expect(await alert.count()).toBe(0);
    await stack.api.client().ok(LOG_IN, { input: { email, password: 'a brand new passphrase' } });
    const old = await stack.api.client().fail(LOG_IN, { input: { email, password: PASSWORD } });
    expect(old.extensions?.code).toBe('INVALID_CREDENTIALS');
    // This device stays signed in (and the log-in just made over HTTP is listed after a visit).
    await page.getByRole('button', { name: 'Log out' }).waitFor();
  }, 60_000);

  it('deletes the account only once the password is typed, then shows the sign-in screen, where logging in fails', async () => {
    const email = `delete-${randomUUID().slice(0, 8)}@example.com`;
    const page = await openApp(await newDevice(), stack.web);
    await signUp(page, email);
    await page.getByRole('link', { name: 'Account' }).click();

    await page.getByRole('button', { name: 'Delete account…' }).click();
    await page.getByLabel('Type your password to confirm').fill('not my password at all');
    await page.getByRole('button', { name: 'Delete my account for good' }).click();
    await page.getByRole('alert').filter({ hasText: 'That is not your current password.' }).waitFor();
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(1);
    await stack.api.client().ok(LOG_IN, { input: { email, password: PASSWORD } });

    await page.getByLabel('Type your password to confirm').fill(PASSWORD);
    await page.getByRole('button', { name: 'Delete my account for good' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'That email and password do not match an account.' }).waitFor();
    expect((await stack.api.client().fail(LOG_IN, { input: { email, password: PASSWORD } })).extensions?.code).toBe('INVALID_CREDENTIALS');
  }, 60_000);

  it('charts the week per day, with totals per subject, streaks and goal progress, and moves between weeks', async () => {
    // No time zone in the settings: the browser's (UTC here) counts.
    const { email, subjects } = await apiStudentWithSubjects(['Linear algebra', 'Organic chemistry']);
    await (await apiStudent(stack.api, email)).ok(SETTINGS, { input: { dailyGoalMinutes: 60, weeklyGoalMinutes: 300 } });
    moveClockTo('2026-03-11T09:00:00.000Z'); // Wednesday
    const pomodoro = await (await apiStudent(stack.api, email)).ok(START_SESSION, {
      input: { subjectId: subjects['Linear algebra']!, type: 'POMODORO', focusMinutes: 25 },
    });
    expect(pomodoro.startSession.status).toBe('RUNNING');
    stack.api.clock.advanceSeconds(25 * 60); // it completes by itself
    await studyFree(email, subjects['Organic chemistry']!, 47);
    moveClockTo('2026-03-12T09:00:00.000Z'); // Thursday
    await studyFree(email, subjects['Organic chemistry']!, 30);

    const context = await newDevice({ timezoneId: 'UTC' });
    await context.clock.install({ time: stack.api.clock.now() });
    const page = await openApp(context, stack.web);
    await logIn(page, email);
    await page.getByRole('link', { name: 'Statistics' }).click();
    await page.getByRole('heading', { name: 'This week' }).waitFor();
    await page.getByText('Days in UTC', { exact: false }).waitFor();

    const week = await chartData(page, [0, 0, 72, 30, 0, 0, 0]);
    expect(week.labels).toHaveLength(7);
    expect(week.labels[0]).toMatch(/Mon/);
    expect(week.labels[0]).toMatch(/\b9\b/);
    expect(await dayEntry(page, '2026-03-11').textContent()).toContain('1 h 12 min');
    expect(await dayEntry(page, '2026-03-12').textContent()).toContain('30 min');
    expect(await dayEntry(page, '2026-03-09').textContent()).toContain('0 s');
    expect((await page.locator('.stats__total').textContent())?.replace(/\s+/g, ' ')).toBe('1 h 42 min studied · 1 pomodoro completed');

    const bySubject = page.getByRole('list', { name: 'By subject' }).getByRole('listitem');
    expect((await bySubject.allTextContents()).map((t) => t.replace(/\s+/g, ' '))).toEqual([
      'Organic chemistry2 sessions1 h 17 min',
      'Linear algebra1 session25 min',
    ]);
    const streaks = page.getByRole('region', { name: 'Streaks and goals' });
    expect(await streaks.getByRole('definition').allTextContents()).toEqual(['2 days', '2 days']);
    // Today (Thursday) 30 of 60 minutes; the week 102 of 300.
    await expect(page.getByRole('progressbar', { name: 'Today goal' }).getAttribute('aria-valuetext')).resolves.toBe('30 min of 1 h');
    await expect(page.getByRole('progressbar', { name: 'This week goal' }).getAttribute('aria-valuetext')).resolves.toBe(
      '1 h 42 min of 5 h',
    );
    await saveScreenshot(page, 'web-statistics');

    await page.getByRole('button', { name: 'Previous week' }).click();
    await page.getByRole('heading', { name: /2 Mar|Mar 2/ }).waitFor();
    await chartData(page, [0, 0, 0, 0, 0, 0, 0]);
    await page.getByText('Nothing studied in this week.').waitFor();
    expect(await dayEntry(page, '2026-03-02').count()).toBe(1);
    await page.getByRole('button', { name: 'Next week' }).click();
    await page.getByRole('heading', { name: 'This week' }).waitFor();
    await chartData(page, [0, 0, 72, 30, 0, 0, 0]);
    expect(await page.getByRole('button', { name: 'Next week' }).isDisabled()).toBe(true);
    expect(await page.getByRole('alert').count()).toBe(0);
  }, 60_000);

  it('splits a session across local midnight on the DST Sunday: 30 min on each day in Europe/Berlin', async () => {
    const { email, subjects } = await apiStudentWithSubjects(['History']);
    await (await apiStudent(stack.api, email)).ok(SETTINGS, { input: { timeZone: 'Europe/Berlin' } });
    // Saturday 28 March 2026, 23:30 in Berlin (CET, UTC+1), to Sunday 00:30; that Sunday is 23
    // hours long (02:00 CET becomes 03:00 CEST).
    moveClockTo('2026-03-28T22:30:00.000Z');
    await studyFree(email, subjects.History!, 60);

    // A browser in another zone: the settings' zone is the one that counts.
    const context = await newDevice({ timezoneId: 'America/New_York' });
    await context.clock.install({ time: stack.api.clock.now() });
    const page = await openApp(context, stack.web);
    await logIn(page, email);
    await page.getByRole('link', { name: 'Statistics' }).click();
    await page.getByText('Days in Europe/Berlin', { exact: false }).waitFor();

    const week = await chartData(page, [0, 0, 0, 0, 0, 30, 30]);
    expect(week.labels[5]).toMatch(/Sat/);
    expect(week.labels[6]).toMatch(/Sun/);
    expect((await dayEntry(page, '2026-03-28').textContent())?.trim()).toMatch(/30 min$/);
    expect((await dayEntry(page, '2026-03-29').textContent())?.trim()).toMatch(/30 min$/);
    expect((await page.locator('.stats__total').textContent())?.replace(/\s+/g, ' ')).toBe('1 h studied · 0 pomodoros completed');
    expect(await page.getByRole('list', { name: 'By subject' }).getByRole('listitem').allTextContents()).toEqual([
      'History1 session1 h',
    ]);
  }, 60_000);
});
