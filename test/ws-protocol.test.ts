import { setTimeout as delay } from 'node:timers/promises';
import { CloseCodes } from '../src/ws/close-codes.js';
import WebSocket, { type ClientOptions } from 'ws';
import { createSubject, ME, signUpStudent, START_SESSION, type Student, studentWithSession, TIMER_UPDATED } from './support/fixtures.js';
import { type AnyOperation, GraphQLTestClient } from './support/graphql-client.js';
import { ManualClock } from './support/manual-clock.js';
import { startTestServer, type TestServer } from './support/server.js';
import { type ServerProcess, startServerProcess, stopServerProcesses } from './support/server-process.js';
import { disposeSockets, type CloseInfo, collect, eventually, openClient, trackSocket, wsUrl } from './support/ws-client.js';

// The graphql-transport-ws protocol as studyclock speaks it, seen from raw `ws` sockets that
// send hand-written messages: what closes a socket (and with which code and reason), what only
// fails one operation, and the limits on messages, operations, extensions and paths.
// One server for the file (running clock, fast ticks, at most 3 operations per socket); every
// test signs up its own student. Graceful shutdown and a database outage get servers of their own.

const MAX_OPERATIONS = 3;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    env: { TICK_INTERVAL_MS: '100', WS_MAX_OPERATIONS: String(MAX_OPERATIONS) },
    clock: new ManualClock({ running: true }),
  });
});
afterAll(() => t.close());

/** A protocol message as it travels on the wire. */
interface Message {
  type: string;
  id?: string;
  payload?: any;
}

/** A raw socket with everything it received recorded. */
interface RawSocket {
  socket: WebSocket;
  messages: Message[];
  /** Resolves when the socket is open; rejects with the error if the upgrade fails. */
  opened: Promise<void>;
  closed: Promise<CloseInfo>;
  /** The close, and `Date.now()` when it arrived; undefined while open. */
  closedWith: (CloseInfo & { at: number }) | undefined;
  send(message: unknown): void;
  /** Resolves with the first message (already received or to come) matching `predicate`. */
  waitFor(predicate: (m: Message) => boolean, what?: string, timeoutMs?: number): Promise<Message>;
}

afterEach(disposeSockets);

/** Opens a raw socket offering `subprotocol` (none at all when null). */
function openRaw(url: string, options: { subprotocol?: string | string[] | null } & ClientOptions = {}): RawSocket {
  const { subprotocol = 'graphql-transport-ws', ...wsOptions } = options;
  const socket = subprotocol === null ? new WebSocket(url, wsOptions) : new WebSocket(url, subprotocol, wsOptions);
  trackSocket(socket);
  const messages: Message[] = [];
  let waiters: { predicate: (m: Message) => boolean; resolve: (m: Message) => void; reject: (e: Error) => void }[] = [];
  const raw: RawSocket = {
    socket,
    messages,
    opened: new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    }),
    closed: new Promise((resolve) =>
      socket.once('close', (code, reason) => {
        raw.closedWith = { code, reason: reason.toString(), at: Date.now() };
        resolve({ code, reason: reason.toString() });
        const pending = waiters;
        waiters = [];
        pending.forEach((w) => w.reject(new Error(`socket closed ${code} ${reason.toString()} while waiting`)));
      }),
    ),
    closedWith: undefined,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    waitFor: (predicate, what = 'message', timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const found = messages.find(predicate);
        if (found) return resolve(found);
        if (raw.closedWith) return reject(new Error(`socket closed ${raw.closedWith.code} before ${what}`));
        const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          predicate,
          resolve: (m) => (clearTimeout(timer), resolve(m)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
      }),
  };
  raw.opened.catch(() => {});
  // Without a listener an 'error' event (a refused upgrade) would be thrown.
  socket.on('error', () => {});
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Message;
    messages.push(message);
    waiters = waiters.filter((w) => (w.predicate(message) ? (w.resolve(message), false) : true));
  });
  return raw;
}

