import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { snapshotDatabase } from '../support/database.js';
import {
  CREATE_SUBJECT,
  createSubject,
  LOG_IN,
  ME,
  PASSWORD,
  SIGN_UP,
  START_SESSION,
  type Student,
  signUpStudent,
  studentFrom,
  TIMER_UPDATED,
} from '../support/fixtures.js';
import type { AnyOperation, Operation, VariablesAnd } from '../support/graphql-client.js';
import { ManualClock } from '../support/manual-clock.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type CloseInfo, disposeSockets, eventually, openClient, trackSocket, type WsTestClient, wsUrl } from '../support/ws-client.js';

// Connection-level and abuse defences, through the real transports: cross-site WebSocket
// hijacking, connection and operation floods, log-in brute force, bad tokens, slow consumers,
// and the Redis store that lets instances share the counters.
//
// The main server trusts X-Forwarded-For from loopback (TRUST_PROXY), so each test speaks from
// addresses of its own and the per-address counters of one test never reach another; students
// and emails are fresh per test for the same reason. Its limits are small so that a flood is a
// handful of requests.

const ALLOWED_ORIGIN = 'https://app.example.com';
const FOREIGN_ORIGIN = 'https://evil.example';
const LIMITS = {
  WS_CONNECTIONS_PER_IP_PER_MINUTE: 5,
  WS_MAX_SOCKETS_PER_IP: 3,
  WS_MAX_SOCKETS_PER_STUDENT: 2,
  OPERATIONS_PER_CONNECTION_PER_MINUTE: 5,
  OPERATIONS_PER_STUDENT_PER_MINUTE: 8,
  LOGIN_FAILURES_PER_EMAIL: 3,
  LOGIN_FAILURES_PER_IP: 6,
  TOKEN_FAILURES_PER_IP: 3,
};
/** `Retry-After` of a refusal by a cap on open sockets. */
const SOCKET_CAP_RETRY_AFTER = '10';
const RATE_LIMITED_MESSAGE = 'Too many requests; retry later';
const WRONG_PASSWORD = 'wrong horse battery staple';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    env: {
      TRUST_PROXY: 'loopback',
      ALLOWED_ORIGINS: ALLOWED_ORIGIN,
      ...Object.fromEntries(Object.entries(LIMITS).map(([name, value]) => [name, String(value)])),
    },
  });
});
afterAll(() => t.close());

afterEach(async () => {
  await disposeSockets();
  await eventually(() => t.server.stats().openSockets === 0, 5_000, 'every socket closed');
});

let lastAddress = 0;
/** A client address no other test uses (TEST-NET-3 and beyond, as X-Forwarded-For). */
function newAddress(): string {
  lastAddress++;
  return `203.0.${113 + Math.floor(lastAddress / 250)}.${lastAddress % 250}`;
}

interface HttpAnswer<T = Record<string, any>> {
  status: number;
  retryAfter: string | null;
  data: T | null | undefined;
  errors: { message: string; extensions?: Record<string, unknown> }[] | undefined;
}

/** One GraphQL request over HTTP from `address`. */
async function post<T = Record<string, any>, V = Record<string, unknown>>(
  server: TestServer,
  address: string | undefined,
  query: Operation<T, V>,
  ...[variables, token]: VariablesAnd<V, [token?: string]>
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (address) headers['x-forwarded-for'] = address;
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(server.graphqlUrl, { method: 'POST', headers, body: JSON.stringify({ query: String(query), variables: variables ?? {} }) });
  const body = (await res.json()) as { data?: T | null; errors?: HttpAnswer['errors'] };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), data: body.data, errors: body.errors };
}

/** A student signed up from `address` (sign-up counts as an operation of that address). */
async function newStudent(address = newAddress()): Promise<Student> {
  const email = `student-${randomUUID()}@example.com`;
  const answer = await post(t, address, SIGN_UP, { input: { email, password: PASSWORD } });
  if (!answer.data) throw new Error(`sign-up failed: ${JSON.stringify(answer.errors)}`);
  return studentFrom(t.client(), email, answer.data.signUp);
}

/** What an upgrade attempt came to: an open socket, or the HTTP answer that refused it. */
type Upgrade =
  | { opened: true; socket: WebSocket }
  | { opened: false; status: number; retryAfter: string | undefined; body: string };

