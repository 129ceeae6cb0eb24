import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { type StudyclockServer, startServer } from '../src/app/server.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import {
  RESUME_SESSION,
  SESSION,
  STOP_SESSION,
  type Student,
  studentWithSession,
  TIMER_UPDATED,
} from './support/fixtures.js';
import { graphql } from './__generated__/index.js';
import type { SessionFieldsFragment as Session, StartSessionInput } from './__generated__/graphql.js';
import { GraphQLTestClient } from './support/graphql-client.js';
import { ManualClock } from './support/manual-clock.js';
import { isIdle, startTestServer, type TestServer, testEnv } from './support/server.js';
import { collect, connectStudent, connectWs, disposeSockets, eventually, trackSocket, wsUrl, within } from './support/ws-client.js';

// Pause on disconnect: a student's RUNNING session is paused (reason DISCONNECT) once their
// last WebSocket has been gone for DISCONNECT_GRACE_SECONDS, with time counted up to the
// instant it went. Clocks are frozen unless said otherwise, so the banked time is exact: the
// grace itself runs on real time, the arithmetic on the manual clock.

const GRACE_MS = 1_000;
/**
 * A grace longer than the completion sweep's period (COMPLETION_SWEEP_SECONDS=1), so that the
 * sweep certainly runs while a pause is pending.
 */
const LONG_GRACE_MS = 2_500;
/** Long enough for a pause due after either grace to have been written. */
const AFTER_GRACE_MS = LONG_GRACE_MS + 4_000;

type SessionInput = Omit<StartSessionInput, 'subjectId'>;

/** What the student's other device (or a dashboard) shows of their studying, in one request. */
const DASHBOARD = graphql(`
  query Dashboard($id: ID!) {
    session(id: $id) { id status elapsedSeconds remainingSeconds }
    activeSession { id status }
    sessions(status: RUNNING) { edges { node { id status } } }
  }
`);

/** A new student with a RUNNING session, signed up on the server at `origin`. */
const studentOn = (origin: string, input?: SessionInput) => studentWithSession(new GraphQLTestClient(`${origin}/graphql`), input);

/**
 * A bare `ws` socket that has done the graphql-transport-ws handshake by hand, so the test can
 * drop it the way a network does (`terminate()`: no close frame) or stop answering pings.
 */
async function connectRaw(
  origin: string,
  student: Student,
  options: WebSocket.ClientOptions = {},
  /** Called with the socket as soon as it exists, before anything can arrive on it. */
  onSocket: (socket: WebSocket) => void = () => {},
): Promise<WebSocket> {
  const socket = new WebSocket(wsUrl(origin), 'graphql-transport-ws', options);
  trackSocket(socket);
  onSocket(socket);
  await once(socket, 'open');
  socket.send(JSON.stringify({ type: 'connection_init', payload: { token: student.accessToken } }));
  const [ack] = await once(socket, 'message');
  expect(JSON.parse(String(ack))).toEqual({ type: 'connection_ack', payload: expect.any(Object) });
  return socket;
}

/** Resolves with the next message of `socket` for operation `id`, parsed. */
function nextMessageFor(socket: WebSocket, id: string): Promise<{ id: string; type: string; payload?: unknown }> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as { id: string; type: string };
      if (message.id !== id) return;
      socket.off('message', onMessage).off('close', onClose);
      resolve(message);
    };
    const onClose = () => {
      socket.off('message', onMessage);
      reject(new Error(`socket closed before a message for ${id}`));
    };
    socket.on('message', onMessage).once('close', onClose);
  });
}