/** A raw socket on `server` that has been acknowledged for `student`. */
async function connectRaw(student: Pick<Student, 'accessToken'>, server: Pick<TestServer, 'origin'> = t): Promise<RawSocket> {
  const raw = openRaw(wsUrl(server.origin));
  await raw.opened;
  raw.send({ type: 'connection_init', payload: { token: student.accessToken } });
  await raw.waitFor((m) => m.type === 'connection_ack', 'connection_ack');
  return raw;
}

const isNext = (id: string) => (m: Message) => m.type === 'next' && m.id === id;
const isError = (id: string) => (m: Message) => m.type === 'error' && m.id === id;
const nextsFor = (raw: RawSocket, id: string) => raw.messages.filter(isNext(id));

function subscribe(raw: RawSocket, id: string, query: AnyOperation, variables?: Record<string, unknown>, operationName?: string): void {
  raw.send({ id, type: 'subscribe', payload: { query: String(query), ...(variables && { variables }), ...(operationName && { operationName }) } });
}

/** A student with a FREE session that is RUNNING, and that session's id. */
async function studentWithRunningSession(server: TestServer = t): Promise<{ student: Student; sessionId: string }> {
  const student = await signUpStudent(server.client());
  const subjectId = await createSubject(student);
  const data = await student.client.ok(START_SESSION, { input: { subjectId, type: 'FREE' } });
  return { student, sessionId: data.startSession.id };
}

/** Runs `me` on an acknowledged socket and asserts it answers: the socket is still usable. */
async function expectUsable(raw: RawSocket, student: Student, id = 'me-check'): Promise<void> {
  subscribe(raw, id, ME);
  const next = await raw.waitFor(isNext(id), `next for ${id}`);
  expect(next.payload).toEqual({ data: { me: { id: student.userId, email: student.email } } });
  await raw.waitFor((m) => m.type === 'complete' && m.id === id, `complete for ${id}`);
  expect(raw.closedWith).toBeUndefined();
}

describe('connection initialisation', () => {
  it('closes with 4408 when no connection_init arrives within 3 seconds', async () => {
    const raw = openRaw(wsUrl(t.origin));
    await raw.opened;
    const openedAt = Date.now();
    expect(await raw.closed).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
    const waited = raw.closedWith!.at - openedAt;
    expect(waited).toBeGreaterThanOrEqual(2_900);
    expect(waited).toBeLessThan(4_000);
    expect(raw.messages).toEqual([]);
  });

  it('keeps a socket whose connection_init came within the wait open past it', async () => {
    const student = await signUpStudent(t.client());
    const raw = openRaw(wsUrl(t.origin));
    await raw.opened;
    await delay(2_000);
    raw.send({ type: 'connection_init', payload: { token: student.accessToken } });
    await raw.waitFor((m) => m.type === 'connection_ack', 'connection_ack');
    // Past the 3 s the socket had for connection_init.
    await delay(2_000);
    await expectUsable(raw, student);
  });

  it('closes with 4429 on a second connection_init', async () => {
    const student = await signUpStudent(t.client());
    const raw = await connectRaw(student);
    raw.send({ type: 'connection_init', payload: { token: student.accessToken } });
    expect(await raw.closed).toEqual({ code: 4429, reason: 'Too many initialisation requests' });
    expect(raw.messages.map((m) => m.type)).toEqual(['connection_ack']);
  });

  it('closes with 4401 on a subscribe before the connection is acknowledged', async () => {
    const raw = openRaw(wsUrl(t.origin));
    await raw.opened;
    subscribe(raw, '1', ME);
    expect(await raw.closed).toEqual({ code: 4401, reason: 'Unauthorized' });
    expect(raw.messages).toEqual([]);
  });
});

