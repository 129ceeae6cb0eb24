import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import {
  CREATE_SUBJECT,
  createSubject,
  LOG_IN,
  LOG_OUT,
  ME,
  PASSWORD,
  PAUSE_SESSION,
  SESSION,
  type SessionIdDocument,
  signUpStudent,
  START_SESSION,
  type Student,
  TIMER_UPDATED,
} from './support/fixtures.js';
import type { Operation, VariablesAnd } from './support/graphql-client.js';
import { ManualClock } from './support/manual-clock.js';
import { startTestServer, type TestServer } from './support/server.js';
import { disposeSockets, type CloseInfo, collect, eventually, openClient, trackSocket, type WsTestClient, wsUrl } from './support/ws-client.js';

// Who may hold a WebSocket and for how long: every refusal closes with 4403 and a reason before
// any acknowledgement; every place a token may travel; the socket ending with the token, the
// log-in or the account; and operations over an accepted socket answering exactly as over HTTP.
// The main server has a frozen clock that only moves forward (tests that advance it sign up
// their students first); query tokens and live expiry use servers of their own.

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

afterEach(disposeSockets);

/** A tracked graphql-ws client on `server`. */
const connect = (server: TestServer, options: Parameters<typeof openClient>[1] = {}): WsTestClient => openClient(wsUrl(server.origin), options);

/** A protocol message as it travels on the wire. */
interface Message {
  type: string;
  id?: string;
  payload?: any;
}

/** A raw `graphql-transport-ws` socket recording what it receives. */
function openRaw(url: string, headers?: Record<string, string>) {
  const socket = new WebSocket(url, 'graphql-transport-ws', { headers });
  trackSocket(socket);
  const messages: Message[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as Message));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const closed = new Promise<CloseInfo>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return {
    messages,
    opened,
    closed,
    send: (message: unknown) => socket.send(JSON.stringify(message)),
    /** The acknowledgement's payload; fails if the socket closes first. */
    ack: async (): Promise<unknown> => {
      await eventually(() => messages.some((m) => m.type === 'connection_ack') || socket.readyState === WebSocket.CLOSED, 5_000, 'connection_ack');
      const ack = messages.find((m) => m.type === 'connection_ack');
      if (!ack) throw new Error(`closed without acknowledgement: ${JSON.stringify(await closed)}`);
      return ack.payload;
    },
  };
}

/** Runs one query or mutation over the socket and returns its single result. */
async function runOnce<T, V>(ws: WsTestClient, query: Operation<T, V>, ...variables: VariablesAnd<V>) {
  const op = collect(ws.client, query, ...variables);
  await op.done;
  expect(op.results).toHaveLength(1);
  return op.results[0]!;
}

/** The `expiresAt` an acknowledgement must carry for `token`: its `exp` as an ISO instant. */
function expiryOf(token: string): string {
  const { exp } = jwt.decode(token) as jwt.JwtPayload;
  return new Date(exp! * 1000).toISOString();
}

async function familyOf(userId: string): Promise<string> {
  const row = await t.db.handle.db.selectFrom('refresh_token_families').select('id').where('user_id', '=', userId).executeTakeFirstOrThrow();
  return row.id;
}

async function subjectCount(userId: string): Promise<number> {
  const rows = await t.db.handle.db.selectFrom('subjects').select('id').where('user_id', '=', userId).execute();
  return rows.length;
}

/**
 * An access token for `student` signed by hand: by default exactly what the server issues (HS256,
 * typ at+jwt, its issuer and audience, sub = user, sid = log-in, exp = now + TTL), so that each
 * refusal below is caused by the one thing it changes.
 */