function sessionRow(t: { db: TestDatabase }, id: string) {
  return t.db.handle.db.selectFrom('study_sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function lastSeenAt(db: TestDatabase, userId: string): Promise<Date | null> {
  const row = await db.handle.db.selectFrom('users').select('last_seen_at').where('id', '=', userId).executeTakeFirstOrThrow();
  return row.last_seen_at;
}

async function read(student: Student, id: string): Promise<Session> {
  return (await student.client.ok(SESSION, { id })).session!;
}

async function waitForStatus(db: TestDatabase, id: string, status: Session['status'], timeoutMs = AFTER_GRACE_MS): Promise<void> {
  await eventually(async () => (await sessionRow({ db }, id)).status === status, timeoutMs, `session ${id} to be ${status}`);
}

describe('on one server', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      env: {
        DISCONNECT_GRACE_SECONDS: String(GRACE_MS / 1000),
        LAST_SEEN_HEARTBEAT_SECONDS: '0.2',
        TICK_INTERVAL_MS: '100',
        // Tests move the clock by minutes after signing up.
        ACCESS_TOKEN_TTL_SECONDS: '86400',
      },
    });
  });
  afterAll(() => t?.close());
  afterEach(async () => {
    await disposeSockets();
    // Pauses scheduled by the test's own disconnects run within the grace.
    await eventually(() => isIdle(t.server.stats()), AFTER_GRACE_MS, 'an idle server');
  });

  /** Waits until the server has seen the last socket close (the instant the loss is dated). */
  const socketsClosed = (open = 0) =>
    eventually(() => t.server.stats().openSockets === open, 5_000, `${open} open sockets`);

  describe('losing the last socket', () => {
    it('pauses a RUNNING session after the grace, counting time only up to the clean close', async () => {
      const { student, session } = await studentOn(t.origin);
      t.clock.advanceSeconds(30);
      const ws = await connectStudent(t.origin, student);
      await ws.dispose();
      await socketsClosed();
      const closedAt = Date.now();
      // Lost now, paused later: not at once, and the 100 s that pass meanwhile do not count.
      expect(t.server.stats().pendingDisconnectPauses).toBe(1);
      expect((await sessionRow(t, session.id)).status).toBe('RUNNING');
      t.clock.advanceSeconds(100);

      await waitForStatus(t.db, session.id, 'PAUSED');
      expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE_MS / 2);
      expect(await sessionRow(t, session.id)).toMatchObject({
        status: 'PAUSED',
        accumulated_ms: 30_000,
        run_started_at: null,
        paused_reason: 'DISCONNECT',
        ended_at: null,
      });
      expect(await read(student, session.id)).toMatchObject({ status: 'PAUSED', elapsedSeconds: 30, pausedReason: 'DISCONNECT' });
      expect(t.server.stats().pendingDisconnectPauses).toBe(0);
    });

    it('pauses after the grace when the socket is dropped without a close frame', async () => {
      const { student, session } = await studentOn(t.origin);
      t.clock.advanceSeconds(20);
      const socket = await connectRaw(t.origin, student);
      socket.terminate();
      await socketsClosed();
      t.clock.advanceSeconds(50);

      await waitForStatus(t.db, session.id, 'PAUSED');
      expect(await sessionRow(t, session.id)).toMatchObject({ accumulated_ms: 20_000, paused_reason: 'DISCONNECT' });
      expect(await read(student, session.id)).toMatchObject({ elapsedSeconds: 20, pausedReason: 'DISCONNECT' });
    });

    it('pauses a POMODORO at the instant of the loss, keeping the rest of its plan', async () => {
      const { student, session } = await studentOn(t.origin, { type: 'POMODORO', focusMinutes: 25 });
      t.clock.advance(90_400);
      const ws = await connectStudent(t.origin, student);
      await ws.dispose();
      await socketsClosed();
      t.clock.advanceSeconds(60);

      await waitForStatus(t.db, session.id, 'PAUSED');
      expect(await sessionRow(t, session.id)).toMatchObject({ accumulated_ms: 90_400, paused_reason: 'DISCONNECT' });
      expect(await read(student, session.id)).toMatchObject({
        status: 'PAUSED',
        elapsedSeconds: 90,
        remainingSeconds: 25 * 60 - 90,
      });
    });
  });

  describe('staying', () => {
    it('does not pause when the student reconnects within the grace', async () => {
      const { student, session } = await studentOn(t.origin);
      const before = await sessionRow(t, session.id);
      const first = await connectStudent(t.origin, student);
      await first.dispose();
      await socketsClosed();
      expect(t.server.stats().pendingDisconnectPauses).toBe(1);

      await sleep(300);
      await connectStudent(t.origin, student);
      expect(t.server.stats().pendingDisconnectPauses).toBe(0);
      // Well past the instant the pause was due.
      await sleep(GRACE_MS + 700);
      expect(await sessionRow(t, session.id)).toEqual(before);
      expect(t.server.stats()).toMatchObject({ openSockets: 1, pendingDisconnectPauses: 0 });
    });

    it('does not pause while another socket of the student stays open, then pauses at the last one\'s loss', async () => {
      const { student, session } = await studentOn(t.origin);
      const before = await sessionRow(t, session.id);
      const [one, two] = [await connectStudent(t.origin, student), await connectStudent(t.origin, student)];
      t.clock.advanceSeconds(10);
      await one.dispose();
      await socketsClosed(1);
      expect(t.server.stats().pendingDisconnectPauses).toBe(0);
      await sleep(GRACE_MS + 500);
      expect(await sessionRow(t, session.id)).toEqual(before);

      t.clock.advanceSeconds(5);
      await two.dispose();
      await socketsClosed();
      t.clock.advanceSeconds(60);
      await waitForStatus(t.db, session.id, 'PAUSED');
      expect(await sessionRow(t, session.id)).toMatchObject({ accumulated_ms: 15_000, paused_reason: 'DISCONNECT' });
    });

    it('leaves the sessions of other students alone', async () => {
      const leaving = await studentOn(t.origin);
      const connected = await studentOn(t.origin);
      const httpOnly = await studentOn(t.origin);
      const rowsBefore = await Promise.all([connected, httpOnly].map((s) => sessionRow(t, s.session.id)));
      const [leavingWs] = [await connectStudent(t.origin, leaving.student), await connectStudent(t.origin, connected.student)];
      t.clock.advanceSeconds(12);
      await leavingWs.dispose();
      await socketsClosed(1);

      await waitForStatus(t.db, leaving.session.id, 'PAUSED');
      expect(await sessionRow(t, leaving.session.id)).toMatchObject({ accumulated_ms: 12_000, paused_reason: 'DISCONNECT' });
      // Give any wrongly scheduled pause the same time to land.
      await sleep(200);
      expect(await Promise.all([connected, httpOnly].map((s) => sessionRow(t, s.session.id)))).toEqual(rowsBefore);
      expect(t.server.stats().pendingDisconnectPauses).toBe(0);
    });
  });

  describe('last seen', () => {
    it('is written by the heartbeat while the student is connected, and no longer once they left', async () => {
      const { student } = await studentOn(t.origin);
      const at = () => lastSeenAt(t.db, student.userId);
      expect(await at()).toBeNull();
      await connectStudent(t.origin, student);
      const seenNow = async () => (await at())?.getTime() === t.clock.now().getTime();
      await eventually(seenNow, 2_000, 'the heartbeat to write the current instant');
      t.clock.advanceSeconds(7);
      await eventually(seenNow, 2_000, 'the heartbeat to write the new instant');
      t.clock.advanceSeconds(7);
      await eventually(seenNow, 2_000, 'the heartbeat to write the newer instant');

      t.clock.advanceSeconds(3);
      const lostAt = t.clock.now();
      await disposeSockets();
      await socketsClosed();
      await eventually(async () => (await at())?.getTime() === lostAt.getTime(), 2_000, 'the loss to be written');
      // No heartbeat for a student without a socket: several periods later it is unchanged.
      t.clock.advanceSeconds(30);
      await sleep(600);
      expect(await at()).toEqual(lostAt);
    });
  });

  describe('leaks', () => {
    it('holds nothing after 1,000 connect → subscribe → disconnect cycles, clean and abrupt', async () => {
      const STUDENTS = 10;
      const CYCLES = 1_000;
      const BATCH = 50;
      const students = await Promise.all(Array.from({ length: STUDENTS }, () => studentOn(t.origin)));
      // Let the frozen clock run in 50 ms steps so that sessions tick while subscribers come and go.
      const clockRunner = setInterval(() => t.clock.advance(50), 50);
      const subscribe = { id: '1', type: 'subscribe' };
      const kinds = {
        /** Subscribed, first update received, then the connection drops. */
        terminateAfterData: async (s: (typeof students)[number]) => {
          const socket = await connectRaw(t.origin, s.student);
          const first = nextMessageFor(socket, '1');
          socket.send(JSON.stringify({ ...subscribe, payload: { query: String(TIMER_UPDATED), variables: { id: s.session.id } } }));
          expect(await first).toMatchObject({ type: 'next' });
          socket.terminate();
        },
        /** The connection drops while the subscription is still being set up. */
        terminateWhileSubscribing: async (s: (typeof students)[number]) => {
          const socket = await connectRaw(t.origin, s.student);
          socket.send(JSON.stringify({ ...subscribe, payload: { query: String(TIMER_UPDATED), variables: { id: s.session.id } } }));
          socket.terminate();
        },
        /** graphql-ws client disposed with the subscription running (close 1000). */
        dispose: async (s: (typeof students)[number]) => {
          const ws = connectWs(wsUrl(t.origin), { connectionParams: { token: s.student.accessToken } });
          try {
            await ws.connected;
            await collect(ws.client, TIMER_UPDATED, { id: s.session.id }).waitFor(1);
          } finally {
            await ws.dispose();
          }
        },
        /** The client completes its subscription first, then closes. */
        unsubscribeThenClose: async (s: (typeof students)[number]) => {
          const ws = connectWs(wsUrl(t.origin), { connectionParams: { token: s.student.accessToken } });
          try {
            await ws.connected;
            const sub = collect(ws.client, TIMER_UPDATED, { id: s.session.id });
            await sub.waitFor(1);
            sub.unsubscribe();
          } finally {
            await ws.dispose();
          }
        },
      };
      const order = Object.values(kinds);
      try {
        for (let batch = 0; batch < CYCLES / BATCH; batch++) {
          await Promise.all(
            Array.from({ length: BATCH }, (_, i) => {
              const n = batch * BATCH + i;
              return within(order[n % order.length]!(students[n % STUDENTS]!), 10_000, `cycle ${n}`);
            }),
          );
          // After the last batch nobody comes back: leave the sessions to their pending pauses.
          if (batch === CYCLES / BATCH - 1) break;
          // A student without a socket for longer than the grace between two batches was paused:
          // keep every session running so that ticks keep flowing.
          const rows = await t.db.handle.db
            .selectFrom('study_sessions')
            .select(['id', 'status'])
            .where('id', 'in', students.map((s) => s.session.id))
            .execute();
          for (const row of rows.filter((r) => r.status === 'PAUSED')) {
            const s = students.find((x) => x.session.id === row.id)!;
            await s.student.client.ok(RESUME_SESSION, { id: row.id });
          }
        }
      } finally {
        clearInterval(clockRunner);
      }

      await eventually(
        () => {
          const { pendingDisconnectPauses: _pending, ...counts } = t.server.stats();
          return Object.values(counts).every((n) => n === 0);
        },
        10_000,
        'every socket, subscription, registration and listener to be released',
      );
      // Every student left: after the grace each session is paused, and nothing is pending.
      await eventually(() => isIdle(t.server.stats()), AFTER_GRACE_MS, 'the pending pauses to run');
      const rows = await t.db.handle.db
        .selectFrom('study_sessions')
        .select(['status', 'paused_reason'])
        .where('id', 'in', students.map((s) => s.session.id))
        .execute();
      expect(rows).toEqual(Array.from({ length: STUDENTS }, () => ({ status: 'PAUSED', paused_reason: 'DISCONNECT' })));
    }, 60_000);
  });
});