/** Well-formed messages of the types only a server sends: graphql-ws 6 validates them from a client, then has no case for them. */
const SERVER_ONLY_MESSAGES = [
  { type: 'connection_ack' },
  { id: '1', type: 'next', payload: { data: { me: null } } },
  { id: '1', type: 'error', payload: [{ message: 'forged' }] },
];

describe('malformed messages', () => {
  it('closes with 4400 on a message that is not JSON', async () => {
    const raw = await connectRaw(await signUpStudent(t.client()));
    raw.send('{"type": "subscribe", ');
    expect(await raw.closed).toEqual({ code: 4400, reason: 'Invalid message received' });
  });

  it('closes with 4400 on a message of an unknown type', async () => {
    const raw = await connectRaw(await signUpStudent(t.client()));
    raw.send({ type: 'start', id: '1', payload: { query: String(ME) } });
    expect(await raw.closed).toEqual({ code: 4400, reason: 'Invalid message received' });
  });

  it.each(SERVER_ONLY_MESSAGES.flatMap((message) => (['before', 'after'] as const).map((when) => ({ type: message.type, when, message }))))(
    'closes with 4400 on a well-formed $type, a message only a server sends, $when connection_init',
    async ({ when, message }) => {
      const raw = when === 'before' ? openRaw(wsUrl(t.origin)) : await connectRaw(await signUpStudent(t.client()));
      await raw.opened;
      raw.send(message);
      expect(await raw.closed).toEqual({ code: 4400, reason: 'Invalid message received' });
      expect(raw.messages.map((m) => m.type)).toEqual(when === 'before' ? [] : ['connection_ack']);
    },
  );
});

describe('operation ids', () => {
  it('closes with 4409 when an operation id is reused while the first operation is active', async () => {
    const { student, sessionId } = await studentWithRunningSession();
    const raw = await connectRaw(student);
    subscribe(raw, 'timer', TIMER_UPDATED, { id: sessionId });
    await raw.waitFor(isNext('timer'), 'first timer update');
    subscribe(raw, 'timer', TIMER_UPDATED, { id: sessionId });
    expect(await raw.closed).toEqual({ code: 4409, reason: 'Subscriber for timer already exists' });
  });

  // "Subscriber for " and " already exists" take 30 of the 123 bytes a close reason may have.
  it.each([
    { bytes: 93, id: 'a'.repeat(93), reason: `Subscriber for ${'a'.repeat(93)} already exists` },
    { bytes: 94, id: 'b'.repeat(94), reason: `Subscriber for ${'b'.repeat(94)} already ex…` },
    { bytes: 120, id: '🕐'.repeat(30), reason: `Subscriber for ${'🕐'.repeat(26)}…` },
    { bytes: 500, id: 'é'.repeat(250), reason: `Subscriber for ${'é'.repeat(52)}…` },
  ])('closes with 4409 when an operation id of $bytes bytes is reused, the reason within 123 bytes and cut between characters', async ({ bytes, id, reason }) => {
    expect(Buffer.byteLength(id)).toBe(bytes);
    const { student, sessionId } = await studentWithRunningSession();
    const raw = await connectRaw(student);
    subscribe(raw, id, TIMER_UPDATED, { id: sessionId });
    await raw.waitFor(isNext(id), 'first timer update');
    subscribe(raw, id, TIMER_UPDATED, { id: sessionId });
    const closed = await raw.closed;
    expect(closed).toEqual({ code: 4409, reason });
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
  });
});

