import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createSubject, START_SESSION, signUpStudent, type Student } from '../support/fixtures.js';
import { blockNetworkExcept, describeBrowser, launchChromium, saveScreenshot } from '../support/browser.js';
import { ManualClock } from '../support/manual-clock.js';
import { startTestServer, type TestServer } from '../support/server.js';

// The offline explorer as a student uses it, in Chromium with every origin but the server's
// blocked: it loads, takes the access token in its environment (one variable that both the
// Authorization header and the WebSocket's connectionParams read), runs `me`, and shows
// `timerUpdated` events of a running session as they arrive over graphql-ws. The server runs
// on a clock that follows real time, so that ticks come every second.

const STEP_TIMEOUT_MS = 60_000;

/** A Content-Security-Policy violation the page reported. */
interface Violation {
  directive: string;
  blocked: string;
}

describeBrowser('the offline explorer at /explorer', () => {
  let t: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let blocked: string[];
  let student: Student;
  const webSockets: string[] = [];

  beforeAll(async () => {
    t = await startTestServer({ clock: new ManualClock({ running: true }) });
    student = await signUpStudent(t.client());
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    blocked = await blockNetworkExcept(context, [t.origin]);
    page = await context.newPage();
    page.on('websocket', (ws) => webSockets.push(ws.url()));
    // Scripts for the page as strings: the compilation here knows no DOM.
    await page.addInitScript(`
      window.violations = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push({ directive: e.violatedDirective, blocked: e.blockedURI }));
    `);
  }, STEP_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Altair's result panel, as text. */
  const resultText = () => page.locator('app-query-result').innerText();

  it('loads from the server alone, with the network blocked', async () => {
    await page.goto(`${t.origin}/explorer`);
    // The initial document, with a "send" button per operation: Altair ran its init script.
    await page.getByText('(Send query Me)').waitFor();
    await page.getByText('(Send subscription Timer)').waitFor();
    expect(blocked).toEqual([]);
    // The init script ran under its nonce; what the policy refuses is only zod's probe for eval
    // and style elements added without Altair's nonce (see explorerContentSecurityPolicy).
    const violations = (await page.evaluate('window.violations')) as Violation[];
    expect(violations.filter((v) => v.directive.startsWith('script-src') && v.blocked !== 'eval')).toEqual([]);
  }, STEP_TIMEOUT_MS);

  it('runs me with the token set in its environment', async () => {
    await page.getByText('No environment', { exact: true }).click();
    await page.getByText('Environments...', { exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('.environments-editor-textarea .cm-content').click();
    await page.keyboard.press('ControlOrMeta+A');
    // As a paste: typed keys would have the editor close brackets and quotes itself.
    await page.keyboard.insertText(JSON.stringify({ authorization: `Bearer ${student.accessToken}` }));
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await page.getByText('(Send query Me)').click();
    await page.locator('app-query-result').getByText(student.email).waitFor();
    expect(await resultText()).toContain(`"id": "${student.userId}"`);
  }, STEP_TIMEOUT_MS);

  it('shows timerUpdated events of a running session as they arrive over graphql-ws', async () => {
    const subjectId = await createSubject(student);
    const { startSession } = await student.client.ok(START_SESSION, { input: { subjectId, type: 'FREE' } });

    await page.locator('.variables-editor--title').click();
    await page.locator('.variables-editor-container .cm-content').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText(JSON.stringify({ id: startSession.id }));
    await page.getByText('(Send subscription Timer)').click();

    // The state at once, then a tick each second: wait for a second reading.
    await page.locator('app-query-result .cm-line', { hasText: '"elapsedSeconds"' }).nth(1).waitFor({ timeout: 15_000 });
    const text = await resultText();
    const elapsed = [...text.matchAll(/"elapsedSeconds":\s*(\d+)/g)].map((m) => Number(m[1]));
    expect(elapsed[1]).toBeGreaterThan(elapsed[0]!);
    expect(text).toContain(`"sessionId": "${startSession.id}"`);
    expect(text).toContain('"status": "RUNNING"');
    expect(webSockets).toEqual([`${t.origin.replace(/^http/, 'ws')}/graphql`]);
    await saveScreenshot(page, 'explorer-timer');
  }, STEP_TIMEOUT_MS);

  it('reached nothing beyond the server, and sent no token the server refused', () => {
    expect(blocked).toEqual([]);
    // Before the token was set, the empty header was left out rather than sent as "Bearer ".
    expect(t.logs.filter((l) => l.event === 'auth.token_rejected')).toEqual([]);
  });
});