/** Attempts a `graphql-transport-ws` upgrade with `headers`; an opened socket is closed after the test. */
function upgrade(server: TestServer, headers: Record<string, string>): Promise<Upgrade> {
  const socket = new WebSocket(wsUrl(server.origin), 'graphql-transport-ws', { headers });
  trackSocket(socket);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (result: Upgrade) => {
      settled = true;
      resolve(result);
    };
    socket.once('open', () => settle({ opened: true, socket }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        settle({ opened: false, status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body });
        socket.terminate();
      });
    });
    // Terminating a refused (still connecting) socket reports an error too: expected by then.
    socket.on('error', (err) => {
      if (!settled) reject(err);
    });
  });
}

async function openSocket(server: TestServer, headers: Record<string, string>): Promise<WebSocket> {
  const result = await upgrade(server, headers);
  if (!result.opened) throw new Error(`upgrade refused with ${result.status}`);
  return result.socket;
}

/** A protocol message as it travels on the wire. */
interface Message {
  type: string;
  id?: string;
  payload?: any;
}

/** A raw protocol conversation on an open socket. */
function converse(socket: WebSocket) {
  const messages: Message[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as Message));
  const closed = new Promise<CloseInfo>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const send = (message: Message) => socket.send(JSON.stringify(message));
  return {
    messages,
    closed,
    send,
    /** Sends `connection_init` and resolves with the acknowledgement's payload; fails if the socket closes first. */
    init: async (payload?: Record<string, unknown>): Promise<any> => {
      send({ type: 'connection_init', payload });
      await eventually(() => messages.some((m) => m.type === 'connection_ack') || socket.readyState === WebSocket.CLOSED, 5_000, 'acknowledgement');
      const ack = messages.find((m) => m.type === 'connection_ack');
      if (!ack) throw new Error(`closed without acknowledgement: ${JSON.stringify(await closed)}`);
      return ack.payload;
    },
    /** Runs one operation and resolves with what ends it: its `next` (then `complete`) or its `error`. */
    run: async (query: AnyOperation, variables: Record<string, unknown> = {}): Promise<Message> => {
      const id = randomUUID();
      send({ id, type: 'subscribe', payload: { query: String(query), variables } });
      await eventually(() => messages.some((m) => m.id === id && (m.type === 'complete' || m.type === 'error')), 5_000, `operation ${id}`);
      return messages.find((m) => m.id === id && m.type === 'error') ?? messages.find((m) => m.id === id && m.type === 'next')!;
    },
  };
}

/** A graphql-ws client whose upgrade carries `headers`; disposed after the test. */
function connectWith(server: TestServer, headers: Record<string, string>, token: string): WsTestClient {
  class WithHeaders extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  }
  const client = openClient(wsUrl(server.origin), { webSocketImpl: WithHeaders, connectionParams: { token } });
  return client;
}

/** Security events of the server's log named `event`, optionally narrowed by a field. */
function events(server: TestServer, event: string, where: Record<string, unknown> = {}) {
  return server.logs.filter((l) => l.security === true && l.event === event && Object.entries(where).every(([k, v]) => l[k] === v));
}

const rateLimitedBody = (retryAfterSeconds: number) => ({
  errors: [{ message: RATE_LIMITED_MESSAGE, extensions: { code: 'RATE_LIMITED', retryAfterSeconds } }],
});

describe('cross-site WebSocket hijacking', () => {
  it('refuses with 403, before any socket exists, an upgrade carrying the access cookie from an origin not allowed', async () => {
    const student = await newStudent();
    const before = t.server.securityCounters().originsRefused;
    const result = await upgrade(t, { origin: FOREIGN_ORIGIN, cookie: `studyclock_access=${student.accessToken}`, 'x-forwarded-for': newAddress() });
    expect(result).toEqual({ opened: false, status: 403, retryAfter: undefined, body: '' });
    expect(t.server.stats().openSockets).toBe(0);
    expect(t.server.securityCounters().originsRefused).toBe(before + 1);
    expect(events(t, 'ws.origin_refused', { origin: FOREIGN_ORIGIN })).toHaveLength(1);
  });

  it('accepts the access cookie from an allowed origin', async () => {
    const student = await newStudent();
    const socket = await openSocket(t, { origin: ALLOWED_ORIGIN, cookie: `studyclock_access=${student.accessToken}`, 'x-forwarded-for': newAddress() });
    await expect(converse(socket).init()).resolves.toMatchObject({ userId: student.userId });
  });

  it('accepts a token in connectionParams from a foreign origin when the upgrade carries no cookie', async () => {
    const student = await newStudent();
    const socket = await openSocket(t, { origin: FOREIGN_ORIGIN, 'x-forwarded-for': newAddress() });
    await expect(converse(socket).init({ token: student.accessToken })).resolves.toMatchObject({ userId: student.userId });
  });

  it('accepts a client without an Origin that sends its token in connectionParams', async () => {
    const student = await newStudent();
    const socket = await openSocket(t, { 'x-forwarded-for': newAddress() });
    await expect(converse(socket).init({ token: student.accessToken })).resolves.toMatchObject({ userId: student.userId });
  });
});

