import { loadConfig } from '../src/config.js';
import { renderAltair } from 'altair-static';
import { explorerEnabled, explorerRouter } from '../src/http/explorer.js';
import { startTestServer, testEnv, type TestServer } from './support/server.js';
import { cspDirectives } from './support/headers.js';

// The offline explorer (Altair from altair-static) at /explorer: served with its bundled files
// while enabled (by default everywhere but production), 404 otherwise; its page under its own
// Content-Security-Policy, with a fresh nonce for the inline init script, while the API keeps
// its strict one. What it does in a browser with no network is test/browser/explorer.test.ts.

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

const API_POLICY = { 'default-src': "'none'", 'frame-ancestors': "'none'", 'base-uri': "'none'", 'form-action': "'none'" };

/** The files the explorer's page loads by itself: stylesheet, scripts, module preloads, icon. */
function filesOf(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
}

let t: TestServer;
let off: TestServer;
let prod: TestServer;
beforeAll(async () => {
  [t, off, prod] = await Promise.all([
    // A trusted proxy on loopback, to see the WebSocket scheme follow X-Forwarded-Proto.
    startTestServer({ env: { TRUST_PROXY: '127.0.0.1' } }),
    startTestServer({ env: { EXPLORER_ENABLED: 'false' } }),
    startTestServer({ env: { NODE_ENV: 'production' } }),
  ]);
  // Three servers with their databases at once: embedded PostgreSQL takes a while on two cores.
}, 90_000);
afterAll(() => Promise.all([t, off, prod].map((s) => s?.close())));

describe('EXPLORER_ENABLED', () => {
  it.each([
    ['development', undefined, true],
    ['test', undefined, true],
    ['production', undefined, false],
    ['development', 'false', false],
    ['production', 'true', true],
  ])('with NODE_ENV=%s and EXPLORER_ENABLED=%s serves the explorer: %s', (nodeEnv, enabled, expected) => {
    const env: Record<string, string> = { ...testEnv, NODE_ENV: nodeEnv };
    if (enabled !== undefined) env.EXPLORER_ENABLED = enabled;
    expect(explorerEnabled(loadConfig(env))).toBe(expected);
  });
});

