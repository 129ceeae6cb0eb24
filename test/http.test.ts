import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/app/server.js';
import { createTestDatabase } from './support/database.js';
import { ME, PASSWORD, SIGN_UP } from './support/fixtures.js';
import { freePort, startTestServer, testEnv, type TestServer } from './support/server.js';
import { startServerProcess, stopServerProcesses } from './support/server-process.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

/** POSTs a raw body to `/graphql` of `server`. */
function postGraphQL(server: TestServer, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return fetch(server.graphqlUrl, { method: 'POST', headers, body });
}

/** Asserts that a response body carries no trace of the server's internals. */
function expectNoInternals(body: string): void {
  expect(body).not.toMatch(/stack/i);
  expect(body).not.toMatch(/\bat .+:\d+:\d+/); // a stack frame
  expect(body).not.toMatch(/\.[jt]s:\d+/); // a source location
  expect(body).not.toMatch(/<html|<pre|<!doctype/i);
}

/** Polls `find` until it returns something, for log lines written just after a response. */
async function eventually<T>(find: () => T | undefined, timeoutMs = 2_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(10);
  }
}

describe('health endpoints', () => {
  it('answers /healthz with 200 {status: "ok"}', async () => {
    const res = await fetch(`${t.origin}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 and database true while the database answers', async () => {
    const res = await fetch(`${t.origin}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', database: true });
  });

  describe('when the database is gone', () => {
    let down: TestServer;
    beforeAll(async () => {
      down = await startTestServer();
      // Closing the handle under the running server is what a lost database looks like to it;
      // the handle's close is idempotent, so down.close() still tears everything down.
      await down.db.handle.close();
    });
    afterAll(() => down.close());

    it('answers /readyz with 503 and database false', async () => {
      const res = await fetch(`${down.origin}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', database: false });
    });

    it('keeps answering /healthz', async () => {
      await fetch(`${down.origin}/readyz`);
      const res = await fetch(`${down.origin}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    });

    it('answers an operation that needs it with 503 SERVICE_UNAVAILABLE, a fixed message and no internals', async () => {
      const res = await postGraphQL(
        down,
        JSON.stringify({ query: String(SIGN_UP), variables: { input: { email: 'lost-db@example.com', password: PASSWORD } } }),
      );
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({
        data: null,
        errors: [
          expect.objectContaining({
            message: 'The service is temporarily unavailable; retry later',
            path: ['signUp'],
            extensions: { code: 'SERVICE_UNAVAILABLE' },
          }),
        ],
      });
      expectNoInternals(text);
      expect(text).not.toContain('closed');
      // The original error goes to the log instead.
      expect(down.logs).toContainEqual(expect.objectContaining({ msg: 'database unavailable' }));
    });
  });
});

describe('request errors', () => {
  it('answers an unknown path with 404 JSON', async () => {
    const res = await fetch(`${t.origin}/no-such-path`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: 'Not found' });
  });

  it('accepts a JSON body just under 100 kB', async () => {
    const res = await postGraphQL(t, JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(95 * 1024) } }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a body over 100 kB with 413 and a GraphQL-shaped error', async () => {
    const res = await postGraphQL(t, JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(101 * 1024) } }));
    const text = await res.text();
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(text)).toEqual({
      errors: [{ message: expect.stringMatching(/100\s?kb/i), extensions: { code: 'BAD_REQUEST' } }],
    });
    expectNoInternals(text);
  });

  it('refuses invalid JSON with 400 and a GraphQL-shaped error', async () => {
    const res = await postGraphQL(t, '{"query": "{ __typename }"');
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(text)).toEqual({
      errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }],
    });
    expectNoInternals(text);
  });

  // Apollo's choice, stated in the README's error table: the GraphQL over HTTP spec says SHOULD
  // 200 for application/json (400 is its rule for application/graphql-response+json). Variables
  // are coerced before any resolver runs, so the anonymous request needs no token.
  it.each([
    ['application/json', 'application/json'],
    ['application/graphql-response+json', 'application/graphql-response+json'],
  ])('answers a document that does not parse or validate, or variables that do not coerce, with 400 under Accept: %s', async (accept, contentType) => {
    for (const [query, variables, code] of [
      ['{ me {', undefined, 'GRAPHQL_PARSE_FAILED'],
      ['{ me { shoeSize } }', undefined, 'GRAPHQL_VALIDATION_FAILED'],
      ['query($first: Int) { sessions(first: $first) { pageInfo { hasNextPage } } }', { first: 'ten' }, 'BAD_USER_INPUT'],
    ] as const) {
      const res = await postGraphQL(t, JSON.stringify({ query, variables }), { 'content-type': 'application/json', accept });
      const body = (await res.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
      expect({ status: res.status, contentType: res.headers.get('content-type'), data: body.data, code: body.errors[0]?.extensions.code }).toEqual({
        status: 400,
        contentType: expect.stringMatching(new RegExp(`^${contentType.replace('+', '\\+')}`)),
        data: undefined,
        code,
      });
    }
  });
});