describe('connection floods', () => {
  it('answers 429 with Retry-After once an address has attempted WS_CONNECTIONS_PER_IP_PER_MINUTE upgrades', async () => {
    const address = newAddress();
    for (let i = 0; i < LIMITS.WS_CONNECTIONS_PER_IP_PER_MINUTE; i++) {
      const socket = await openSocket(t, { 'x-forwarded-for': address });
      socket.terminate();
      await eventually(() => t.server.stats().openSockets === 0, 5_000, 'the socket closed');
    }
    const refused = await upgrade(t, { 'x-forwarded-for': address });
    const again = await upgrade(t, { 'x-forwarded-for': address });
    for (const result of [refused, again]) {
      if (result.opened) throw new Error('an upgrade beyond the limit was accepted');
      expect(result.status).toBe(429);
      const retryAfterSeconds = Number(result.retryAfter);
      expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(JSON.parse(result.body)).toEqual(rateLimitedBody(retryAfterSeconds));
    }
    // Logged once for the window; every refusal counted.
    expect(events(t, 'ws.upgrade_refused', { ip: address, reason: 'connection_attempts' })).toHaveLength(1);
    await expect(upgrade(t, { 'x-forwarded-for': newAddress() })).resolves.toMatchObject({ opened: true });
  });

  it('caps the open sockets of an address at WS_MAX_SOCKETS_PER_IP and frees a place when one closes', async () => {
    const address = newAddress();
    const open: WebSocket[] = [];
    for (let i = 0; i < LIMITS.WS_MAX_SOCKETS_PER_IP; i++) open.push(await openSocket(t, { 'x-forwarded-for': address }));
    await expect(upgrade(t, { 'x-forwarded-for': address })).resolves.toMatchObject({ opened: false, status: 429, retryAfter: SOCKET_CAP_RETRY_AFTER });
    expect(events(t, 'ws.upgrade_refused', { ip: address, reason: 'sockets_per_address' })).toHaveLength(1);

    open[0]!.terminate();
    await eventually(() => t.server.stats().openSockets === LIMITS.WS_MAX_SOCKETS_PER_IP - 1, 5_000, 'a socket closed');
    await expect(upgrade(t, { 'x-forwarded-for': address })).resolves.toMatchObject({ opened: true });
  });

  it('caps the sockets of a student at the upgrade when the upgrade carries the token', async () => {
    const student = await newStudent();
    const headers = { authorization: `Bearer ${student.accessToken}`, 'x-forwarded-for': newAddress() };
    for (let i = 0; i < LIMITS.WS_MAX_SOCKETS_PER_STUDENT; i++) {
      await expect(converse(await openSocket(t, headers)).init()).resolves.toMatchObject({ userId: student.userId });
    }
    await expect(upgrade(t, headers)).resolves.toMatchObject({ opened: false, status: 429, retryAfter: SOCKET_CAP_RETRY_AFTER });
    expect(events(t, 'ws.upgrade_refused', { userId: student.userId, reason: 'sockets_per_student' })).toHaveLength(1);
    // Another student from the same address is not concerned.
    const other = await newStudent();
    const socket = await openSocket(t, { authorization: `Bearer ${other.accessToken}`, 'x-forwarded-for': headers['x-forwarded-for'] });
    await expect(converse(socket).init()).resolves.toMatchObject({ userId: other.userId });
  });

  it('closes with 1013 "Too many connections" at connection_init a socket beyond WS_MAX_SOCKETS_PER_STUDENT whose token is in connectionParams', async () => {
    const student = await newStudent();
    const headers = { 'x-forwarded-for': newAddress() };
    const first = connectWith(t, headers, student.accessToken);
    const second = connectWith(t, headers, student.accessToken);
    await Promise.all([first.connected, second.connected]);
    const before = t.server.securityCounters().connectionsRefused;

    const third = connectWith(t, headers, student.accessToken);
    await expect(third.connected).rejects.toMatchObject({ code: 1013, reason: 'Too many connections' });
    expect(third.acks).toEqual([]);
    expect(t.server.securityCounters().connectionsRefused).toBe(before + 1);
    expect(events(t, 'ws.connection_rejected', { userId: student.userId, reason: 'too_many_connections' })).toHaveLength(1);

    await first.dispose();
    await eventually(() => t.server.stats().authenticatedConnections === 1, 5_000, 'a socket of the student closed');
    await expect(connectWith(t, headers, student.accessToken).connected).resolves.toMatchObject({ userId: student.userId });
  });
});