async function forge(
  student: Student,
  changes: { secret?: string; issuer?: string; audience?: string; typ?: string; expiresInSeconds?: number } = {},
): Promise<string> {
  const iat = Math.floor(t.clock.now().getTime() / 1000);
  const exp = iat + (changes.expiresInSeconds ?? t.config.ACCESS_TOKEN_TTL_SECONDS);
  return jwt.sign({ sid: await familyOf(student.userId), iat, exp }, changes.secret ?? t.config.JWT_SECRET, {
    algorithm: 'HS256',
    header: { alg: 'HS256', typ: changes.typ ?? 'at+jwt' },
    issuer: changes.issuer ?? t.config.JWT_ISSUER,
    audience: changes.audience ?? t.config.JWT_AUDIENCE,
    subject: student.userId,
  });
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const newStudent = () => signUpStudent(t.client());

describe('refusing a connection', () => {
  interface Refusal {
    name: string;
    /** The 4403 close reason. */
    reason: string;
    /** `reason` of the security log line. */
    logged: string;
    token: () => Promise<string | undefined>;
  }
  const refusals: Refusal[] = [
    { name: 'no token is presented', reason: 'Missing token', logged: 'missing', token: async () => undefined },
    { name: 'the token is not a JWT', reason: 'Malformed token', logged: 'malformed', token: async () => 'not-a-jwt' },
    {
      name: 'the claims were tampered with (signature mismatch)',
      reason: 'Invalid token',
      logged: 'invalid',
      token: async () => {
        const [victim, attacker] = [await newStudent(), await newStudent()];
        const [header, payload, signature] = attacker.accessToken.split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as jwt.JwtPayload;
        return [header, base64url({ ...claims, sub: victim.userId }), signature].join('.');
      },
    },
    {
      name: 'the token is signed with another secret',
      reason: 'Invalid token',
      logged: 'invalid',
      token: async () => forge(await newStudent(), { secret: 'another-secret-that-is-at-least-32-bytes!!' }),
    },
    {
      name: 'the token says alg "none" and carries no signature',
      reason: 'Invalid token',
      logged: 'invalid',
      token: async () => {
        const student = await newStudent();
        const claims = jwt.decode(await forge(student)) as jwt.JwtPayload;
        return `${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url(claims)}.`;
      },
    },
    {
      name: 'the token has expired',
      reason: 'Token expired',
      logged: 'expired',
      token: async () => {
        const student = await newStudent();
        t.clock.advanceSeconds(t.config.ACCESS_TOKEN_TTL_SECONDS + 1);
        return student.accessToken;
      },
    },
    { name: 'the issuer is not ours', reason: 'Invalid token', logged: 'invalid', token: async () => forge(await newStudent(), { issuer: 'someone-else' }) },
    { name: 'the audience is not ours', reason: 'Invalid token', logged: 'invalid', token: async () => forge(await newStudent(), { audience: 'another-api' }) },
    { name: 'the token is not typed at+jwt', reason: 'Invalid token', logged: 'invalid', token: async () => forge(await newStudent(), { typ: 'JWT' }) },
    {
      name: 'a refresh token is presented as the access token',
      reason: 'Malformed token',
      logged: 'malformed',
      token: async () => (await newStudent()).refreshToken,
    },
    {
      name: 'the user has been deleted',
      reason: 'Unknown user or revoked token',
      logged: 'revoked',
      token: async () => {
        const student = await newStudent();
        await t.db.handle.db.deleteFrom('users').where('id', '=', student.userId).execute();
        return student.accessToken;
      },
    },
    {
      name: 'the user is disabled',
      reason: 'Unknown user or revoked token',
      logged: 'revoked',
      token: async () => {
        const student = await newStudent();
        await t.server.services.users.disableUser(student.userId);
        return student.accessToken;
      },
    },
    {
      name: 'the log-in has been logged out',
      reason: 'Unknown user or revoked token',
      logged: 'revoked',
      token: async () => {
        const student = await newStudent();
        await t.client().ok(LOG_OUT, { refreshToken: student.refreshToken });
        return student.accessToken;
      },
    },
  ];

  it('accepts a token forged with the server settings unchanged (the control for the forged refusals)', async () => {
    const student = await newStudent();
    const token = await forge(student);
    const ws = connect(t, { connectionParams: { token } });
    expect(await ws.connected).toEqual({ userId: student.userId, expiresAt: expiryOf(token) });
  });

  it.each(refusals)('closes with 4403 "$reason" before any acknowledgement when $name', async ({ reason, logged, token: makeToken }) => {
    const token = await makeToken();
    const logsBefore = t.logs.length;
    const ws = connect(t, { connectionParams: token === undefined ? {} : { token } });
    await expect(ws.connected).rejects.toMatchObject({ code: 4403, reason });
    expect(ws.closes).toEqual([{ code: 4403, reason }]);
    expect(ws.acks).toEqual([]);

    const rejections = t.logs.slice(logsBefore).filter((l) => l.event === 'ws.connection_rejected');
    expect(rejections).toEqual([
      expect.objectContaining({
        security: true,
        event: 'ws.connection_rejected',
        reason: logged,
        tokenSource: token === undefined ? null : 'connectionParams.token',
      }),
    ]);
    if (token !== undefined) expect(t.rawLogs()).not.toContain(token);
  });

  it('sends no connection_ack to a refused raw socket', async () => {
    const student = await newStudent();
    await t.server.services.users.disableUser(student.userId);
    const raw = openRaw(wsUrl(t.origin));
    await raw.opened;
    raw.send({ type: 'connection_init', payload: { token: student.accessToken } });
    expect(await raw.closed).toEqual({ code: 4403, reason: 'Unknown user or revoked token' });
    expect(raw.messages).toEqual([]);
    expect(t.rawLogs()).not.toContain(student.accessToken);
    await eventually(() => t.server.stats().openSockets === 0, 5_000, 'the server to forget the socket');
    expect(t.server.stats()).toMatchObject({ authenticatedConnections: 0, activeSubscriptions: 0 });
  });

  it('never runs an operation sent right behind a refused connection_init', async () => {
    const student = await newStudent();
    await t.server.services.users.disableUser(student.userId);
    const raw = openRaw(wsUrl(t.origin));
    await raw.opened;
    raw.send({ type: 'connection_init', payload: { token: student.accessToken } });
    raw.send({ id: '1', type: 'subscribe', payload: { query: String(CREATE_SUBJECT), variables: { name: 'Smuggled' } } });
    const closed = await raw.closed;
    // Which refusal the client sees depends on whether the subscribe overtook the token check:
    // graphql-ws refuses an operation before acknowledgement with 4401 itself.
    expect([
      { code: 4403, reason: 'Unknown user or revoked token' },
      { code: 4401, reason: 'Unauthorized' },
    ]).toContainEqual(closed);
    expect(raw.messages).toEqual([]);
    expect(await subjectCount(student.userId)).toBe(0);
  });
});

describe('where the token may be', () => {
  let student: Student;
  let expected: { userId: string; expiresAt: string };
  beforeAll(async () => {
    student = await newStudent();
    expected = { userId: student.userId, expiresAt: expiryOf(student.accessToken) };
  });

  it.each([
    ['token', (token: string) => ({ token })],
    ['authToken', (token: string) => ({ authToken: token })],
    ['Authorization', (token: string) => ({ Authorization: `Bearer ${token}` })],
    ['authorization', (token: string) => ({ authorization: `Bearer ${token}` })],
    ['headers.Authorization', (token: string) => ({ headers: { Authorization: `Bearer ${token}` } })],
  ])('accepts connectionParams.%s and acknowledges with { userId, expiresAt }', async (_where, params) => {
    const ws = connect(t, { connectionParams: params(student.accessToken) });
    expect(await ws.connected).toEqual(expected);
  });

  it("accepts the upgrade request's Authorization header", async () => {
    const raw = openRaw(wsUrl(t.origin), { Authorization: `Bearer ${student.accessToken}` });
    await raw.opened;
    raw.send({ type: 'connection_init' });
    expect(await raw.ack()).toEqual(expected);
  });

  it("accepts the access cookie on the upgrade request", async () => {
    const raw = openRaw(wsUrl(t.origin), { Cookie: `theme=dark; studyclock_access=${student.accessToken}` });
    await raw.opened;
    raw.send({ type: 'connection_init' });
    expect(await raw.ack()).toEqual(expected);
  });

  it('ignores a token in the URL by default: "Missing token"', async () => {
    const raw = openRaw(`${wsUrl(t.origin)}?token=${student.accessToken}`);
    await raw.opened;
    raw.send({ type: 'connection_init' });
    expect(await raw.closed).toEqual({ code: 4403, reason: 'Missing token' });
    expect(raw.messages).toEqual([]);
  });

  describe('with WS_ALLOW_QUERY_TOKEN=true', () => {
    let tq: TestServer;
    beforeAll(async () => {
      tq = await startTestServer({ env: { WS_ALLOW_QUERY_TOKEN: 'true' } });
    });
    afterAll(() => tq.close());

    it('accepts ?token= in the URL', async () => {
      const own = await signUpStudent(tq.client());
      const raw = openRaw(`${wsUrl(tq.origin)}?token=${own.accessToken}`);
      await raw.opened;
      raw.send({ type: 'connection_init' });
      expect(await raw.ack()).toEqual({ userId: own.userId, expiresAt: expiryOf(own.accessToken) });
      expect(tq.rawLogs()).not.toContain(own.accessToken);
    });
  });
});

describe('while connected', () => {
  it('closes the sockets of a log-in with 4403 "Logged out" when it logs out, and keeps its other log-ins', async () => {
    const student = await newStudent();
    const other = await t.client().ok(LOG_IN, { input: { email: student.email, password: PASSWORD } });
    const loggingOut = connect(t, { connectionParams: { token: student.accessToken } });
    const staying = connect(t, { connectionParams: { token: other.logIn.accessToken } });
    await Promise.all([loggingOut.connected, staying.connected]);

    const closed = loggingOut.nextClose();
    await t.client().ok(LOG_OUT, { refreshToken: student.refreshToken });
    expect(await closed).toEqual({ code: 4403, reason: 'Logged out' });

    expect(await runOnce(staying, ME)).toEqual({ data: { me: { id: student.userId, email: student.email } } });
    expect(staying.closes).toEqual([]);
  });

  it('closes every socket of a disabled user with 4403 "User disabled", and no one else\'s', async () => {
    const student = await newStudent();
    const second = await t.client().ok(LOG_IN, { input: { email: student.email, password: PASSWORD } });
    const bystander = await newStudent();
    const sockets = [student.accessToken, second.logIn.accessToken].map((token) => connect(t, { connectionParams: { token } }));
    const unaffected = connect(t, { connectionParams: { token: bystander.accessToken } });
    await Promise.all([...sockets, unaffected].map((s) => s.connected));

    const closes = sockets.map((s) => s.nextClose());
    await t.server.services.users.disableUser(student.userId);
    expect(await Promise.all(closes)).toEqual([
      { code: 4403, reason: 'User disabled' },
      { code: 4403, reason: 'User disabled' },
    ]);
    expect(await runOnce(unaffected, ME)).toEqual({ data: { me: { id: bystander.userId, email: bystander.email } } });
    expect(unaffected.closes).toEqual([]);
  });

  it('re-checks the token for each operation: an expired one closes the socket and the operation never runs', async () => {
    const student = await newStudent();
    const ws = connect(t, { connectionParams: { token: student.accessToken } });
    await ws.connected;
    const closed = ws.nextClose();
    // The expiry timer runs on real time; only the per-operation check sees this jump.
    t.clock.advanceSeconds(t.config.ACCESS_TOKEN_TTL_SECONDS + 1);
    const logsBefore = t.logs.length;

    const op = collect(ws.client, CREATE_SUBJECT, { name: 'Too late' });
    expect(await closed).toEqual({ code: 4403, reason: 'Token expired' });
    await expect(op.done).rejects.toMatchObject({ code: 4403, reason: 'Token expired' });
    expect(op.results).toEqual([]);
    expect(await subjectCount(student.userId)).toBe(0);
    expect(t.logs.slice(logsBefore)).toContainEqual(
      expect.objectContaining({ security: true, event: 'ws.operation_rejected', reason: 'expired', userId: student.userId }),
    );
  });

  describe('when the token expires (ACCESS_TOKEN_TTL_SECONDS=3, real time)', () => {
    let ts: TestServer;
    beforeAll(async () => {
      ts = await startTestServer({
        env: { ACCESS_TOKEN_TTL_SECONDS: '3', TICK_INTERVAL_MS: '200' },
        clock: new ManualClock({ running: true }),
      });
    });
    afterAll(() => ts.close());

    it('closes the socket with 4403 "Token expired" at the expiry instant', async () => {
      const student = await signUpStudent(ts.client());
      const ws = connect(ts, { connectionParams: { token: student.accessToken } });
      const closed = ws.nextClose();
      const ack = (await ws.connected) as { expiresAt: string };
      expect(ack.expiresAt).toBe(expiryOf(student.accessToken));

      expect(await closed).toEqual({ code: 4403, reason: 'Token expired' });
      const lateBy = Date.now() - Date.parse(ack.expiresAt);
      expect(lateBy).toBeGreaterThanOrEqual(-20);
      expect(lateBy).toBeLessThanOrEqual(1_500);
    });

    it('lets a retrying client log in again and resume its timerUpdated subscription by itself', async () => {
      const student = await signUpStudent(ts.client());
      const subjectId = await createSubject(student);
      const started = await student.client.ok(START_SESSION, { input: { subjectId, type: 'FREE' } });
      const sessionId = started.startSession.id;
      let logIns = 0;
      const ws = connect(ts, {
        retryAttempts: 3,
        shouldRetry: () => true,
        retryWait: async () => {},
        connectionParams: async () => {
          logIns++;
          const fresh = await ts.client().ok(LOG_IN, { input: { email: student.email, password: PASSWORD } });
          return { token: fresh.logIn.accessToken };
        },
      });
      const expired = ws.nextClose();
      const timer = collect(ws.client, TIMER_UPDATED, { id: sessionId });
      let outcome = 'active';
      timer.done.then(
        () => (outcome = 'completed'),
        () => (outcome = 'errored'),
      );
      await ws.connected;
      await timer.waitFor(2);

      expect(await expired).toEqual({ code: 4403, reason: 'Token expired' });
      await eventually(() => ws.acks.length === 2, 5_000, 'the reconnection');
      const before = timer.results.length;
      const results = await timer.waitFor(before + 3);

      expect(logIns).toBe(2);
      expect(ws.acks[1]).toMatchObject({ userId: student.userId });
      expect(outcome).toBe('active');
      const afterReconnect = results.slice(before).map((r) => r.data!.timerUpdated);
      for (const update of afterReconnect) expect(update).toMatchObject({ sessionId, status: 'RUNNING' });
      const times = results.map((r) => Date.parse(r.data!.timerUpdated.serverTime));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(results.every((r) => r.errors === undefined)).toBe(true);
    });
  });
});

describe('queries and mutations over the socket', () => {
  it('runs me, createSubject, startSession and pauseSession', async () => {
    const student = await newStudent();
    const ws = connect(t, { connectionParams: { token: student.accessToken } });
    await ws.connected;

    expect(await runOnce(ws, ME)).toEqual({ data: { me: { id: student.userId, email: student.email } } });
    const subject = await runOnce(ws, CREATE_SUBJECT, { name: 'Organic chemistry' });
    expect(subject.errors).toBeUndefined();
    expect(subject.data!.createSubject.name).toBe('Organic chemistry');
    const subjectId = subject.data!.createSubject.id;

    const started = await runOnce(ws, START_SESSION, { input: { subjectId, type: 'FREE' } });
    expect(started.errors).toBeUndefined();
    expect(started.data!.startSession).toMatchObject({ status: 'RUNNING', type: 'FREE', subject: { id: subjectId, name: 'Organic chemistry' } });
    const sessionId = started.data!.startSession.id;

    const paused = await runOnce(ws, PAUSE_SESSION, { id: sessionId });
    expect(paused.errors).toBeUndefined();
    expect(paused.data!.pauseSession).toMatchObject({ id: sessionId, status: 'PAUSED', pausedReason: 'USER' });

    // The changes are stored: HTTP sees them.
    const stored = await student.client.ok(SESSION, { id: sessionId });
    expect(stored.session).toMatchObject({ id: sessionId, status: 'PAUSED', pausedReason: 'USER' });
  });

  it('answers a foreign session id with NOT_FOUND exactly as HTTP does, changes nothing, and keeps the socket usable', async () => {
    const owner = await newStudent();
    const ownerSubject = await createSubject(owner);
    const foreign = await owner.client.ok(START_SESSION, { input: { subjectId: ownerSubject, type: 'FREE' } });
    const foreignId = foreign.startSession.id;
    const intruder = await newStudent();
    const ws = connect(t, { connectionParams: { token: intruder.accessToken } });
    await ws.connected;

    const documents: SessionIdDocument[] = [PAUSE_SESSION, SESSION];
    for (const query of documents) {
      const overSocket = await runOnce(ws, query, { id: foreignId });
      const overHttp = await intruder.client.request(query, { id: foreignId });
      expect(overSocket.errors).toEqual([expect.objectContaining({ message: 'Session not found or you do not have permission', extensions: { code: 'NOT_FOUND' } })]);
      expect({ data: overSocket.data, errors: overSocket.errors }).toEqual({ data: overHttp.data, errors: overHttp.errors });
    }

    const untouched = await owner.client.ok(SESSION, { id: foreignId });
    expect(untouched.session?.status).toBe('RUNNING');
    expect(await runOnce(ws, ME)).toEqual({ data: { me: { id: intruder.userId, email: intruder.email } } });
    expect(ws.closes).toEqual([]);
  });

  it('answers a malformed session id with BAD_USER_INPUT exactly as HTTP does', async () => {
    const student = await newStudent();
    const ws = connect(t, { connectionParams: { token: student.accessToken } });
    await ws.connected;

    const documents: SessionIdDocument[] = [SESSION, PAUSE_SESSION];
    for (const query of documents) {
      const overSocket = await runOnce(ws, query, { id: 'not-an-id' });
      const overHttp = await student.client.request(query, { id: 'not-an-id' });
      expect(overSocket.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
      expect({ data: overSocket.data, errors: overSocket.errors }).toEqual({ data: overHttp.data, errors: overHttp.errors });
    }
    expect(ws.closes).toEqual([]);
  });
});