describe('the explorer page', () => {
  it('is Altair, rendered for this server: relative endpoints, graphql-ws, the token variable', async () => {
    const res = await fetch(`${t.origin}/explorer`, { headers: HTML });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    // The nonce is new on every response: no cache may keep the page.
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(html).toContain('<base href="/explorer/">');
    expect(html).toContain('AltairGraphQL.init(');
    expect(html).toContain('endpointURL: `/graphql`');
    expect(html).toContain('subscriptionsEndpoint: `/graphql`');
    expect(html).toContain('subscriptionsProtocol: `ws`');
    expect(html).toContain('initialSubscriptionRequestHandlerId: `graphql-ws`');
    expect(html).toMatch(/initialHeaders: \{\s*Authorization: `\{\{authorization\}\}`\s*\}/);
    expect(html).toMatch(/initialSubscriptionsPayload: \{\s*Authorization: `\{\{authorization\}\}`\s*\}/);
    expect(html).toContain('query Me {');
    expect(html).toContain('subscription Timer($id: ID!) {');
    expect(html).toContain('disableAccount: true');
  });

  it('is the same page at /explorer/ and /explorer/index.html', async () => {
    for (const path of ['/explorer/', '/explorer/index.html']) {
      const res = await fetch(`${t.origin}${path}`, { headers: HTML });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('AltairGraphQL.init(');
    }
  });

  it('asks for wss when the request came over HTTPS through a trusted proxy', async () => {
    const res = await fetch(`${t.origin}/explorer`, { headers: { ...HTML, 'x-forwarded-proto': 'https' } });
    expect(await res.text()).toContain('subscriptionsProtocol: `wss`');
  });

  it('has its files, bundled: every script, stylesheet and icon it names answers 200 from this server', async () => {
    const html = await (await fetch(`${t.origin}/explorer`, { headers: HTML })).text();
    const files = filesOf(html);
    expect(files).toEqual(expect.arrayContaining(['styles.css', 'polyfills.js', 'main.js', 'favicon.ico']));
    for (const file of files) {
      // Relative to <base href="/explorer/">: nothing is fetched from anywhere else.
      expect(file).not.toMatch(/^(?:[a-z]+:)?\/\//i);
      const res = await fetch(new URL(file, `${t.origin}/explorer/`));
      expect([file, res.status]).toEqual([file, 200]);
      await res.arrayBuffer();
    }
    const script = await fetch(`${t.origin}/explorer/main.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript\b/);
    await script.arrayBuffer();
    const styles = await fetch(`${t.origin}/explorer/styles.css`);
    expect(styles.headers.get('content-type')).toMatch(/^text\/css\b/);
    await styles.arrayBuffer();
  });

  it('answers 404 for a file Altair does not have', async () => {
    const res = await fetch(`${t.origin}/explorer/nothing-here.js`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Not found' });
  });
});

describe('Altair\'s markup', () => {
  it('stops the explorer from being built when it has no <app-root> to carry Angular\'s style nonce', () => {
    const renamed = (options: Parameters<typeof renderAltair>[0]) => renderAltair(options).replaceAll('app-root', 'altair-root');
    expect(() => explorerRouter(renamed)).toThrow("Altair's page has no <app-root> to carry Angular's CSP nonce (ngCspNonce)");
    expect(() => explorerRouter()).not.toThrow();
  });
});

describe('Content-Security-Policy', () => {
  it('of the page: this origin only, inline script and styles only with the response\'s nonce', async () => {
    const res = await fetch(`${t.origin}/explorer`, { headers: HTML });
    const html = await res.text();
    const csp = cspDirectives(res.headers.get('content-security-policy'));
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp['script-src']!)?.[1];
    expect(nonce).toEqual(expect.any(String));
    expect(csp).toEqual({
      'default-src': "'none'",
      'script-src': `'self' 'nonce-${nonce}'`,
      'style-src': `'self' 'nonce-${nonce}'`,
      'img-src': "'self' data:",
      'font-src': "'self'",
      'connect-src': "'self'",
      'worker-src': "'self'",
      'frame-ancestors': "'none'",
      'base-uri': "'self'",
      'form-action': "'none'",
      'object-src': "'none'",
    });
    // The init script carries it, and Angular and Altair take it for the styles they add.
    expect(html).toContain(`<script type="module" nonce="${nonce}">`);
    expect(html).toContain(`<app-root ngCspNonce="${nonce}">`);
    expect(html).toContain(`cspNonce: \`${nonce}\``);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('has a new nonce on every response', async () => {
    const nonces = await Promise.all(
      [1, 2].map(async () => {
        const res = await fetch(`${t.origin}/explorer`, { headers: HTML });
        await res.text();
        return /'nonce-([^']+)'/.exec(res.headers.get('content-security-policy') ?? '')?.[1];
      }),
    );
    expect(nonces[0]).toEqual(expect.any(String));
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  it('of its files: the same policy', async () => {
    const res = await fetch(`${t.origin}/explorer/main.js`);
    await res.arrayBuffer();
    expect(cspDirectives(res.headers.get('content-security-policy'))).toMatchObject({ 'default-src': "'none'", 'script-src': expect.stringMatching(/^'self' 'nonce-/) });
  });

  it('stays strict for the API on the same server', async () => {
    const res = await fetch(t.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
    expect(cspDirectives(res.headers.get('content-security-policy'))).toEqual(API_POLICY);
  });

  it('leaves Apollo Sandbox on GET /graphql as it was', async () => {
    const res = await fetch(t.graphqlUrl, { headers: HTML });
    expect(await res.text()).toContain('embeddable-sandbox.cdn.apollographql.com');
    expect(cspDirectives(res.headers.get('content-security-policy'))).toEqual({
      'frame-ancestors': "'none'",
      'base-uri': "'none'",
      'object-src': "'none'",
    });
  });
});

describe('when off', () => {
  it.each([
    ['with EXPLORER_ENABLED=false', () => off],
    ['by default with NODE_ENV=production', () => prod],
  ])('%s: /explorer and its files are 404, under the API policy', async (_name, server) => {
    for (const path of ['/explorer', '/explorer/', '/explorer/main.js', '/explorer/styles.css']) {
      const res = await fetch(`${server().origin}${path}`, { headers: HTML });
      expect([path, res.status]).toEqual([path, 404]);
      expect(await res.json()).toEqual({ error: 'Not found' });
      expect(cspDirectives(res.headers.get('content-security-policy'))).toEqual(API_POLICY);
    }
  });
});