describe('operation floods', () => {
  it('answers 429 RATE_LIMITED with Retry-After to HTTP operations beyond OPERATIONS_PER_CONNECTION_PER_MINUTE for an address; no resolver runs', async () => {
    const address = newAddress();
    const student = await newStudent(address);
    for (let i = 1; i < LIMITS.OPERATIONS_PER_CONNECTION_PER_MINUTE; i++) {
      expect((await post(t, address, ME, {}, student.accessToken)).errors).toBeUndefined();
    }
    const before = await snapshotDatabase(t.db.handle.db);
    const refused = await post(t, address, CREATE_SUBJECT, { name: 'Flood' }, student.accessToken);
    expect(refused.status).toBe(429);
    const retryAfterSeconds = Number(refused.retryAfter);
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(retryAfterSeconds).toBeLessThanOrEqual(60);
    expect({ data: refused.data, errors: refused.errors }).toEqual({ data: undefined, ...rateLimitedBody(retryAfterSeconds) });
    expect(await snapshotDatabase(t.db.handle.db)).toEqual(before);
    expect(events(t, 'rate_limit.exceeded', { ip: address, limit: 'operations_per_connection' })).toHaveLength(1);

    // The address was limited, not the student.
    expect((await post(t, newAddress(), CREATE_SUBJECT, { name: 'Elsewhere' }, student.accessToken)).errors).toBeUndefined();
  });

  it('answers RATE_LIMITED to operations beyond OPERATIONS_PER_CONNECTION_PER_MINUTE on one socket; no resolver runs and the socket stays open', async () => {
    const student = await newStudent();
    const address = newAddress();
    const socket = await openSocket(t, { 'x-forwarded-for': address });
    const conversation = converse(socket);
    await conversation.init({ token: student.accessToken });
    for (let i = 0; i < LIMITS.OPERATIONS_PER_CONNECTION_PER_MINUTE; i++) {
      expect(await conversation.run(ME)).toMatchObject({ type: 'next', payload: { data: { me: { id: student.userId } } } });
    }
    const before = await snapshotDatabase(t.db.handle.db);
    const refused = await conversation.run(CREATE_SUBJECT, { name: 'Flood' });
    expect(refused.type).toBe('error');
    const retryAfterSeconds = refused.payload[0].extensions.retryAfterSeconds;
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(refused.payload).toEqual(rateLimitedBody(retryAfterSeconds).errors);
    expect(await snapshotDatabase(t.db.handle.db)).toEqual(before);
    expect(socket.readyState).toBe(WebSocket.OPEN);

    // A socket of its own has a budget of its own.
    const fresh = converse(await openSocket(t, { 'x-forwarded-for': address }));
    await fresh.init({ token: student.accessToken });
    expect(await fresh.run(ME)).toMatchObject({ type: 'next' });
  });

  it('counts a student’s operations over HTTP and WebSocket together against OPERATIONS_PER_STUDENT_PER_MINUTE', async () => {
    const student = await newStudent();
    const overHttp = 4;
    for (let i = 0; i < overHttp; i++) expect((await post(t, newAddress(), ME, {}, student.accessToken)).errors).toBeUndefined();
    const conversation = converse(await openSocket(t, { 'x-forwarded-for': newAddress() }));
    await conversation.init({ token: student.accessToken });
    for (let i = overHttp; i < LIMITS.OPERATIONS_PER_STUDENT_PER_MINUTE; i++) {
      expect(await conversation.run(ME)).toMatchObject({ type: 'next' });
    }
    const before = await snapshotDatabase(t.db.handle.db);

    // Within the socket's own budget (5), beyond the student's (8).
    const overSocket = await conversation.run(CREATE_SUBJECT, { name: 'Flood' });
    expect(overSocket).toMatchObject({ type: 'error', payload: [{ message: RATE_LIMITED_MESSAGE, extensions: { code: 'RATE_LIMITED' } }] });
    const overHttpAnswer = await post(t, newAddress(), CREATE_SUBJECT, { name: 'Flood' }, student.accessToken);
    expect(overHttpAnswer.status).toBe(429);
    const retryAfterSeconds = Number(overHttpAnswer.retryAfter);
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(overHttpAnswer.errors).toEqual(rateLimitedBody(retryAfterSeconds).errors);
    expect(await snapshotDatabase(t.db.handle.db)).toEqual(before);
    expect(events(t, 'rate_limit.exceeded', { userId: student.userId, limit: 'operations_per_student' })).toHaveLength(1);
  });
});

