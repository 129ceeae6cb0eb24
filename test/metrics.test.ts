import { setTimeout as sleep } from 'node:timers/promises';
import jwt from 'jsonwebtoken';
import { ConfigError, loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { metricsEndpoint } from '../src/metrics/endpoint.js';
import { compileTrustProxy } from '../src/http/client-address.js';
import { ME, SESSION, signUpStudent, type Student, studentWithSession, TIMER_UPDATED } from './support/fixtures.js';
import { freePort, isIdle, startTestServer, testEnv, type TestServer } from './support/server.js';
import { collect, connectStudent, disposeSockets, eventually, openClient, type WsTestClient, wsUrl } from './support/ws-client.js';

// GET /metrics: where it is served and to whom (METRICS_TOKEN, METRICS_PORT), then what its
// series count. Counters are compared between two scrapes around one known sequence of real
// requests, ticks and disconnects: the exact set of counters that moved, and by how much.

const TOKEN = 'a-metrics-token-of-at-least-32-characters';
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const TICK_MS = 100;
const STUDENT_OPERATIONS_PER_MINUTE = 6;

/** The samples of one scrape, by `name{label="value",…}` with labels sorted. */
type Samples = Map<string, number>;

function sampleKey(name: string, labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v}"`);
  return pairs.length > 0 ? `${name}{${pairs.join(',')}}` : name;
}

/** Parses Prometheus's text format (the subset prom-client writes). */
function parseSamples(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.set(sampleKey(match[1]!, labels), Number(match[3]));
  }
  return samples;
}

/** The studyclock counters (`studyclock_…_total`) whose value differs between two scrapes, and by how much. */
function counterChanges(before: Samples, after: Samples): Record<string, number> {
  const changes: Record<string, number> = {};
  for (const [key, value] of after) {
    if (!/^studyclock_\w+_total\b/.test(key)) continue;
    const delta = value - (before.get(key) ?? 0);
    if (delta !== 0) changes[key] = delta;
  }
  return changes;
}

const httpRequests = (operation: string, outcome: string) => sampleKey('studyclock_http_requests_total', { operation, outcome });