describe('with keep-alive pings every 0.3 s and a 2.5 s grace', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      env: { WS_KEEPALIVE_SECONDS: '0.3', DISCONNECT_GRACE_SECONDS: String(LONG_GRACE_MS / 1000) },
    });
  });
  afterAll(() => t?.close());
  afterEach(async () => {
    await disposeSockets();
    await eventually(() => isIdle(t.server.stats()), AFTER_GRACE_MS, 'an idle server');
  });

  it('terminates a socket that stops answering pings, and pauses its student after the grace', async () => {
    const { student, session } = await studentOn(t.origin);
    // A healthy client on the same server answers pings (ws does so by itself) and stays.
    const healthy = await connectStudent(t.origin, (await studentOn(t.origin)).student);
    t.clock.advanceSeconds(15);
    // A peer gone silent without closing: its pongs never come.
    // Pings are counted from the socket's creation: on a loaded machine the first may come
    // while connection_init is still being answered.
    let pings = 0;
    const silent = await connectRaw(t.origin, student, { autoPong: false }, (socket) => socket.on('ping', () => pings++));
    const connectedAt = Date.now();
    const [code] = (await within(once(silent, 'close'), 3_000, 'the server to cut the socket off')) as [number, Buffer];
    const cutOffAfter = Date.now() - connectedAt;

    expect(code).toBe(1006); // no close frame: terminated
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(cutOffAfter).toBeLessThan(1_200);
    await eventually(() => t.server.stats().openSockets === 1, 2_000, 'the server to drop the socket');
    t.clock.advanceSeconds(45);
    await waitForStatus(t.db, session.id, 'PAUSED');
    expect(await sessionRow(t, session.id)).toMatchObject({ accumulated_ms: 15_000, paused_reason: 'DISCONNECT' });
    expect(healthy.closes).toEqual([]);
    expect(t.server.stats()).toMatchObject({ openSockets: 1, authenticatedConnections: 1 });
  });

  /**
   * A one-minute POMODORO whose student's last socket goes 5 s before its plan ends; the clock
   * then moves 10 s on, past the end and within the grace.
   */
  async function loseLastSocketBeforeThePlanEnds() {
    const running = await studentOn(t.origin, { type: 'POMODORO', focusMinutes: 1 });
    t.clock.advanceSeconds(55);
    const ws = await connectStudent(t.origin, running.student);
    await ws.dispose();
    await eventually(() => t.server.stats().openSockets === 0, 5_000, 'the socket to close');
    t.clock.advanceSeconds(10);
    return running;
  }

  it('pauses a POMODORO at the loss even when its plan would have run out during the grace', async () => {
    // Lost 5 s before the end of a 1 min plan; the grace then lets the clock pass that end. The
    // student was gone for those 5 s, so (as pauseForDisconnect documents) the session is paused
    // at the loss with 5 s left, not completed with the full plan credited.
    const { student, session } = await loseLastSocketBeforeThePlanEnds();

    await eventually(async () => (await sessionRow(t, session.id)).status !== 'RUNNING', AFTER_GRACE_MS, 'the session to leave RUNNING');
    expect(await sessionRow(t, session.id)).toMatchObject({
      status: 'PAUSED',
      accumulated_ms: 55_000,
      paused_reason: 'DISCONNECT',
      ended_at: null,
    });
    expect(await read(student, session.id)).toMatchObject({ status: 'PAUSED', elapsedSeconds: 55, remainingSeconds: 5 });
  });

  it('does not show a POMODORO as finished while its pause is pending, since it will be paused', async () => {
    // Same situation as above, read over HTTP during the grace (the student's other device, or
    // a dashboard). The schema says activeSession is RUNNING or PAUSED, that a status filter
    // returns that status, and that a finished session stays finished: showing COMPLETED now
    // and PAUSED after the grace breaks all three.
    const { student, session } = await loseLastSocketBeforeThePlanEnds();
    expect(t.server.stats().pendingDisconnectPauses).toBe(1);

    const duringGrace = await student.client.ok(DASHBOARD, { id: session.id });
    await waitForStatus(t.db, session.id, 'PAUSED');
    const afterGrace = await read(student, session.id);
    expect(afterGrace).toMatchObject({ status: 'PAUSED', elapsedSeconds: 55, remainingSeconds: 5 });

    const unfinished = expect.stringMatching(/^(RUNNING|PAUSED)$/);
    expect({
      session: duringGrace.session?.status,
      activeSession: duringGrace.activeSession?.status,
      runningPage: duringGrace.sessions.edges.map((e) => e.node.status),
    }).toEqual({ session: unfinished, activeSession: unfinished, runningPage: ['RUNNING'] });
  });
});