describe('log-in brute force', () => {
  // A server of its own: a log-in costs an operation of its address, and the main server's
  // operation limit would refuse these before the log-in limits had a say.
  let login: TestServer;
  beforeAll(async () => {
    login = await startTestServer({
      env: {
        TRUST_PROXY: 'loopback',
        LOGIN_FAILURES_PER_EMAIL: String(LIMITS.LOGIN_FAILURES_PER_EMAIL),
        LOGIN_FAILURES_PER_IP: String(LIMITS.LOGIN_FAILURES_PER_IP),
      },
    });
  });
  afterAll(() => login.close());
  const logIn = (address: string, email: string, password: string) => post(login, address, LOG_IN, { input: { email, password } });
  const newStudent = () => signUpStudent(login.client());
  const codeOf = (answer: HttpAnswer) => answer.errors?.[0]?.extensions?.code ?? 'OK';

  it('refuses an email after LOGIN_FAILURES_PER_EMAIL failures, even with the right password, for a delay that grows', async () => {
    const student = await newStudent();
    const address = newAddress();
    for (let i = 0; i < LIMITS.LOGIN_FAILURES_PER_EMAIL; i++) expect(codeOf(await logIn(address, student.email, WRONG_PASSWORD))).toBe('INVALID_CREDENTIALS');

    const first = await logIn(address, student.email, PASSWORD);
    expect(first).toEqual({ status: 200, retryAfter: '1', data: null, errors: [{ ...rateLimitedBody(1).errors[0], path: ['logIn'], locations: expect.any(Array) }] });

    await sleep(1_100);
    expect(codeOf(await logIn(address, student.email, WRONG_PASSWORD))).toBe('INVALID_CREDENTIALS');
    const second = await logIn(address, student.email, PASSWORD);
    expect(second.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 2 });
    expect(second.retryAfter).toBe('2');

    const throttled = events(login, 'auth.login_throttled', { ip: address });
    expect(throttled).toEqual([
      expect.objectContaining({ limit: 'email', retryAfterSeconds: 1, emailHash: expect.any(String) }),
      expect.objectContaining({ limit: 'email', retryAfterSeconds: 2, emailHash: throttled[0]!.emailHash }),
    ]);
    expect(login.rawLogs()).not.toContain(PASSWORD);
    expect(login.rawLogs()).not.toContain(WRONG_PASSWORD);
    expect(login.rawLogs()).not.toContain(student.email);
  });

  it('leaves other emails alone, and a successful log-in clears the email’s failures', async () => {
    const [attacked, bystander] = [await newStudent(), await newStudent()];
    const address = newAddress();
    for (let i = 0; i < LIMITS.LOGIN_FAILURES_PER_EMAIL; i++) await logIn(address, attacked.email, WRONG_PASSWORD);
    expect(codeOf(await logIn(address, attacked.email, PASSWORD))).toBe('RATE_LIMITED');
    expect(codeOf(await logIn(address, bystander.email, PASSWORD))).toBe('OK');

    await sleep(1_100);
    expect(codeOf(await logIn(address, attacked.email, PASSWORD))).toBe('OK');
    // Without the reset, the first of these would open a 2-second delay and the second be refused.
    expect(codeOf(await logIn(address, attacked.email, WRONG_PASSWORD))).toBe('INVALID_CREDENTIALS');
    expect(codeOf(await logIn(address, attacked.email, WRONG_PASSWORD))).toBe('INVALID_CREDENTIALS');
  });

  it('refuses an address after LOGIN_FAILURES_PER_IP failures, whichever emails they were for', async () => {
    const student = await newStudent();
    const address = newAddress();
    const before = login.server.securityCounters();
    for (let i = 0; i < LIMITS.LOGIN_FAILURES_PER_IP; i++) {
      expect(codeOf(await logIn(address, `nobody-${randomUUID()}@example.com`, WRONG_PASSWORD))).toBe('INVALID_CREDENTIALS');
    }
    const refused = await logIn(address, student.email, PASSWORD);
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    expect(events(login, 'auth.login_throttled', { ip: address, limit: 'address' })).toHaveLength(1);
    expect(login.server.securityCounters()).toMatchObject({
      loginFailures: before.loginFailures + LIMITS.LOGIN_FAILURES_PER_IP,
      loginsRefused: before.loginsRefused + 1,
    });
    expect(codeOf(await logIn(newAddress(), student.email, PASSWORD))).toBe('OK');
  });

  it('lets no more than LOGIN_FAILURES_PER_EMAIL guesses through when they arrive all at once', async () => {
    const student = await newStudent();
    const answers = await Promise.all(Array.from({ length: 10 }, () => logIn(newAddress(), student.email, WRONG_PASSWORD)));
    const codes = answers.map(codeOf).sort();
    expect(codes).toEqual([...Array(3).fill('INVALID_CREDENTIALS'), ...Array(7).fill('RATE_LIMITED')]);
  });
});

