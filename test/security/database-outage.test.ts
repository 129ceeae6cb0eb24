import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, sql } from 'kysely';
import pg from 'pg';
import { type Database, type DatabaseHandle, openDatabase } from '../../src/db/database.js';
import { isBackendUnavailable } from '../../src/db/failures.js';
import { AppError, ErrorCodes } from '../../src/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import {
  createSubject,
  LOG_IN,
  ME,
  PASSWORD,
  PAUSE_SESSION,
  RESUME_SESSION,
  SESSION,
  SIGN_UP,
  START_SESSION,
  signUpStudent,
  type Student,
  TIMER_UPDATED,
} from '../support/fixtures.js';
import type { GraphQLResponse } from '../support/graphql-client.js';
import type { TimerSubscription } from '../__generated__/graphql.js';
import { ManualClock } from '../support/manual-clock.js';
import { captureLogs, startTestServer, type TestServer } from '../support/server.js';
import { type Collected, collect, connectWs, eventually, type WsTestClient, wsUrl, within } from '../support/ws-client.js';

// What clients see while PostgreSQL is away, and that everything comes back by itself. The
// outage is made by a TCP proxy between the server and PostgreSQL that the test cuts (every
// connection reset, as when the server is down) or silences (nothing passes, nothing closes,
// as when the network or the host vanishes), never by stopping the machine's PostgreSQL, which
// other test files use at the same time.
//
// Jest fails the running test on any unhandled rejection or uncaught exception (an 'error'
// event nobody listens to, a background job's promise nobody catches), so each test here also
// says that nothing of the kind happened.
//
// This file needs a PostgreSQL server even when the rest of the suite runs on PGlite: the
// embedded database is in-process, with no connection to cut (@electric-sql/pglite-socket could
// serve it over TCP, but every release pins an older PGlite than ours). It uses
// TEST_DATABASE_URL, else the machine's PostgreSQL, which CI and the development machines run.
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const CONNECT_TIMEOUT_MS = 500;
const STATEMENT_TIMEOUT_MS = 1_000;
/** How long a query may go unanswered before its connection is ended (see openDatabase). */
const QUERY_DEADLINE_MS = STATEMENT_TIMEOUT_MS + CONNECT_TIMEOUT_MS;
/** Room for the HTTP round trip, Apollo and a loaded CI machine on top of a timeout. */
const MARGIN_MS = 1_000;

const env = {
  DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
  DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
  ACCESS_TOKEN_TTL_SECONDS: '86400',
  DISCONNECT_GRACE_SECONDS: '0.2',
  LAST_SEEN_HEARTBEAT_SECONDS: '0.5',
  TICK_INTERVAL_MS: '200',
  COMPLETION_SWEEP_SECONDS: '1',
};

const UNAVAILABLE = { message: ErrorCodes.SERVICE_UNAVAILABLE, extensions: { code: 'SERVICE_UNAVAILABLE' } };

/** A fresh database on {@link ADMIN_URL} whose server-side handle goes through `proxy`. */
function proxiedDatabase(proxy: TcpProxy, keep: (direct: TestDatabase) => void) {
  return async (config: TestServer['config'], logger: Parameters<typeof openDatabase>[1]): Promise<TestDatabase> => {
    const direct = await createTestDatabase({ adminUrl: ADMIN_URL });
    keep(direct);
    const url = proxy.url(direct.url!);
    const handle = await openDatabase(
      {
        url,
        poolMax: config.DATABASE_POOL_MAX,
        statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
        connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      },
      logger,
    );
    return {
      handle,
      url,
      dispose: async () => {
        await handle.close();
        await direct.dispose();
      },
    };
  };
}

/** Runs `run`, returning what it resolved to and how long it took in milliseconds. */
async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

/** The rejection of `promise` (fails if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => err,
  );
}

/** A logger whose messages are kept. */
function capturedLogger() {
  const { logger, lines } = captureLogs('info');
  return { logger, messages: () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg) };
}

/** True when another transaction holds a lock on the session's row. */
async function isRowLocked(db: Kysely<Database>, sessionId: string): Promise<boolean> {
  try {
    await db.transaction().execute((trx) =>
      trx.selectFrom('study_sessions').select('id').where('id', '=', sessionId).forUpdate().noWait().execute(),
    );
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') return true;
    throw err;
  }
}