describe('the rest of the protocol', () => {
  it('answers ping with pong, with the ping\'s payload when it has one, before and after connection_init', async () => {
    const raw = openRaw(wsUrl(t.origin));
    await raw.opened;
    raw.send({ type: 'ping' });
    await raw.waitFor((m) => m.type === 'pong', 'pong');
    raw.send({ type: 'connection_init', payload: { token: (await signUpStudent(t.client())).accessToken } });
    await raw.waitFor((m) => m.type === 'connection_ack', 'connection_ack');
    raw.send({ type: 'ping', payload: { sentAt: 42 } });
    await raw.waitFor((m) => m.type === 'pong' && m.payload !== undefined, 'pong with a payload');
    raw.send({ type: 'pong', payload: { unasked: true } });
    expect(raw.messages).toEqual([{ type: 'pong' }, expect.objectContaining({ type: 'connection_ack' }), { type: 'pong', payload: { sentAt: 42 } }]);
  });

  it('never starts a subscription completed while it was being admitted, and lets its id be used again', async () => {
    const { student, sessionId } = await studentWithRunningSession();
    const raw = await connectRaw(student);
    // Back to back: the complete arrives while the subscribe waits for its ownership check.
    subscribe(raw, 'timer', TIMER_UPDATED, { id: sessionId });
    raw.send({ id: 'timer', type: 'complete' });
    await expectUsable(raw, student);
    // Ticks every 100 ms: a subscription that had started would have sent frames by now.
    await delay(300);
    expect(nextsFor(raw, 'timer')).toEqual([]);
    await eventually(() => t.server.stats().tickerRegistrations === 0, 5_000, 'no tick registration left');
    subscribe(raw, 'timer', TIMER_UPDATED, { id: sessionId });
    const first = await raw.waitFor(isNext('timer'), 'first timer update of the second subscribe');
    expect(first.payload.data.timerUpdated).toMatchObject({ sessionId, status: 'RUNNING' });
    raw.send({ id: 'timer', type: 'complete' });
    await eventually(() => t.server.stats().tickerRegistrations === 0, 5_000, 'the registration released by complete');
    expect(raw.closedWith).toBeUndefined();
  });
});

const UNKNOWN_OPERATION = { query: 'query A { me { id } } query B { me { email } }', operationName: 'C' };