describe('bad tokens', () => {
  it('refuses an address, over both transports, once it has presented TOKEN_FAILURES_PER_IP bad tokens over either', async () => {
    const address = newAddress();
    const before = t.server.securityCounters();
    for (let i = 0; i < LIMITS.TOKEN_FAILURES_PER_IP - 1; i++) {
      expect((await post(t, address, ME, {}, 'not-a-token')).errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'malformed' });
    }
    const socket = converse(await openSocket(t, { 'x-forwarded-for': address }));
    socket.send({ type: 'connection_init', payload: { token: 'not-a-token' } });
    expect(await socket.closed).toEqual({ code: 4403, reason: 'Malformed token' });

    // Refused now, with or without a token, valid or not.
    const student = await newStudent();
    const overHttp = await post(t, address, ME, {}, student.accessToken);
    expect(overHttp.status).toBe(429);
    expect({ errors: overHttp.errors }).toEqual(rateLimitedBody(Number(overHttp.retryAfter)));
    const overWs = await upgrade(t, { 'x-forwarded-for': address, authorization: `Bearer ${student.accessToken}` });
    expect(overWs).toMatchObject({ opened: false, status: 429 });

    expect(t.server.securityCounters()).toMatchObject({
      tokenFailures: before.tokenFailures + LIMITS.TOKEN_FAILURES_PER_IP,
      addressesRefused: before.addressesRefused + 2,
    });
    expect(events(t, 'rate_limit.exceeded', { ip: address, limit: 'token_failures_per_address' })).toHaveLength(1);
    expect((await post(t, newAddress(), ME, {}, student.accessToken)).errors).toBeUndefined();
  });
});