async function sessionRow(db: Kysely<Database>, id: string) {
  return db.selectFrom('study_sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function startFree(student: Student): Promise<string> {
  const subjectId = await createSubject(student);
  const data = await student.client.ok(START_SESSION, { input: { subjectId, type: 'FREE' } });
  return data.startSession.id;
}

/** A listening port nobody answers on. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('isBackendUnavailable', () => {
  it('recognises a refused connection, a connect timeout, a cancelled statement and a closed pool', async () => {
    const refused = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${await closedPort()}/x` });
    expect(isBackendUnavailable(await rejectionOf(refused.connect()))).toBe(true);

    const silent = net.createServer(() => {}).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const pool = new pg.Pool({
      connectionString: `postgres://postgres@127.0.0.1:${(silent.address() as AddressInfo).port}/x`,
      connectionTimeoutMillis: 200,
    });
    expect(isBackendUnavailable(await rejectionOf(pool.query('select 1')))).toBe(true);
    await pool.end();
    expect(isBackendUnavailable(await rejectionOf(pool.query('select 1')))).toBe(true);
    silent.close();

    const scratch = await createTestDatabase({ adminUrl: ADMIN_URL });
    const slow = await openDatabase({ url: scratch.url!, statementTimeoutMs: 100 }, capturedLogger().logger);
    try {
      const cancelled = await rejectionOf(sql`select pg_sleep(2)`.execute(slow.db));
      expect(cancelled).toMatchObject({ code: '57014' });
      expect(isBackendUnavailable(cancelled)).toBe(true);
    } finally {
      await slow.close();
      await scratch.dispose();
    }
    expect(isBackendUnavailable(await rejectionOf(sql`select 1`.execute(slow.db)))).toBe(true);
  });

  it('recognises a closed embedded database', async () => {
    const pglite = await PGlite.create('memory://');
    const embedded = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
    await sql`select 1`.execute(embedded);
    await pglite.close();
    expect(isBackendUnavailable(await rejectionOf(sql`select 1`.execute(embedded)))).toBe(true);
    await embedded.destroy();
  });

  it('does not take a query the database refused, or a bug, for an outage', async () => {
    const db = await createTestDatabase({ adminUrl: ADMIN_URL });
    try {
      await sql`create table t (id int primary key)`.execute(db.handle.db);
      await sql`insert into t values (1)`.execute(db.handle.db);
      const duplicate = await rejectionOf(sql`insert into t values (1)`.execute(db.handle.db));
      expect(duplicate).toMatchObject({ code: '23505' });
      expect(isBackendUnavailable(duplicate)).toBe(false);
      expect(isBackendUnavailable(await rejectionOf(sql`selec 1`.execute(db.handle.db)))).toBe(false);
    } finally {
      await db.dispose();
    }
    expect(isBackendUnavailable(new AppError('NOT_FOUND'))).toBe(false);
    expect(isBackendUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isBackendUnavailable(undefined)).toBe(false);
    expect(isBackendUnavailable('ECONNREFUSED')).toBe(false);
  });
});

describe('openDatabase on PostgreSQL', () => {
  let direct: TestDatabase;
  let proxy: TcpProxy;
  let handle: DatabaseHandle;
  const log = capturedLogger();

  beforeAll(async () => {
    direct = await createTestDatabase({ adminUrl: ADMIN_URL });
    proxy = await TcpProxy.start(ADMIN_URL);
    handle = await openDatabase({ url: proxy.url(direct.url!), statementTimeoutMs: 300, connectTimeoutMs: 200 }, log.logger);
  });
  afterAll(async () => {
    await handle.close();
    await proxy.close();
    await direct.dispose();
  });
  afterEach(() => proxy.restore());

  it('sets statement_timeout and idle_in_transaction_session_timeout on its connections', async () => {
    const settings = await handle.db.transaction().execute(async (trx) => ({
      statement: (await sql<{ statement_timeout: string }>`show statement_timeout`.execute(trx)).rows[0]?.statement_timeout,
      idle: (await sql<{ idle_in_transaction_session_timeout: string }>`show idle_in_transaction_session_timeout`.execute(trx))
        .rows[0]?.idle_in_transaction_session_timeout,
    }));
    expect(settings).toEqual({ statement: '300ms', idle: '300ms' });
  });

  it('survives a connection dropped in the middle of a transaction, and reconnects', async () => {
    let second: unknown;
    await rejectionOf(
      handle.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        proxy.cut();
        // The connection is checked out and idle when it dies: only a listener on the client
        // itself hears its 'error'; unheard, it would end the process.
        await sleep(200);
        second = await rejectionOf(sql`select 2`.execute(trx));
        throw second;
      }),
    );
    expect(isBackendUnavailable(second)).toBe(true);
    expect(log.messages()).toContain('database connection lost');
    proxy.restore();
    expect((await sql<{ one: number }>`select 1 as one`.execute(handle.db)).rows).toEqual([{ one: 1 }]);
  });

  it('ends a query that gets no answer at its deadline: statement timeout plus connect timeout', async () => {
    await sql`select 1`.execute(handle.db); // an idle pooled connection, to be silenced
    proxy.silence();
    const { value: failed, ms } = await timed(() => rejectionOf(sql`select 1`.execute(handle.db)));
    expect(isBackendUnavailable(failed)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(300 + 200 - 20);
    expect(ms).toBeLessThan(300 + 200 + MARGIN_MS);
    proxy.restore();
    expect((await sql<{ one: number }>`select 1 as one`.execute(handle.db)).rows).toEqual([{ one: 1 }]);
  });
});

describe('a server whose PostgreSQL goes down', () => {
  let proxy: TcpProxy;
  let direct: TestDatabase;
  let t: TestServer;
  const clock = new ManualClock({ running: true });
  // a: connected, a FREE session watched live; b: a 1-minute POMODORO, HTTP only;
  // c: connected, a FREE session, disconnects during the outage.
  let a: Student;
  let b: Student;
  let c: Student;
  let aSession: string;
  let bSession: string;
  let cSession: string;
  let aSocket: WsTestClient;
  let cSocket: WsTestClient;
  let aTimer: Collected<TimerSubscription>;
  let aBefore: Awaited<ReturnType<typeof sessionRow>>;
  const sockets: WsTestClient[] = [];

  const connect = (student: Student) => {
    // A refused socket is asserted on, not printed (graphql-ws's default for eager clients).
    const socket = connectWs(wsUrl(t.origin), { connectionParams: { token: student.accessToken }, onNonLazyError: () => {} });
    sockets.push(socket);
    return socket;
  };
  const readyz = async () => (await fetch(`${t.origin}/readyz`)).status;

  beforeAll(async () => {
    proxy = await TcpProxy.start(ADMIN_URL);
    t = await startTestServer({ env, clock, database: proxiedDatabase(proxy, (d) => (direct = d)) });
    [a, b, c] = [await signUpStudent(t.client()), await signUpStudent(t.client()), await signUpStudent(t.client())];
    aSession = await startFree(a);
    cSession = await startFree(c);
    const bSubject = await createSubject(b);
    const started = await b.client.ok(START_SESSION, { input: { subjectId: bSubject, type: 'POMODORO', focusMinutes: 1 } });
    bSession = started.startSession.id;
    aSocket = connect(a);
    cSocket = connect(c);
    await Promise.all([aSocket.connected, cSocket.connected]);
    aTimer = collect(aSocket.client, TIMER_UPDATED, { id: aSession });
    await aTimer.waitFor(1);
    aBefore = await sessionRow(direct.handle.db, aSession);
  });

  afterAll(async () => {
    proxy.restore();
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
    await proxy.close();
  });

  it("runs its pool's queries under the configured statement timeout", async () => {
    const { rows } = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(t.server.database.db);
    expect(rows).toEqual([{ statement_timeout: '1s' }]);
  });

  describe('while it is down', () => {
    beforeAll(() => proxy.cut());

    it('answers HTTP queries and mutations with SERVICE_UNAVAILABLE and status 503 within the connect timeout', async () => {
      const anonymous = t.client();
      const attempts: [string, () => Promise<GraphQLResponse<unknown>>][] = [
        ['me', () => a.client.request(ME)],
        ['session', () => a.client.request(SESSION, { id: aSession })],
        ['pauseSession', () => a.client.request(PAUSE_SESSION, { id: aSession })],
        ['logIn', () => anonymous.request(LOG_IN, { input: { email: a.email, password: PASSWORD } })],
        ['signUp', () => anonymous.request(SIGN_UP, { input: { email: 'outage@example.com', password: PASSWORD } })],
      ];
      for (const [name, attempt] of attempts) {
        const { value: res, ms } = await timed(attempt);
        expect({ name, status: res.status, data: res.data ?? null, errors: res.errors }).toEqual({
          name,
          status: 503,
          data: null,
          errors: [expect.objectContaining(UNAVAILABLE)],
        });
        expect({ name, fast: ms < CONNECT_TIMEOUT_MS + MARGIN_MS }).toEqual({ name, fast: true });
      }
    });

    it('reports /readyz 503 while /healthz stays 200', async () => {
      expect(await readyz()).toBe(503);
      expect((await fetch(`${t.origin}/healthz`)).status).toBe(200);
    });

    it('answers an operation on an open socket with SERVICE_UNAVAILABLE and keeps the socket open', async () => {
      // The socket's token is not read again per operation; the query itself meets the outage.
      const op = collect(aSocket.client, SESSION, { id: aSession });
      await within(op.done, 10_000, 'the query to be answered');
      expect(op.results).toEqual([{ data: { session: null }, errors: [expect.objectContaining(UNAVAILABLE)] }]);
      await sleep(100);
      expect(aSocket.closes).toEqual([]);
      expect(t.server.stats().authenticatedConnections).toBe(2);
    });

    it('keeps live timers ticking', async () => {
      const seen = aTimer.results.length;
      const results = await aTimer.waitFor(seen + 1, 3_000);
      expect(results.at(-1)?.data?.timerUpdated.status).toBe('RUNNING');
    });

    it('closes a new socket with 1013 Try again later: its token cannot be checked', async () => {
      await expect(connect(a).connected).rejects.toMatchObject({ code: 1013, reason: 'Try again later' });
    });

    it('keeps background work going: it logs each failure and tries again', async () => {
      await cSocket.dispose(); // c's pause after the 0.2 s grace cannot be written
      clock.advanceSeconds(61); // b's POMODORO runs out: the sweeper cannot complete it
      await eventually(
        () => ['completion sweep failed', 'last-seen heartbeat failed', 'could not pause session after disconnect'].every((m) =>
          t.logs.some((l) => l.msg === m && (m !== 'could not pause session after disconnect' || l.retry === true))),
        5_000,
        'every background job to have failed once',
      );
      expect(t.server.stats().pendingDisconnectPauses).toBe(1);
    });

    it('changed nothing: the pause refused above left the session exactly as it was', async () => {
      expect(await sessionRow(direct.handle.db, aSession)).toEqual(aBefore);
      expect(await sessionRow(direct.handle.db, bSession)).toMatchObject({ status: 'RUNNING', ended_at: null });
      expect(await sessionRow(direct.handle.db, cSession)).toMatchObject({ status: 'RUNNING', paused_reason: null });
    });
  });

  describe('once it is back', () => {
    let restoredAt: Date;
    beforeAll(() => {
      restoredAt = clock.now();
      proxy.restore();
    });

    it('serves the same operations again, without a restart', async () => {
      expect(await readyz()).toBe(200);
      const paused = await a.client.ok(PAUSE_SESSION, { id: aSession });
      expect(paused.pauseSession.status).toBe('PAUSED');
      expect(await sessionRow(direct.handle.db, aSession)).toMatchObject({ status: 'PAUSED', version: aBefore.version + 1 });
      const op = collect(aSocket.client, SESSION, { id: aSession });
      await op.done;
      expect(op.results.map((r) => r.data?.session?.status)).toEqual(['PAUSED']);
      expect(aSocket.closes).toEqual([]);
      await expect(connect(a).connected).resolves.toMatchObject({ userId: a.userId });
    });

    it('catches up on background work: completion, the disconnect pause and the heartbeat', async () => {
      const bRow = await sessionRow(direct.handle.db, bSession);
      await eventually(
        async () => (await sessionRow(direct.handle.db, bSession)).status === 'COMPLETED',
        5_000,
        "b's POMODORO to be completed",
      );
      expect((await sessionRow(direct.handle.db, bSession)).ended_at).toEqual(new Date(bRow.started_at.getTime() + 60_000));
      await eventually(
        async () => (await sessionRow(direct.handle.db, cSession)).status === 'PAUSED',
        5_000,
        "c's session to be paused",
      );
      expect(await sessionRow(direct.handle.db, cSession)).toMatchObject({ paused_reason: 'DISCONNECT' });
      expect(t.server.stats().pendingDisconnectPauses).toBe(0);
      await eventually(
        async () => {
          const row = await direct.handle.db.selectFrom('users').select('last_seen_at').where('id', '=', a.userId).executeTakeFirstOrThrow();
          return row.last_seen_at !== null && row.last_seen_at >= restoredAt;
        },
        5_000,
        "a's last-seen heartbeat",
      );
    });
  });
});

describe('a server whose network to PostgreSQL goes silent', () => {
  let proxy: TcpProxy;
  let direct: TestDatabase;
  let t: TestServer;
  let student: Student;
  let sessionId: string;

  beforeAll(async () => {
    proxy = await TcpProxy.start(ADMIN_URL);
    t = await startTestServer({ env, clock: new ManualClock({ running: true }), database: proxiedDatabase(proxy, (d) => (direct = d)) });
    student = await signUpStudent(t.client());
    sessionId = await startFree(student);
  });
  afterAll(async () => {
    proxy.restore();
    await t.close();
    await proxy.close();
  });
  afterEach(() => proxy.restore());

  it('answers within the statement timeout plus the connect timeout, not when TCP gives up', async () => {
    await student.client.ok(ME); // leaves an idle pooled connection, to be silenced
    proxy.silence();
    const attempts: (() => Promise<GraphQLResponse<unknown>>)[] = [
      () => student.client.request(ME),
      () => t.client().request(LOG_IN, { input: { email: student.email, password: PASSWORD } }),
    ];
    for (const attempt of attempts) {
      const { value: res, ms } = await timed(attempt);
      expect(res.status).toBe(503);
      expect(res.errors).toEqual([expect.objectContaining(UNAVAILABLE)]);
      expect(ms).toBeLessThan(QUERY_DEADLINE_MS + MARGIN_MS);
    }
    const { value: status, ms } = await timed(async () => (await fetch(`${t.origin}/readyz`)).status);
    expect(status).toBe(503);
    expect(ms).toBeLessThan(QUERY_DEADLINE_MS + MARGIN_MS);
    proxy.restore();
    await expect(student.client.ok(ME)).resolves.toEqual({ me: { id: expect.any(String), email: student.email } });
  });

  it('leaves a transition cut off before its write unapplied, and no row locked', async () => {
    const before = await sessionRow(direct.handle.db, sessionId);
    // After the session was read: nothing is held between the read and the write.
    const cutOff = proxy.silenceAt((text) => text.includes('update "study_sessions"'), { deliver: false });
    const { value: res, ms } = await timed(() => student.client.request(PAUSE_SESSION, { id: sessionId }));
    await cutOff;
    expect({ status: res.status, errors: res.errors }).toEqual({ status: 503, errors: [expect.objectContaining(UNAVAILABLE)] });
    expect(ms).toBeLessThan(QUERY_DEADLINE_MS + MARGIN_MS);
    // Still silent: nothing of the abandoned request holds the row.
    await eventually(async () => !(await isRowLocked(direct.handle.db, sessionId)), STATEMENT_TIMEOUT_MS + MARGIN_MS, 'the lock to go');
    expect(await sessionRow(direct.handle.db, sessionId)).toEqual(before);
    proxy.restore();
    const paused = await student.client.ok(PAUSE_SESSION, { id: sessionId });
    expect(paused.pauseSession.status).toBe('PAUSED');
    expect(await sessionRow(direct.handle.db, sessionId)).toMatchObject({ status: 'PAUSED', version: before.version + 1 });
  });

  it('leaves a transition whose write went through but whose answer was lost fully applied', async () => {
    await student.client.ok(RESUME_SESSION, { id: sessionId });
    const before = await sessionRow(direct.handle.db, sessionId);
    // A transition's write is one statement (the session and its running stretch), committed on its own.
    const lost = proxy.silenceAt((text) => /\bupdate "study_sessions"/i.test(text), { deliver: true });
    const { value: res } = await timed(() => student.client.request(PAUSE_SESSION, { id: sessionId }));
    await lost;
    // The client cannot know: SERVICE_UNAVAILABLE, although the pause was committed whole.
    expect({ status: res.status, errors: res.errors }).toEqual({ status: 503, errors: [expect.objectContaining(UNAVAILABLE)] });
    const after = await sessionRow(direct.handle.db, sessionId);
    expect(after).toMatchObject({ status: 'PAUSED', paused_reason: 'USER', run_started_at: null, version: before.version + 1 });
    expect(after.accumulated_ms).toBeGreaterThan(before.accumulated_ms);
    proxy.restore();
    // Retrying is safe: the second pause is refused with the state the first one left.
    const retried = await student.client.fail(PAUSE_SESSION, { id: sessionId });
    expect(retried.extensions).toEqual({ code: 'INVALID_SESSION_STATE', status: 'PAUSED' });
  });
});
