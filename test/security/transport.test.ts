import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { type ClientOptions } from 'ws';
import { HSTS_MAX_AGE_SECONDS } from '../../src/http/security-headers.js';
import { graphql } from '../__generated__/index.js';
import { CREATE_SUBJECT, LOG_IN, PASSWORD, PAUSE_SESSION, SIGN_UP, START_SESSION } from '../support/fixtures.js';
import type { Operation, VariablesAnd } from '../support/graphql-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { disposeSockets, collect, eventually, openClient, wsUrl } from '../support/ws-client.js';
import { cspDirectives } from '../support/headers.js';

// What travels around the GraphQL itself: the security headers of every HTTP response (and the
// looser policy of the development landing page), HTTPS and WSS served directly from
// TLS_CERT_FILE/TLS_KEY_FILE with a certificate made for the run, and whose X-Forwarded-For and
// X-Forwarded-Proto count under TRUST_PROXY, on both transports.

const FORWARDED_FOR = '203.0.113.7';
/** The live timer's status only: what the wss:// test compares exactly. */
const TIMER_STATUS = graphql(`subscription TimerStatus($id: ID!) { timerUpdated(sessionId: $id) { sessionId status } }`);

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

afterEach(disposeSockets);

/** A `ws` WebSocket class that opens every socket with `options` (graphql-ws passes only url and subprotocol). */
function webSocketWith(options: ClientOptions): typeof WebSocket {
  return class extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, options);
    }
  } as unknown as typeof WebSocket;
}


/** The security event lines of `server` named `event`. */
const securityEvents = (server: TestServer, event: string) => server.logs.filter((l) => l.security === true && l.event === event);

describe('security headers', () => {
  const API_POLICY = { 'default-src': "'none'", 'frame-ancestors': "'none'", 'base-uri': "'none'", 'form-action': "'none'" };

  /** Headers every response carries, whatever it answers. */
  function expectCommonHeaders(headers: Headers): void {
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(headers.get('x-powered-by')).toBeNull();
  }

  it('are on a GraphQL answer, with a policy that lets it load nothing', async () => {
    const res = await fetch(t.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
    expectCommonHeaders(res.headers);
    expect(cspDirectives(res.headers.get('content-security-policy'))).toEqual(API_POLICY);
  });

  it.each(['/healthz', '/readyz', '/nowhere'])('are on %s too', async (path) => {
    const res = await fetch(`${t.origin}${path}`);
    expectCommonHeaders(res.headers);
    expect(cspDirectives(res.headers.get('content-security-policy'))).toEqual(API_POLICY);
  });

  it('leave out Strict-Transport-Security over plain HTTP', async () => {
    const res = await fetch(`${t.origin}/healthz`);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  describe('of the landing page in development', () => {
    const openInBrowser = (server: TestServer) =>
      fetch(server.graphqlUrl, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });

    it('let Apollo Sandbox load: the header restricts only what the page\'s own nonce policy cannot', async () => {
      const res = await openInBrowser(t);
      const html = await res.text();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expectCommonHeaders(res.headers);
      // No default-src, script-src, style-src or frame-src in the header: the page's <meta>
      // policy governs those, and a browser enforces both.
      expect(cspDirectives(res.headers.get('content-security-policy'))).toEqual({
        'frame-ancestors': "'none'",
        'base-uri': "'none'",
        'object-src': "'none'",
      });
      const nonce = /'nonce-([0-9a-f]+)'/.exec(html)?.[1];
      expect(nonce).toEqual(expect.any(String));
      expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="script-src 'self' 'nonce-[0-9a-f]+' [^"]*https:\/\/embeddable-sandbox\.cdn\.apollographql\.com/);
      expect(html).toContain(`<script nonce="${nonce}" src="https://embeddable-sandbox.cdn.apollographql.com/`);
    });

    it('keep the strict policy for a GET that asks for JSON', async () => {
      const res = await fetch(`${t.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`, {
        headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
      });
      expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
      expect(cspDirectives(res.headers.get('content-security-policy'))).toEqual(API_POLICY);
    });

    describe('with NODE_ENV=production', () => {
      let prod: TestServer;
      beforeAll(async () => {
        prod = await startTestServer({ env: { NODE_ENV: 'production' } });
      });
      afterAll(() => prod.close());

      it('serve no landing page, and the strict policy', async () => {
        const res = await openInBrowser(prod);
        const body = await res.text();
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).not.toMatch(/html/);
        expect(body).not.toMatch(/apollographql\.com|<html/i);
        expect(cspDirectives(res.headers.get('content-security-policy'))).toEqual(API_POLICY);
      });
    });
  });
});