describe('CSRF prevention', () => {
  const getUrl = () => `${t.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`;

  it('refuses a GET query without a preflight-forcing header with 400', async () => {
    const res = await fetch(getUrl());
    const body = (await res.json()) as { data?: unknown; errors: { message: string; extensions: { code: string } }[] };
    expect(res.status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([{ message: expect.stringContaining('CSRF'), extensions: { code: 'BAD_REQUEST' } }]);
  });

  it('runs a GET query that carries apollo-require-preflight', async () => {
    const res = await fetch(getUrl(), { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a text/plain POST with 400 and does not run its mutation', async () => {
    const email = 'csrf-victim@example.com';
    const res = await postGraphQL(t, JSON.stringify({ query: String(SIGN_UP), variables: { input: { email, password: PASSWORD } } }), {
      'content-type': 'text/plain',
    });
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(res.status).toBe(400);
    expect(body.errors).toEqual([{ message: expect.stringContaining('CSRF'), extensions: { code: 'BAD_REQUEST' } }]);
    const users = await sql<{ n: number }>`select count(*)::int as n from users where email = ${email}`.execute(t.db.handle.db);
    expect(users.rows).toEqual([{ n: 0 }]);
  });
});

describe('CORS', () => {
  const preflight = (server: TestServer, origin: string) =>
    fetch(server.graphqlUrl, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });

  let cors: TestServer;
  beforeAll(async () => {
    cors = await startTestServer({ env: { ALLOWED_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(() => cors.close());

  it('answers a preflight from an allowed origin with that origin and credentials', async () => {
    const res = await preflight(cors, 'https://app.example.com');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('answers a preflight from another origin without Access-Control-Allow-Origin', async () => {
    const res = await preflight(cors, 'https://evil.example.com');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows no origin at all when ALLOWED_ORIGINS is unset', async () => {
    const res = await preflight(t, 'https://app.example.com');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('request logs', () => {
  it('redact the Authorization header, cookies and Set-Cookie', async () => {
    const email = 'logged@example.com';
    const signUp = await postGraphQL(t, JSON.stringify({ query: String(SIGN_UP), variables: { input: { email, password: PASSWORD, cookieMode: true } } }));
    const { data } = (await signUp.json()) as { data: { signUp: { accessToken: string } } };
    const accessToken = data.signUp.accessToken;
    const cookies = signUp.headers.getSetCookie().map((c) => c.split(';')[0]!);
    expect(cookies).toHaveLength(2);

    const me = await postGraphQL(t, JSON.stringify({ query: String(ME) }), {
      'content-type': 'application/json',
      authorization: `Bearer ${accessToken}`,
      cookie: cookies.join('; '),
    });
    expect(await me.json()).toEqual({ data: { me: { id: expect.any(String), email } } });

    type RequestLog = { req?: { headers?: Record<string, unknown> }; res?: { headers?: Record<string, unknown> } };
    const meLine = await eventually(() => (t.logs as RequestLog[]).find((l) => l.req?.headers?.authorization !== undefined));
    expect(meLine.req!.headers!.authorization).toBe('[redacted]');
    expect(meLine.req!.headers!.cookie).toBe('[redacted]');
    const signUpLine = await eventually(() => (t.logs as RequestLog[]).find((l) => l.res?.headers?.['set-cookie'] !== undefined));
    expect(signUpLine.res!.headers!['set-cookie']).toBe('[redacted]');

    const raw = t.rawLogs();
    expect(raw).not.toContain(accessToken);
    for (const cookie of cookies) expect(raw).not.toContain(cookie.slice(cookie.indexOf('=') + 1));
  });
});

describe('graceful shutdown of the real process', () => {
  afterAll(stopServerProcesses);

  it('exits with code 0 within a few seconds of SIGTERM and logs "shut down"', async () => {
    const p = await startServerProcess();
    p.child.kill('SIGTERM');
    const outcome = await Promise.race([p.exited, delay(5_000, 'still running after 5 s', { ref: false })]);
    expect(outcome).toBe(0);
    expect(p.logs().map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'shut down']));
  }, 60_000);

  it('finishes a request that is in flight when SIGTERM arrives', async () => {
    const p = await startServerProcess();
    const email = 'in-flight@example.com';
    const body = JSON.stringify({ query: String(SIGN_UP), variables: { input: { email, password: PASSWORD } } });
    // `Expect: 100-continue` makes the server confirm it has taken the request before the body
    // is sent, so SIGTERM lands while the request is certainly in flight (and the sign-up's
    // scrypt at the default cost then runs during the shutdown).
    const req = request({
      host: '127.0.0.1',
      port: p.port,
      path: '/graphql',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
    });
    const response = new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      });
      req.on('error', reject);
    });
    req.on('continue', () => {
      p.child.kill('SIGTERM');
      req.end(body);
    });
    req.flushHeaders();

    const res = await response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      data: { signUp: expect.objectContaining({ accessToken: expect.any(String), user: expect.objectContaining({ email }) }) },
    });
    // The log proves the order: the signal was handled before the request completed.
    const completed = await eventually(() => {
      const i = p.logs().findIndex((l) => l.msg === 'request completed' && l.req?.url === '/graphql');
      return i >= 0 ? i : undefined;
    });
    const signalled = p.logs().findIndex((l) => l.msg === 'signal received');
    expect(signalled).toBeGreaterThanOrEqual(0);
    expect(signalled).toBeLessThan(completed);
  }, 60_000);
  it('does not wait for an idle keep-alive connection, and cuts a request still in flight after SHUTDOWN_TIMEOUT_SECONDS', async () => {
    const p = await startServerProcess({ SHUTDOWN_TIMEOUT_SECONDS: '1' });
    // An idle keep-alive connection: one request answered, the socket left open.
    const idle = connect(p.port, '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    idle.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    await new Promise((resolve) => idle.once('data', resolve));
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    // A request whose body never comes: in flight until it is cut.
    const stuck = connect(p.port, '127.0.0.1');
    await new Promise((resolve) => stuck.once('connect', resolve));
    stuck.write('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":');
    let stuckClosedAt = 0;
    const stuckClosed = new Promise((resolve) => stuck.once('close', () => resolve((stuckClosedAt = Date.now()))));
    stuck.on('error', () => {});
    await delay(200);
    const signalledAt = Date.now();
    p.child.kill('SIGTERM');
    await idleClosed;
    expect(Date.now() - signalledAt).toBeLessThan(1_000);
    const outcome = await Promise.race([p.exited, delay(5_000, 'still running 5 s after SIGTERM', { ref: false })]);
    expect(outcome).toBe(0);
    await stuckClosed;
    // Cut at the grace, not before.
    expect(stuckClosedAt - signalledAt).toBeGreaterThanOrEqual(1_000);
    expect(p.logs().map((l) => l.msg)).toEqual(expect.arrayContaining(['shut down']));
  }, 60_000);
});

describe('subscriptions over HTTP', () => {
  it('answers 400 BAD_REQUEST pointing to the WebSocket endpoint', async () => {
    const t = await startTestServer();
    try {
      const res = await t.client().request('subscription { timerUpdated(sessionId: "00000000-0000-4000-8000-000000000000") { status } }');
      expect(res.status).toBe(400);
      expect(res.errors).toEqual([
        {
          message: 'Subscriptions are served over WebSocket (subprotocol graphql-transport-ws) at /graphql',
          extensions: { code: 'BAD_REQUEST' },
        },
      ]);
    } finally {
      await t.close();
    }
  });
});

describe('a start that fails', () => {
  /** How many of each kind of handle keeps this process alive (TCPSocketWrap, Timeout…). */
  function activeResources(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
    return counts;
  }
  /** The kinds of which there are more now than in `before`, with how many more. */
  function leftOpen(before: Record<string, number>): Record<string, number> {
    const now = activeResources();
    return Object.fromEntries(Object.entries(now).flatMap(([kind, n]) => (n > (before[kind] ?? 0) ? [[kind, n - (before[kind] ?? 0)]] : [])));
  }

  /** Whether something accepts TCP connections on 127.0.0.1:`port`. */
  function listening(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
  }

  // One failure at each stage of the start, earliest first: before anything is opened (TLS
  // files), once the database pool is open (migrations cannot reach it), once Redis, presence's
  // heartbeat, the sockets endpoint and Apollo are up (the API port is taken), and once the
  // API is listening (the metrics port is taken). The server opens its own database (a fresh
  // PostgreSQL one with TEST_DATABASE_URL, PGlite in memory otherwise) unless told otherwise.
  it.each([
    { failing: 'the TLS certificate cannot be read', env: () => ({ TLS_CERT_FILE: '/nonexistent/cert.pem', TLS_KEY_FILE: '/nonexistent/key.pem' }), error: 'ENOENT' },
    {
      failing: 'the database cannot be reached',
      env: (_takenPort: number, closedPort: number) => ({ DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/test` }),
      error: 'ECONNREFUSED',
    },
    { failing: 'the port is already taken', env: (takenPort: number) => ({ PORT: String(takenPort) }), error: 'EADDRINUSE' },
    {
      failing: 'the metrics port is already taken, after the API is listening',
      env: (takenPort: number, _closedPort: number, apiPort: number) => ({ PORT: String(apiPort), METRICS_PORT: String(takenPort), METRICS_HOST: '127.0.0.1' }),
      error: 'EADDRINUSE',
    },
    // Compiled with the settings, before anything is opened.
    { failing: 'TRUST_PROXY is not a list of addresses', env: () => ({ TRUST_PROXY: 'not-an-address' }), error: 'invalid IP address: not-an-address' },
  ])('rejects with the error when $failing, leaving no socket, timer, connection or listening port open', async ({ env, error }) => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const [closedPort, apiPort] = [await freePort(), await freePort()];
    const testDb = await createTestDatabase();
    try {
      const database = testDb.url ? { DATABASE_URL: testDb.url } : { EMBEDDED_DB_DIR: 'memory://' };
      const config = loadConfig({
        ...testEnv,
        ...database,
        HOST: '127.0.0.1',
        REDIS_URL: 'redis://127.0.0.1:6379',
        LAST_SEEN_HEARTBEAT_SECONDS: '1',
        ...env((taken.address() as { port: number }).port, closedPort, apiPort),
      });
      const before = activeResources();

      await expect(startServer({ config, logger: createLogger('silent') })).rejects.toThrow(error);

      // A socket that was closed goes from the list on its close event, just after.
      const deadline = Date.now() + 2_000;
      while (Object.keys(leftOpen(before)).length > 0 && Date.now() < deadline) await delay(20);
      expect(leftOpen(before)).toEqual({});
      expect(await listening(apiPort)).toBe(false);
    } finally {
      await testDb.dispose();
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