async function get(url: string, token?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` } });
}

/** A sign-up whose token is signed with another secret: well-formed, refused as `invalid`. */
function forged(student: Student): string {
  const claims = jwt.decode(student.accessToken) as jwt.JwtPayload;
  return jwt.sign(claims, 'another-secret-that-is-at-least-32-bytes-long', { header: { alg: 'HS256', typ: 'at+jwt' } });
}


describe('where GET /metrics is served', () => {
  it('is 404 on the main port when neither METRICS_TOKEN nor METRICS_PORT is set', async () => {
    const plain = await startTestServer();
    try {
      const res = await get(`${plain.origin}/metrics`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'Not found' });
      expect(plain.server.metricsOrigin).toBeUndefined();
    } finally {
      await plain.close();
    }
  });

  describe('with METRICS_PORT', () => {
    let separate: TestServer;
    beforeAll(async () => {
      separate = await startTestServer({ env: { METRICS_PORT: '0', METRICS_TOKEN: TOKEN } });
    });
    afterAll(() => separate?.close());

    it('serves the separate port on METRICS_HOST (127.0.0.1 by default)', async () => {
      expect(separate.server.metricsOrigin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await get(`${separate.server.metricsOrigin}/metrics`, TOKEN);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(PROMETHEUS_TEXT);
      expect(await res.text()).toMatch(/^# HELP studyclock_open_sockets /m);
    });

    it('is 404 on the main port, even with the token', async () => {
      const res = await get(`${separate.origin}/metrics`, TOKEN);
      expect(res.status).toBe(404);
    });

    it('requires METRICS_TOKEN on the separate port too', async () => {
      expect((await get(`${separate.server.metricsOrigin}/metrics`)).status).toBe(401);
      expect((await get(`${separate.server.metricsOrigin}/metrics`, 'wrong')).status).toBe(401);
    });

    it('answers nothing else on the separate port', async () => {
      const res = await get(`${separate.server.metricsOrigin}/graphql`, TOKEN);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'Not found' });
    });

    it('stops listening when the server closes', async () => {
      const other = await startTestServer({ env: { METRICS_PORT: '0' } });
      const url = `${other.server.metricsOrigin}/metrics`;
      expect((await get(url)).status).toBe(200);
      await other.close();
      await expect(get(url)).rejects.toThrow();
    });
  });

  describe('the METRICS_PORT listener, closed early', () => {
    function endpointOn(port: number) {
      const config = loadConfig({ ...testEnv, METRICS_PORT: String(port) });
      const metrics = { scrape: async () => '', contentType: PROMETHEUS_TEXT };
      return metricsEndpoint(config, metrics, { scrapeRefused: async () => {} }, createLogger('silent'), compileTrustProxy(config.TRUST_PROXY));
    }

    it('closed while it starts to listen: listen() rejects, and nothing is left listening', async () => {
      const port = await freePort();
      const endpoint = endpointOn(port);
      const listening = endpoint.listen().then(
        () => 'listening',
        (err: Error) => err.message,
      );
      await endpoint.close();
      expect(await listening).toBe('the metrics endpoint was closed before it was listening');
      await expect(get(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    });

    it('closed before listen(): listen() rejects without listening', async () => {
      const port = await freePort();
      const endpoint = endpointOn(port);
      await endpoint.close();
      await expect(endpoint.listen()).rejects.toThrow('the metrics endpoint was closed before it was listening');
      await expect(get(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    });
  });
});

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    env: {
      METRICS_TOKEN: TOKEN,
      TICK_INTERVAL_MS: String(TICK_MS),
      DISCONNECT_GRACE_SECONDS: '0.2',
      OPERATIONS_PER_STUDENT_PER_MINUTE: String(STUDENT_OPERATIONS_PER_MINUTE),
      ACCESS_TOKEN_TTL_SECONDS: '86400',
      // Scrapers "from" addresses of their own (X-Forwarded-For), for the log once per address.
      TRUST_PROXY: 'loopback',
    },
  });
});
afterAll(() => t?.close());

afterEach(async () => {
  await disposeSockets();
  // Every test starts from an idle server: no socket, subscription or pending pause left over,
  // so nothing counted after the test belongs to it.
  await eventually(() => isIdle(t.server.stats()), 5_000, 'an idle server');
});

async function scrape(): Promise<Samples> {
  const res = await get(`${t.origin}/metrics`, TOKEN);
  expect(res.status).toBe(200);
  return parseSamples(await res.text());
}

const connect = (student: Student): Promise<WsTestClient> => connectStudent(t.origin, student);

describe('with METRICS_TOKEN on the main port', () => {
  it('answers 401 without a bearer token', async () => {
    const res = await get(`${t.origin}/metrics`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(await res.json()).toEqual({ error: 'Unauthorized' });
  });

  it('counts every 401, and logs the first of each address in a minute: the reason and the address, never a token', async () => {
    const wrong = `${TOKEN.slice(0, -1)}!`;
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const before = await scrape();
    const statuses = [];
    for (const [ip, token] of [
      ['203.0.113.7', wrong],
      ['203.0.113.7', undefined],
      ['203.0.113.7', wrong],
      ['203.0.113.8', undefined],
    ] as const) {
      statuses.push((await get(`${t.origin}/metrics`, token, from(ip))).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401]);
    expect(t.logs.filter((l) => l.event === 'metrics.unauthorized' && String(l.ip).startsWith('203.0.113.'))).toEqual([
      expect.objectContaining({ security: true, reason: 'invalid', ip: '203.0.113.7' }),
      expect.objectContaining({ security: true, reason: 'missing', ip: '203.0.113.8' }),
    ]);
    expect(counterChanges(before, await scrape())).toEqual({ studyclock_metrics_scrapes_refused_total: 4 });
    expect(t.rawLogs()).not.toContain(wrong);
    expect(t.rawLogs()).not.toContain(TOKEN);
  });

  it('answers 200 in Prometheus text format with the token, every studyclock series with its HELP', async () => {
    const res = await get(`${t.origin}/metrics`, TOKEN);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_TEXT);
    const text = await res.text();
    const helped = [...text.matchAll(/^# HELP (studyclock_\w+) \S/gm)].map((m) => m[1]).sort();
    // The embedded database has one in-process connection: no pool breakdown to report.
    const poolBreakdown = t.db.url ? ['studyclock_db_pool_connections'] : [];
    const poolWaiting = t.db.url ? ['studyclock_db_pool_waiting_queries'] : [];
    expect(helped).toEqual([
      'studyclock_active_subscriptions',
      'studyclock_auth_failures_total',
      'studyclock_authenticated_connections',
      ...poolBreakdown,
      'studyclock_db_pool_max_connections',
      ...poolWaiting,
      'studyclock_disconnect_pauses_total',
      'studyclock_http_requests_total',
      'studyclock_login_failures_total',
      'studyclock_metrics_scrapes_refused_total',
      'studyclock_open_sockets',
      'studyclock_pending_disconnect_pauses',
      'studyclock_pubsub_listeners',
      'studyclock_rate_limit_rejections_total',
      'studyclock_ticking_sessions',
      'studyclock_ticks_delivered_total',
      'studyclock_ws_origins_refused_total',
      'studyclock_ws_slow_consumers_closed_total',
    ]);
  });
});

describe('series', () => {
  it('counts HTTP operations by type, root field and outcome: ok, the first error code, introspection, and unresolved (unparsable, refused batch)', async () => {
    const before = await scrape();
    await signUpStudent(t.client());
    expect((await t.client().fail(ME)).extensions?.code).toBe('UNAUTHENTICATED');
    await t.client().ok('{ __typename }');
    expect((await t.client().fail('query Broken {')).extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const batch = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(batch.status).toBe(400);
    expect(counterChanges(before, await scrape())).toEqual({
      [httpRequests('mutation signUp', 'ok')]: 1,
      [httpRequests('query me', 'UNAUTHENTICATED')]: 1,
      [httpRequests('introspection', 'ok')]: 1,
      [httpRequests('unresolved', 'GRAPHQL_PARSE_FAILED')]: 1,
      [httpRequests('unresolved', 'BAD_REQUEST')]: 1,
    });
  });

  it('reports every transport and reason of auth failures and every rate limit, from 0 before the first', async () => {
    const samples = await scrape();
    const present = (name: string) => [...samples.keys()].filter((k) => k.startsWith(`${name}{`)).sort();
    expect(present('studyclock_auth_failures_total')).toEqual(
      ['http', 'ws'].flatMap((transport) => ['expired', 'invalid', 'malformed', 'revoked'].map((reason) => sampleKey('studyclock_auth_failures_total', { transport, reason }))).sort(),
    );
    expect(present('studyclock_rate_limit_rejections_total')).toEqual(
      ['login_delay', 'operations', 'token_failures_per_address', 'ws_sockets_per_student', 'ws_upgrade'].map((limit) => sampleKey('studyclock_rate_limit_rejections_total', { limit })).sort(),
    );
    // Nothing in this file expires or revokes a token.
    expect(samples.get(sampleKey('studyclock_auth_failures_total', { transport: 'ws', reason: 'revoked' }))).toBe(0);
  });

  it('gauges open sockets, authenticated connections and active subscriptions while a student is subscribed', async () => {
    const { student, session: { id: sessionId } } = await studentWithSession(t.client());
    const idle = await scrape();
    const ws = await connect(student);
    const sub = collect(ws.client, TIMER_UPDATED, { id: sessionId });
    await sub.waitFor(1);
    const busy = await scrape();
    const gauges = [
      'studyclock_open_sockets',
      'studyclock_authenticated_connections',
      'studyclock_active_subscriptions',
      'studyclock_ticking_sessions',
      'studyclock_pubsub_listeners',
    ];
    expect(gauges.map((g) => [g, idle.get(g), busy.get(g)])).toEqual(gauges.map((g) => [g, 0, 1]));
    expect(busy.get('studyclock_pending_disconnect_pauses')).toBe(0);
  });

  it('counts every tick delivered to a subscriber, and nothing while the clock stands still', async () => {
    const before = await scrape();
    const { student, session: { id: sessionId } } = await studentWithSession(t.client());
    const ws = await connect(student);
    const sub = collect(ws.client, TIMER_UPDATED, { id: sessionId });
    await sub.waitFor(1); // the current state: not a tick
    for (let n = 2; n <= 4; n++) {
      t.clock.advance(TICK_MS);
      await sub.waitFor(n);
    }
    // The scheduler wakes up every interval in real time; a frozen clock has nothing due.
    await sleep(3 * TICK_MS);
    expect(sub.results).toHaveLength(4);
    expect(counterChanges(before, await scrape())).toEqual({
      [httpRequests('mutation signUp', 'ok')]: 1,
      [httpRequests('mutation createSubject', 'ok')]: 1,
      [httpRequests('mutation startSession', 'ok')]: 1,
      studyclock_ticks_delivered_total: 3,
    });
  });

  it('counts refused access tokens by transport and reason', async () => {
    const student = await signUpStudent(t.client());
    const before = await scrape();
    expect((await t.client().withToken(forged(student)).fail(ME)).extensions?.reason).toBe('invalid');
    expect((await t.client().withToken('not-a-token').fail(ME)).extensions?.reason).toBe('malformed');
    const ws = openClient(wsUrl(t.origin), { connectionParams: { token: forged(student) } });
    await expect(ws.connected).rejects.toMatchObject({ code: 4403 });
    expect(counterChanges(before, await scrape())).toEqual({
      [sampleKey('studyclock_auth_failures_total', { transport: 'http', reason: 'invalid' })]: 1,
      [sampleKey('studyclock_auth_failures_total', { transport: 'http', reason: 'malformed' })]: 1,
      [sampleKey('studyclock_auth_failures_total', { transport: 'ws', reason: 'invalid' })]: 1,
      [httpRequests('query me', 'UNAUTHENTICATED')]: 2,
    });
  });

  it('counts a request refused by a rate limit, by limit, and as an unresolved HTTP request', async () => {
    const student = await signUpStudent(t.client());
    const before = await scrape();
    for (let i = 0; i < STUDENT_OPERATIONS_PER_MINUTE; i++) await student.client.ok(ME);
    const refused = await student.client.request(ME);
    expect(refused.status).toBe(429);
    expect(counterChanges(before, await scrape())).toEqual({
      [httpRequests('query me', 'ok')]: STUDENT_OPERATIONS_PER_MINUTE,
      [httpRequests('unresolved', 'RATE_LIMITED')]: 1,
      [sampleKey('studyclock_rate_limit_rejections_total', { limit: 'operations' })]: 1,
    });
  });

  it('counts a session paused after its student disconnected', async () => {
    const { student, session: { id: sessionId } } = await studentWithSession(t.client());
    const ws = await connect(student);
    const before = await scrape();
    await ws.dispose();
    await eventually(() => t.server.stats().pendingDisconnectPauses === 0 && t.server.stats().openSockets === 0, 5_000, 'the pause');
    const { session } = await student.client.ok(SESSION, { id: sessionId });
    expect(session).toMatchObject({ status: 'PAUSED', pausedReason: 'DISCONNECT' });
    expect(counterChanges(before, await scrape())).toEqual({
      studyclock_disconnect_pauses_total: 1,
      [httpRequests('query session', 'ok')]: 1,
    });
  });

  it('reports the database pool: its size, and for pg its idle and busy connections and waiting queries', async () => {
    const samples = await scrape();
    if (t.db.url) {
      // createTestDatabase opens pools of 25 connections.
      expect(samples.get('studyclock_db_pool_max_connections')).toBe(25);
      const open = samples.get(sampleKey('studyclock_db_pool_connections', { state: 'idle' }))! + samples.get(sampleKey('studyclock_db_pool_connections', { state: 'busy' }))!;
      expect(open).toBeGreaterThanOrEqual(1);
      expect(open).toBeLessThanOrEqual(25);
      expect(samples.get('studyclock_db_pool_waiting_queries')).toBe(0);
    } else {
      // The embedded database: one in-process connection, no breakdown.
      expect(samples.get('studyclock_db_pool_max_connections')).toBe(1);
      expect([...samples.keys()].filter((k) => k.startsWith('studyclock_db_pool_connections') || k.startsWith('studyclock_db_pool_waiting'))).toEqual([]);
    }
  });

  it('reports event-loop delay and the process\'s own series', async () => {
    const samples = await scrape();
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p50_seconds', 'nodejs_eventloop_lag_p99_seconds', 'process_cpu_user_seconds_total', 'process_resident_memory_bytes']) {
      expect([name, Number.isFinite(samples.get(name))]).toEqual([name, true]);
    }
  });
});

describe('the operation label', () => {
  it('is the type and first root field whatever the operation is named, so that clients cannot add series', async () => {
    const before = await scrape();
    const client = t.client();
    for (let i = 0; i < 3; i++) await client.ok(`query Probe${i} { __typename }`);
    for (let i = 0; i < 3; i++) expect((await client.fail(`query Me${i} { me { id } }`)).extensions?.code).toBe('UNAUTHENTICATED');
    expect(counterChanges(before, await scrape())).toEqual({
      [httpRequests('introspection', 'ok')]: 3,
      [httpRequests('query me', 'UNAUTHENTICATED')]: 3,
    });
  });

  it('names the field, not its alias, through fragments, after any meta-field', async () => {
    const before = await scrape();
    const client = t.client();
    for (const query of [
      '{ mine: me { id } }',
      'query { ...Root } fragment Root on Query { me { id } }',
      '{ ... on Query { __typename me { id } } }',
      '{ __schema { queryType { name } } me { id } }',
    ]) {
      expect([query, (await client.fail(query)).extensions?.code]).toEqual([query, 'UNAUTHENTICATED']);
    }
    expect(counterChanges(before, await scrape())).toEqual({ [httpRequests('query me', 'UNAUTHENTICATED')]: 4 });
  });

  it('is "unresolved" for a field the schema does not have', async () => {
    const before = await scrape();
    expect((await t.client().fail('query Invented { invented }')).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(counterChanges(before, await scrape())).toEqual({ [httpRequests('unresolved', 'GRAPHQL_VALIDATION_FAILED')]: 1 });
  });
});

describe('configuration', () => {
  const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };

  function problems(env: Record<string, string>): readonly string[] {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  }

  it('refuses a METRICS_TOKEN shorter than 32 characters in production', () => {
    expect(problems({ ...production, METRICS_TOKEN: 'x'.repeat(31) })).toEqual(['METRICS_TOKEN: must be at least 32 characters when NODE_ENV=production']);
    expect(problems({ ...production, METRICS_TOKEN: 'x'.repeat(32) })).toEqual([]);
  });

  it('accepts a short METRICS_TOKEN in development', () => {
    expect(loadConfig({ METRICS_TOKEN: 'dev' }).METRICS_TOKEN).toBe('dev');
  });

  it('refuses a METRICS_PORT equal to PORT', () => {
    expect(problems({ PORT: '4000', METRICS_PORT: '4000' })).toEqual(['METRICS_PORT: must differ from PORT']);
  });

  it('binds METRICS_PORT to 127.0.0.1 unless METRICS_HOST says otherwise', () => {
    expect(loadConfig({}).METRICS_HOST).toBe('127.0.0.1');
    expect(loadConfig({ METRICS_HOST: '0.0.0.0' }).METRICS_HOST).toBe('0.0.0.0');
  });
});