describe('errors that fail one operation and keep the socket', () => {
  let student: Student;
  let raw: RawSocket;
  beforeEach(async () => {
    student = await signUpStudent(t.client());
    raw = await connectRaw(student);
  });

  it('answers a syntax error with an error message coded GRAPHQL_PARSE_FAILED', async () => {
    subscribe(raw, 'bad', 'query { me { id }');
    const error = await raw.waitFor(isError('bad'), 'error for bad');
    expect(error.payload).toEqual([
      { message: 'Syntax Error: Expected Name, found <EOF>.', locations: [{ line: 1, column: 18 }], extensions: { code: 'GRAPHQL_PARSE_FAILED' } },
    ]);
    await expectUsable(raw, student);
  });

  it('answers an unknown field with an error message coded GRAPHQL_VALIDATION_FAILED', async () => {
    subscribe(raw, 'bad', 'query { me { id shoeSize } }');
    const error = await raw.waitFor(isError('bad'), 'error for bad');
    expect(error.payload).toEqual([
      {
        message: 'Cannot query field "shoeSize" on type "User".',
        locations: [{ line: 1, column: 17 }],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      },
    ]);
    await expectUsable(raw, student);
  });

  it('answers an operationName the document does not contain with an error message', async () => {
    subscribe(raw, 'bad', UNKNOWN_OPERATION.query, undefined, UNKNOWN_OPERATION.operationName);
    const error = await raw.waitFor(isError('bad'), 'error for bad');
    expect(error.payload).toEqual([{ message: expect.any(String), extensions: { code: expect.any(String) } }]);
    expect(nextsFor(raw, 'bad')).toEqual([]);
    await expectUsable(raw, student);
  });

  // HTTP answers OPERATION_RESOLUTION_FAILURE; over the socket graphql-ws's code-less "Unable to
  // identify operation" reaches formatError, which labels every code-less GraphQLError BAD_USER_INPUT.
  it('codes an unknown operationName as HTTP does (OPERATION_RESOLUTION_FAILURE)', async () => {
    subscribe(raw, 'bad', UNKNOWN_OPERATION.query, undefined, UNKNOWN_OPERATION.operationName);
    const error = await raw.waitFor(isError('bad'), 'error for bad');
    const overHttp = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${student.accessToken}` },
      body: JSON.stringify(UNKNOWN_OPERATION),
    });
    const httpBody = (await overHttp.json()) as { errors: { extensions: { code: string } }[] };
    expect(httpBody.errors.map((e) => e.extensions.code)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    expect(error.payload.map((e: any) => e.extensions.code)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
  });
});

describe('operations per socket', () => {
  it(`refuses operations beyond WS_MAX_OPERATIONS (${MAX_OPERATIONS}) with TOO_MANY_OPERATIONS and keeps the others ticking`, async () => {
    const { student, sessionId } = await studentWithRunningSession();
    const raw = await connectRaw(student);
    const ids = ['t1', 't2', 't3'];
    for (const id of ids) subscribe(raw, id, TIMER_UPDATED, { id: sessionId });
    await Promise.all(ids.map((id) => raw.waitFor(isNext(id), `first update of ${id}`)));

    subscribe(raw, 't4', TIMER_UPDATED, { id: sessionId });
    const refused = await raw.waitFor(isError('t4'), 'error for t4');
    expect(refused.payload).toEqual([
      { message: 'Too many operations in flight on this connection', extensions: { code: 'TOO_MANY_OPERATIONS', limit: MAX_OPERATIONS } },
    ]);
    expect(nextsFor(raw, 't4')).toEqual([]);

    // The three keep receiving ticks after the refusal, and the socket stays open.
    const counts = ids.map((id) => nextsFor(raw, id).length);
    await eventually(() => ids.every((id, i) => nextsFor(raw, id).length >= counts[i]! + 2), 5_000, 'two more ticks on each');
    for (const id of ids) {
      expect(nextsFor(raw, id).at(-1)!.payload.data.timerUpdated).toMatchObject({ sessionId, status: 'RUNNING' });
    }
    expect(raw.closedWith).toBeUndefined();

    // Completing one frees a place.
    raw.send({ id: 't1', type: 'complete' });
    subscribe(raw, 't5', TIMER_UPDATED, { id: sessionId });
    const accepted = await raw.waitFor(isNext('t5'), 'first update of t5');
    expect(accepted.payload.data.timerUpdated).toMatchObject({ sessionId, status: 'RUNNING' });
    expect(raw.messages.filter(isError('t5'))).toEqual([]);
  });
});

describe('message size', () => {
  /** Sends one ~70 KiB message (over the default 64 KiB limit) on an acknowledged socket and returns how it closed. */
  async function sendOversized(): Promise<{ raw: RawSocket; closed: CloseInfo }> {
    const raw = await connectRaw(await signUpStudent(t.client()));
    subscribe(raw, 'big', `query { me { id } } # ${'x'.repeat(70 * 1024)}`);
    return { raw, closed: await raw.closed };
  }

  it('closes with 1009 on a message over WS_MAX_PAYLOAD_BYTES and keeps serving other clients', async () => {
    expect(t.config.WS_MAX_PAYLOAD_BYTES).toBe(64 * 1024);
    const bystander = await signUpStudent(t.client());
    const other = await connectRaw(bystander);
    const { raw, closed } = await sendOversized();
    expect(closed.code).toBe(1009);
    expect(raw.messages.map((m) => m.type)).toEqual(['connection_ack']);
    await expectUsable(other, bystander);
    const newcomer = await signUpStudent(t.client());
    await expectUsable(await connectRaw(newcomer), newcomer);
  });

  it('closes with 1009 and the reason its close-code table documents (none)', async () => {
    const { closed } = await sendOversized();
    expect(closed).toEqual({ code: CloseCodes.MessageTooBig.code, reason: CloseCodes.MessageTooBig.reason });
  });
});

describe('what the server process prints', () => {
  afterAll(stopServerProcesses);

  /** Stops `p` (SIGTERM) and returns the lines of its stdout and stderr that are not a JSON object. */
  async function linesNotJson(p: ServerProcess): Promise<string[]> {
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const lines = `${p.stdout()}\n${p.stderr()}`.split('\n').filter((line) => line.length > 0);
    return lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
  }

  // graphql-ws's adapter for ws printed each of these as a multi-line stack trace on stderr.
  it('prints nothing but JSON lines, and no stack trace, when clients break the protocol', async () => {
    const p = await startServerProcess();
    // A message over WS_MAX_PAYLOAD_BYTES (64 KiB) before connection_init, without a token.
    const oversized = openRaw(wsUrl(p.origin));
    await oversized.opened;
    oversized.send('x'.repeat(70 * 1024));
    expect(await oversized.closed).toEqual({ code: CloseCodes.MessageTooBig.code, reason: CloseCodes.MessageTooBig.reason });
    // Messages only a server sends.
    for (const message of SERVER_ONLY_MESSAGES) {
      const raw = openRaw(wsUrl(p.origin));
      await raw.opened;
      raw.send(message);
      expect(await raw.closed).toEqual({ code: 4400, reason: 'Invalid message received' });
    }
    // An operation id reused, too long for the reason graphql-ws puts it in.
    const { student, session } = await studentWithSession(new GraphQLTestClient(`${p.origin}/graphql`));
    const raw = await connectRaw(student, p);
    const id = 'x'.repeat(500);
    subscribe(raw, id, TIMER_UPDATED, { id: session.id });
    await raw.waitFor(isNext(id), 'first timer update');
    subscribe(raw, id, TIMER_UPDATED, { id: session.id });
    expect((await raw.closed).code).toBe(4409);

    expect(await linesNotJson(p)).toEqual([]);
    expect(`${p.stdout()}${p.stderr()}`).not.toMatch(/"stack":|^\s+at /m);
    expect(p.logs().filter((l) => l.msg === 'WebSocket closed on a protocol error')).toEqual([
      expect.objectContaining({ level: 40, ip: '127.0.0.1', error: { code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', message: 'Max payload size exceeded' } }),
    ]);
  }, 60_000);
});

describe('the upgrade', () => {
  it('never negotiates permessage-deflate, even when the client offers it', async () => {
    const raw = openRaw(wsUrl(t.origin), { perMessageDeflate: true });
    const upgrade = new Promise<Record<string, unknown>>((resolve) => raw.socket.once('upgrade', (res) => resolve(res.headers)));
    await raw.opened;
    const headers = await upgrade;
    expect(headers['sec-websocket-protocol']).toBe('graphql-transport-ws');
    expect(headers).not.toHaveProperty('sec-websocket-extensions');
    expect(raw.socket.extensions).toBe('');
  });

  it('closes with 4406 a socket that offers no subprotocol', async () => {
    const raw = openRaw(wsUrl(t.origin), { subprotocol: null });
    await raw.opened;
    expect(raw.socket.protocol).toBe('');
    expect(await raw.closed).toEqual({ code: 4406, reason: 'Subprotocol not acceptable: use graphql-transport-ws' });
  });

  // Answered with no subprotocol, a client that offered one fails the handshake (1006, no reason).
  it.each([
    { client: 'the legacy subscriptions-transport-ws', offered: 'graphql-ws' },
    { client: 'an unknown protocol', offered: 'mqtt' },
  ])('echoes the subprotocol of $client ($offered), then closes with 4406 naming graphql-transport-ws', async ({ offered }) => {
    const raw = openRaw(wsUrl(t.origin), { subprotocol: offered });
    await raw.opened;
    expect(raw.socket.protocol).toBe(offered);
    expect(await raw.closed).toEqual({ code: 4406, reason: 'Subprotocol not acceptable: use graphql-transport-ws' });
    expect(raw.messages).toEqual([]);
    await eventually(() => t.server.stats().openSockets === 0, 5_000, 'the server to drop the socket');
  });

  it('picks graphql-transport-ws when a client offers it among others', async () => {
    const student = await signUpStudent(t.client());
    const raw = openRaw(wsUrl(t.origin), { subprotocol: ['graphql-ws', 'graphql-transport-ws'] });
    await raw.opened;
    expect(raw.socket.protocol).toBe('graphql-transport-ws');
    raw.send({ type: 'connection_init', payload: { token: student.accessToken } });
    await raw.waitFor((m) => m.type === 'connection_ack', 'connection_ack');
    await expectUsable(raw, student);
  });

  describe('a refused subprotocol in the security log', () => {
    let proxied: TestServer;
    beforeAll(async () => {
      // Behind a proxy on this machine, so that X-Forwarded-For gives each socket its address.
      proxied = await startTestServer({ env: { TRUST_PROXY: 'loopback' } });
    });
    afterAll(() => proxied.close());

    it('is one ws.subprotocol_refused event per address and minute, not one per attempt, that names no protocol but the legacy one', async () => {
      // A client that cannot set headers may carry its token in the subprotocol.
      const tokenInProtocol = 'base64url.bearer.authorization.k8s.io.c2VjcmV0LXN1YnByb3RvY29sLXRva2Vu';
      const attempts: { ip: string; subprotocol: string | null }[] = [
        { ip: '203.0.113.1', subprotocol: 'graphql-ws' },
        { ip: '203.0.113.1', subprotocol: 'graphql-ws' },
        { ip: '203.0.113.1', subprotocol: null },
        { ip: '203.0.113.2', subprotocol: tokenInProtocol },
        { ip: '203.0.113.2', subprotocol: 'graphql-ws' },
      ];
      for (const { ip, subprotocol } of attempts) {
        const raw = openRaw(wsUrl(proxied.origin), { subprotocol, headers: { 'x-forwarded-for': ip } });
        expect((await raw.closed).code).toBe(4406);
      }
      expect(proxied.logs.filter((l) => l.event === 'ws.subprotocol_refused')).toEqual([
        expect.objectContaining({ level: 40, security: true, event: 'ws.subprotocol_refused', ip: '203.0.113.1', offered: 'graphql-ws' }),
        expect.objectContaining({ level: 40, security: true, event: 'ws.subprotocol_refused', ip: '203.0.113.2', offered: 'other' }),
      ]);
      expect(proxied.rawLogs()).not.toContain('c2VjcmV0');
    });
  });

  it('refuses an upgrade to any path other than /graphql with 404', async () => {
    const raw = openRaw(`${t.origin.replace(/^http/, 'ws')}/other`);
    await expect(raw.opened).rejects.toThrow('Unexpected server response: 404');
    expect(raw.messages).toEqual([]);
  });
});

describe('graceful shutdown', () => {
  let t2: TestServer | undefined;
  afterEach(async () => {
    await t2?.close();
    t2 = undefined;
  });

  it('closes every socket with 1001 "Going away" and releases everything', async () => {
    t2 = await startTestServer();
    const { student, sessionId } = await studentWithRunningSession(t2);
    const ws = openClient(wsUrl(t2.origin), { connectionParams: { token: student.accessToken } });
    await ws.connected;
    const timer = collect(ws.client, TIMER_UPDATED, { id: sessionId });
    await timer.waitFor(1);
    expect(t2.server.stats()).toMatchObject({ openSockets: 1, authenticatedConnections: 1, activeSubscriptions: 1 });

    const closed = ws.nextClose();
    await t2.server.close();
    expect(await closed).toEqual({ code: 1001, reason: 'Going away' });
    expect(t2.server.stats()).toEqual({
      openSockets: 0,
      authenticatedConnections: 0,
      activeSubscriptions: 0,
      tickerRegistrations: 0,
      pubsubListeners: 0,
      pendingDisconnectPauses: 0,
    });
  });
});

describe('what errors on the socket reveal', () => {
  /** Fails if an error carries more than a message, locations, path and extensions, or looks like server internals. */
  function expectNothingInternal(errors: unknown): void {
    expect(Array.isArray(errors)).toBe(true);
    for (const error of errors as Record<string, any>[]) {
      expect(Object.keys(error).every((k) => ['message', 'locations', 'path', 'extensions'].includes(k))).toBe(true);
      expect(error.extensions).not.toHaveProperty('stacktrace');
      expect(error.extensions).not.toHaveProperty('exception');
      expect(JSON.stringify([error.message, error.extensions])).not.toMatch(
        /\n\s+at |node_modules|\/src\/|\.ts:\d|TypeError|ReferenceError|SQL|relation|column|pglite|postgres|pool/i,
      );
    }
  }

  it('sends client-facing errors only: no stack traces, no internal messages', async () => {
    const { sessionId: foreignSessionId } = await studentWithRunningSession();
    const student = await signUpStudent(t.client());
    const raw = await connectRaw(student);
    const cases: [string, AnyOperation, Record<string, unknown>?][] = [
      ['parse', 'query {'],
      ['validation', '{ me { password_hash } }'],
      ['missing-variable', 'query S($id: ID!) { session(id: $id) { id } }'],
      ['bad-variable', 'query S($id: ID!) { session(id: $id) { id } }', { id: { nested: true } }],
      ['malformed-id', 'query S($id: ID!) { session(id: $id) { id } }', { id: "1' or '1'='1" }],
      ['foreign-session', 'mutation P($id: ID!) { pauseSession(sessionId: $id) { id } }', { id: foreignSessionId }],
      ['foreign-timer', TIMER_UPDATED, { id: foreignSessionId }],
    ];
    // One at a time: this server allows only MAX_OPERATIONS in flight per socket.
    const payloads: unknown[][] = [];
    for (const [id, query, variables] of cases) {
      subscribe(raw, id, query, variables);
      const m = await raw.waitFor((x) => (x.type === 'error' || x.type === 'next') && x.id === id, `answer to ${id}`);
      payloads.push(m.type === 'error' ? m.payload : m.payload.errors);
    }
    const codes = payloads.map((errors) => (errors as any[]).map((e) => e.extensions?.code));
    expect(codes).toEqual([
      ['GRAPHQL_PARSE_FAILED'],
      ['GRAPHQL_VALIDATION_FAILED'],
      ['BAD_USER_INPUT'],
      ['BAD_USER_INPUT'],
      ['BAD_USER_INPUT'],
      ['NOT_FOUND'],
      ['NOT_FOUND'],
    ]);
    payloads.forEach(expectNothingInternal);
    expect(raw.closedWith).toBeUndefined();
  });

  describe('when the database is unavailable', () => {
    let t3: TestServer | undefined;
    afterEach(async () => {
      await t3?.close();
      t3 = undefined;
    });

    it('keeps the internal error out of what a socket whose operation failed receives', async () => {
      t3 = await startTestServer();
      const student = await signUpStudent(t3.client());
      const raw = await connectRaw(student, t3);
      await t3.db.handle.close();
      subscribe(raw, 'me', ME);
      await Promise.race([raw.closed, raw.waitFor((m) => m.id === 'me', 'an answer to me').catch(() => {})]);
      // Either answer keeps internals private: an INTERNAL_SERVER_ERROR for the operation, or a
      // close with one of the fixed reasons (1013 "Try again later" as when connecting, or 4500).
      const answer = raw.messages.find((m) => m.id === 'me');
      if (answer) {
        expectNothingInternal(answer.type === 'error' ? answer.payload : answer.payload.errors);
      } else {
        expect([
          { code: 1013, reason: 'Try again later' },
          { code: 4500, reason: 'Internal server error' },
        ]).toContainEqual({ code: raw.closedWith?.code, reason: raw.closedWith?.reason });
      }
    });
  });
});