describe('slow consumers', () => {
  let slow: TestServer;
  beforeAll(async () => {
    slow = await startTestServer({
      // A running clock, so that the subscription ticks; a short grace, so that presence lets go soon after.
      clock: new ManualClock({ running: true }),
      env: { WS_MAX_BUFFERED_BYTES: '1024', DISCONNECT_GRACE_SECONDS: '0.2', WS_MAX_OPERATIONS: '10000' },
    });
  });
  afterAll(() => slow.close());

  it('closes a socket that stops reading with 1013 "Slow consumer", and holds nothing afterwards', async () => {
    const student = await signUpStudent(slow.client());
    const subjectId = await createSubject(student);
    const { startSession } = await student.client.ok(START_SESSION, { input: { subjectId, type: 'FREE' } });
    const socket = await openSocket(slow, {});
    const conversation = converse(socket);
    await conversation.init({ token: student.accessToken });
    const subscription = 'timer';
    conversation.send({
      id: subscription,
      type: 'subscribe',
      payload: { query: String(TIMER_UPDATED), variables: { id: startSession.id } },
    });
    await eventually(() => conversation.messages.some((m) => m.id === subscription && m.type === 'next'), 5_000, 'the first tick');

    // The client stops reading. Loopback's kernel buffers take megabytes before anything stays
    // in the server's own, more than ticks fill in a test's time: queries whose errors echo a
    // 60 kB field name add the volume.
    (socket as unknown as { _socket: Socket })._socket.pause();
    const echo = `{ ${'x'.repeat(60_000)} }`;
    let sent = 0;
    const flood = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return;
      for (let i = 0; i < 2; i++) conversation.send({ id: `echo-${sent++}`, type: 'subscribe', payload: { query: echo } });
    }, 10);
    try {
      await eventually(() => events(slow, 'ws.slow_consumer').length > 0, 20_000, 'the server to give up on the client');
    } finally {
      clearInterval(flood);
    }
    const [event] = events(slow, 'ws.slow_consumer');
    expect(event).toMatchObject({ userId: student.userId, bufferedBytes: expect.any(Number) });
    expect(event!.bufferedBytes as number).toBeGreaterThan(1024);
    expect(slow.server.securityCounters().slowConsumersClosed).toBe(1);

    // Reading again, the client finds the close frame behind what it had left unread.
    (socket as unknown as { _socket: Socket })._socket.resume();
    expect(await conversation.closed).toEqual({ code: 1013, reason: 'Slow consumer' });
    await eventually(() => Object.values(slow.server.stats()).every((n) => n === 0), 5_000, 'every count back to zero');
  });
});

describe('the Redis store', () => {
  const prefix = `studyclock-test-${randomUUID()}:`;
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    await redis.connect();
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: prefix, OPERATIONS_PER_CONNECTION_PER_MINUTE: '3', TRUST_PROXY: 'loopback' };
    // One after the other: an embedded database starting blocks the event loop for seconds,
    // long enough for the other server's Redis connect timeout to fire, and that server would
    // then count in memory until its client reconnects (the designed fallback, not under test).
    a = await startTestServer({ env });
    b = await startTestServer({ env });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('shares the counters of every instance', async () => {
    const typename = '{ __typename }';
    expect((await post(a, undefined, typename)).data).toEqual({ __typename: 'Query' });
    expect((await post(b, undefined, typename)).data).toEqual({ __typename: 'Query' });
    expect((await post(a, undefined, typename)).data).toEqual({ __typename: 'Query' });
    // The fourth operation of 127.0.0.1 this minute, though only the second on this instance.
    const refused = await post(b, undefined, typename);
    expect(refused.status).toBe(429);
    expect(refused.errors).toEqual(rateLimitedBody(Number(refused.retryAfter)).errors);

    const key = `${prefix}operations:address:127.0.0.1`;
    expect(await redis.keys(`${prefix}*`)).toEqual([key]);
    expect(await redis.get(key)).toBe('4');
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('keeps a socket’s own operation count with the socket: no Redis key, and the limit still holds', async () => {
    const email = `student-${randomUUID()}@example.com`;
    const signUp = await post(a, newAddress(), SIGN_UP, { input: { email, password: PASSWORD } });
    const student = studentFrom(a.client(), email, signUp.data!.signUp);
    const conversation = converse(await openSocket(a, { 'x-forwarded-for': newAddress() }));
    await conversation.init({ token: student.accessToken });
    // After the upgrade (its address's attempts are a key of their own): what the operations add.
    const before = new Set(await redis.keys(`${prefix}*`));
    for (let i = 0; i < 3; i++) expect(await conversation.run(ME)).toMatchObject({ type: 'next', payload: { data: { me: { id: student.userId } } } });
    const refused = await conversation.run(ME);
    expect(refused.payload).toEqual(rateLimitedBody(refused.payload[0].extensions.retryAfterSeconds).errors);
    // The student's count is shared (every instance sees it); the socket's is not a key at all.
    const added = (await redis.keys(`${prefix}*`)).filter((k) => !before.has(k));
    expect(added).toEqual([`${prefix}student-operations:${student.userId}`]);
    // Refused by the socket's limit, checked first, the fourth never reached the student's.
    expect(await redis.get(added[0]!)).toBe('3');
  });
});
