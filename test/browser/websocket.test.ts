import type { Browser, Page } from 'playwright-core';
import { blockNetworkExcept, describeBrowser, launchChromium, SuiteResources } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { wsUrl } from '../support/ws-client.js';

// What a browser's own WebSocket sees of a refused subprotocol. Chromium fails the handshake of
// a socket that offered subprotocols when the answer names none, and reports only 1006 with no
// reason, so the refusal must come as a close after a completed handshake.

/** How a socket ended in the page: its negotiated protocol and the close event. */
interface PageClose {
  protocol: string;
  code: number;
  reason: string;
  wasClean: boolean;
}

/**
 * Runs in the page: opens a WebSocket offering `protocols` and resolves with how it closed.
 * (Node's own global WebSocket gives the types; Playwright sends the function's text.)
 */
function openAndWaitForClose([url, protocols]: [string, string[]]): Promise<PageClose> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, protocols);
    let protocol = '';
    socket.onopen = () => (protocol = socket.protocol);
    socket.onclose = (e) => resolve({ protocol, code: e.code, reason: e.reason, wasClean: e.wasClean });
  });
}

describeBrowser("a browser's WebSocket", () => {
  const resources = new SuiteResources();
  let t: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [t, browser] = await Promise.all([
      resources.own(startTestServer(), (server) => server.close()),
      resources.own(launchChromium(), (chromium) => chromium.close()),
    ]);
    const context = await browser.newContext();
    await blockNetworkExcept(context, [t.origin]);
    // about:blank: no page of the API's, whose Content-Security-Policy allows no connection.
    page = await context.newPage();
  }, 60_000);

  afterAll(() => resources.close());

  it.each([['graphql-ws'], ['mqtt']])('that offers only %s sees the server echo it, then a close with 4406 naming graphql-transport-ws', async (offered) => {
    const closed = await page.evaluate(openAndWaitForClose, [wsUrl(t.origin), [offered]] as [string, string[]]);
    expect(closed).toEqual({ protocol: offered, code: 4406, reason: 'Subprotocol not acceptable: use graphql-transport-ws', wasClean: true });
  });
});