describe('after a restart', () => {
  const logger = createLogger('silent');
  const config = loadConfig({
    ...testEnv,
    DISCONNECT_GRACE_SECONDS: String(LONG_GRACE_MS / 1000),
    ACCESS_TOKEN_TTL_SECONDS: '86400',
  });
  const clock = new ManualClock();
  let db: TestDatabase;
  const servers: StudyclockServer[] = [];
  /** A server on the shared database; closing it leaves the database open. */
  async function boot(): Promise<StudyclockServer> {
    const server = await startServer({ config, clock, logger, database: db.handle });
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await disposeSockets();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  afterAll(() => db?.dispose());

  it('pauses sessions left RUNNING by a crash at their student\'s last-seen instant, unless the student reconnects', async () => {
    const before = await boot();
    const lost = await studentOn(before.origin);
    const returning = await studentOn(before.origin);
    const httpOnly = await studentOn(before.origin);
    await before.close();
    // What a server crashing 45 s into these sessions leaves behind: the rows still RUNNING
    // and, for the students it had sockets of, the last heartbeat.
    const lastSeen = new Date(clock.now().getTime() + 45_000);
    await db.handle.db
      .updateTable('users')
      .set({ last_seen_at: lastSeen })
      .where('id', 'in', [lost.student.userId, returning.student.userId])
      .execute();
    clock.advanceSeconds(300);

    const after = await boot();
    expect(after.stats().pendingDisconnectPauses).toBe(2);
    await connectStudent(after.origin, returning.student);
    expect(after.stats().pendingDisconnectPauses).toBe(1);

    await waitForStatus(db, lost.session.id, 'PAUSED');
    expect(await sessionRow({ db }, lost.session.id)).toMatchObject({
      status: 'PAUSED',
      accumulated_ms: 45_000,
      paused_reason: 'DISCONNECT',
    });
    // The students' HTTP clients point at the first server.
    const api = (s: Student) => new GraphQLTestClient(`${after.origin}/graphql`).withToken(s.accessToken);
    const viaHttp = await api(lost.student).ok(SESSION, { id: lost.session.id });
    expect(viaHttp.session).toMatchObject({ status: 'PAUSED', elapsedSeconds: 45, pausedReason: 'DISCONNECT' });
    // The pause of the returning student was due at the same instant and was cancelled.
    await sleep(200);
    expect(after.stats().pendingDisconnectPauses).toBe(0);
    expect(await sessionRow({ db }, returning.session.id)).toMatchObject({ status: 'RUNNING', version: 1 });
    // A student who was never seen during the run drives the session over HTTP: not paused.
    expect(await sessionRow({ db }, httpOnly.session.id)).toMatchObject({ status: 'RUNNING', version: 1 });

    // Leave nothing running for the next test.
    for (const s of [returning, httpOnly]) await api(s.student).ok(STOP_SESSION, { id: s.session.id });
  });

  it('pauses a session whose student was connected at a graceful shutdown, at the shutdown instant', async () => {
    const before = await boot();
    const { student, session } = await studentOn(before.origin);
    // The 1001 close is expected (and asserted below): keep graphql-ws from logging it.
    const ws = await connectStudent(before.origin, student, { onNonLazyError: () => {} });
    clock.advanceSeconds(20);
    const shutdownAt = clock.now();
    await before.close();
    // The server is done once its side of each socket has closed; the client hears it just after.
    await eventually(() => ws.closes.length > 0, 2_000, 'the client to see the close');
    expect(ws.closes).toEqual([{ code: 1001, reason: 'Going away' }]);
    // The pause that was pending at shutdown is not written by the stopping server...
    expect(await sessionRow({ db }, session.id)).toMatchObject({ status: 'RUNNING', version: 1 });
    expect(await lastSeenAt(db, student.userId)).toEqual(shutdownAt);
    clock.advanceSeconds(600);

    // ...but redone by the next one, counted to the shutdown.
    const after = await boot();
    expect(after.stats().pendingDisconnectPauses).toBe(1);
    await waitForStatus(db, session.id, 'PAUSED');
    expect(await sessionRow({ db }, session.id)).toMatchObject({ accumulated_ms: 20_000, paused_reason: 'DISCONNECT' });
  });

  it('pauses a POMODORO left RUNNING by a crash at the last-seen instant, even if its plan ran out during the downtime', async () => {
    const before = await boot();
    const { student, session } = await studentOn(before.origin, { type: 'POMODORO', focusMinutes: 25 });
    await before.close();
    const lastSeen = new Date(clock.now().getTime() + 45_000);
    await db.handle.db.updateTable('users').set({ last_seen_at: lastSeen }).where('id', '=', student.userId).execute();
    // Down for an hour: longer than what was left of the plan at the last heartbeat.
    clock.advanceSeconds(3_600);

    const after = await boot();
    expect(after.stats().pendingDisconnectPauses).toBe(1);
    await eventually(async () => (await sessionRow({ db }, session.id)).status !== 'RUNNING', AFTER_GRACE_MS, 'the session to leave RUNNING');
    // The student was last seen 45 s in: that is all the time they can be credited with.
    expect(await sessionRow({ db }, session.id)).toMatchObject({
      status: 'PAUSED',
      accumulated_ms: 45_000,
      paused_reason: 'DISCONNECT',
      ended_at: null,
    });
  });
});