describe('TLS (TLS_CERT_FILE, TLS_KEY_FILE)', () => {
  let dir: string;
  let ca: Buffer;
  let secure: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'studyclock-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    // A self-signed certificate for this run only; the client trusts exactly it (no NODE_EXTRA_CA_CERTS).
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert],
      { stdio: 'pipe' },
    );
    ca = readFileSync(cert);
    secure = await startTestServer({ env: { TLS_CERT_FILE: cert, TLS_KEY_FILE: key } });
  });
  afterAll(async () => {
    await secure?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One HTTPS request trusting `trust` (nothing but the system's CAs when undefined). */
  function overHttps(
    url: string,
    options: { method?: string; headers?: Record<string, string>; body?: string; trust?: Buffer } = {},
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { method: options.method ?? 'GET', headers: options.headers, ca: options.trust }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(options.body);
    });
  }

  /** Runs an operation over HTTPS; throws on GraphQL errors. */
  async function graphqlOverHttps<T, V>(query: Operation<T, V>, ...[variables, token]: VariablesAnd<V, [token?: string]>): Promise<T> {
    const res = await overHttps(secure.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query: String(query), variables }),
      trust: ca,
    });
    const body = JSON.parse(res.body) as { data: T; errors?: unknown };
    if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data;
  }

  it('listens on an https:// origin', () => {
    expect(secure.origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers GraphQL over HTTPS with Strict-Transport-Security', async () => {
    const res = await overHttps(secure.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
      trust: ca,
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ data: { __typename: 'Query' } });
    expect(res.headers['strict-transport-security']).toBe(`max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('presents the configured certificate: a client that does not trust it is refused', async () => {
    await expect(overHttps(`${secure.origin}/healthz`)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('speaks no plain HTTP on its port', async () => {
    await expect(fetch(`${secure.origin.replace(/^https/, 'http')}/healthz`)).rejects.toThrow();
  });

  it('streams a subscription over wss:// end to end', async () => {
    const email = `tls-${Date.now()}@example.com`;
    const { signUp } = await graphqlOverHttps(SIGN_UP, { input: { email, password: PASSWORD } });
    const token = signUp.accessToken;
    const { createSubject } = await graphqlOverHttps(CREATE_SUBJECT, { name: 'Cryptography' }, token);
    const { startSession } = await graphqlOverHttps(START_SESSION, { input: { subjectId: createSubject.id, type: 'FREE' } }, token);

    const url = wsUrl(secure.origin);
    expect(url).toMatch(/^wss:\/\//);
    const ws = openClient(url, { connectionParams: { token }, webSocketImpl: webSocketWith({ ca }) });
    await expect(ws.connected).resolves.toMatchObject({ userId: expect.any(String) });
    const timer = collect(ws.client, TIMER_STATUS, { id: startSession.id });
    expect((await timer.waitFor(1))[0]).toEqual({ data: { timerUpdated: { sessionId: startSession.id, status: 'RUNNING' } } });

    await graphqlOverHttps(PAUSE_SESSION, { id: startSession.id }, token);
    await eventually(() => timer.results.some((r) => r.data?.timerUpdated.status === 'PAUSED'), 5_000, 'the PAUSED update');
    timer.unsubscribe();
  });

  it('refuses a wss:// client that does not trust the certificate', async () => {
    const ws = openClient(wsUrl(secure.origin), { connectionParams: { token: 'unused' } });
    await expect(ws.connected).rejects.toThrow();
    expect(ws.acks).toEqual([]);
  });
});

describe('TRUST_PROXY', () => {
  /** A failed logIn from a client claiming `X-Forwarded-For: 203.0.113.7`. */
  async function failLogIn(server: TestServer): Promise<void> {
    const res = await server.client().request(
      LOG_IN,
      { input: { email: `nobody-${Date.now()}@example.com`, password: PASSWORD } },
      { headers: { 'x-forwarded-for': FORWARDED_FOR } },
    );
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_CREDENTIALS']);
  }

  /** A WebSocket from a client claiming `X-Forwarded-For: 203.0.113.7`, refused for its token. */
  async function refusedSocket(server: TestServer): Promise<void> {
    const ws = openClient(wsUrl(server.origin), {
      connectionParams: { token: 'not-a-token' },
      webSocketImpl: webSocketWith({ headers: { 'x-forwarded-for': FORWARDED_FOR } }),
    });
    await expect(ws.connected).rejects.toMatchObject({ code: 4403 });
  }

  describe('with loopback (the server sits behind a proxy on this machine)', () => {
    let proxied: TestServer;
    beforeAll(async () => {
      proxied = await startTestServer({ env: { TRUST_PROXY: 'loopback' } });
    });
    afterAll(() => proxied.close());

    it('takes the HTTP client address from X-Forwarded-For', async () => {
      await failLogIn(proxied);
      expect(securityEvents(proxied, 'auth.login_failed')).toEqual([expect.objectContaining({ ip: FORWARDED_FOR })]);
    });

    it('takes the WebSocket client address from the upgrade\'s X-Forwarded-For', async () => {
      await refusedSocket(proxied);
      await eventually(() => securityEvents(proxied, 'ws.connection_rejected').length > 0, 2_000, 'ws.connection_rejected');
      expect(securityEvents(proxied, 'ws.connection_rejected')).toEqual([expect.objectContaining({ ip: FORWARDED_FOR })]);
    });

    it('sends Strict-Transport-Security when the proxy says the request came over HTTPS', async () => {
      const res = await fetch(`${proxied.origin}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(res.headers.get('strict-transport-security')).toBe(`max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`);
    });
  });

  describe('with the default (false)', () => {
    it('ignores X-Forwarded-For over HTTP: the address is the peer\'s', async () => {
      await failLogIn(t);
      expect(securityEvents(t, 'auth.login_failed')).toEqual([expect.objectContaining({ ip: '127.0.0.1' })]);
    });

    it('ignores X-Forwarded-For on the WebSocket upgrade', async () => {
      await refusedSocket(t);
      await eventually(() => securityEvents(t, 'ws.connection_rejected').length > 0, 2_000, 'ws.connection_rejected');
      expect(securityEvents(t, 'ws.connection_rejected')).toEqual([expect.objectContaining({ ip: '127.0.0.1' })]);
    });

    it('ignores X-Forwarded-Proto: no Strict-Transport-Security over plain HTTP', async () => {
      const res = await fetch(`${t.origin}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(res.headers.get('strict-transport-security')).toBeNull();
    });
  });

  describe('with a hop count (1)', () => {
    let oneHop: TestServer;
    beforeAll(async () => {
      oneHop = await startTestServer({ env: { TRUST_PROXY: '1' } });
    });
    afterAll(() => oneHop.close());

    // The proxy appends the address it saw; whatever the client wrote before it is not trusted.
    it('takes the address the trusted proxy appended, not one the client prepended', async () => {
      const res = await oneHop.client().request(
        LOG_IN,
        { input: { email: 'nobody@example.com', password: PASSWORD } },
        { headers: { 'x-forwarded-for': `198.51.100.9, ${FORWARDED_FOR}` } },
      );
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_CREDENTIALS']);
      expect(securityEvents(oneHop, 'auth.login_failed')).toEqual([expect.objectContaining({ ip: FORWARDED_FOR })]);
    });
  });
});
