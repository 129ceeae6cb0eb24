import { setTimeout as delay } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { studentWithSession } from '../support/fixtures.js';
import { CLUSTER_ADMIN_URL, CLUSTER_REDIS_URL, clusterKeyPrefix, startClusterMember } from '../support/cluster.js';
import { ManualClock } from '../support/manual-clock.js';
import type { TestServer } from '../support/server.js';
import { startServerProcess, stopServerProcesses } from '../support/server-process.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { connectStudent, disposeSockets, eventually, openClient, within, wsUrl } from '../support/ws-client.js';

// Presence across instances, in PostgreSQL: a student is paused only when they have no socket on
// any live instance, after the grace, at the instant the last one went; a crashed instance's
// students are paused at its last heartbeat unless they come back elsewhere; an instance that
// cannot write its heartbeat gives its sockets up (1013); a graceful shutdown closes with 1012
// and pauses nobody who reconnects. Real time throughout (presence instants are PostgreSQL's
// `now()`), with a fast heartbeat: dead after 3 × 1 s.
const HEARTBEAT_SECONDS = 1;
const LIVENESS_MS = 3 * HEARTBEAT_SECONDS * 1000;
const GRACE_SECONDS = 2;
const MAX_SOCKETS_PER_STUDENT = 3;
/** Room for a loaded machine on top of an expected delay. */
const MARGIN_MS = 2_000;
/** The access-token secret every member shares (test/support/server.ts's), so a token from one works on all. */
const JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

const clock = new ManualClock({ running: true });
const prefix = clusterKeyPrefix();
const env = {
  CLUSTER_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS),
  DISCONNECT_GRACE_SECONDS: String(GRACE_SECONDS),
  WS_MAX_SOCKETS_PER_STUDENT: String(MAX_SOCKETS_PER_STUDENT),
};
let shared: TestDatabase;
let pgProxy: TcpProxy;
let a: TestServer;
let b: TestServer;
/** Reaches PostgreSQL through `pgProxy`. */
let c: TestServer;
const extra: TestServer[] = [];

function member(name: string, databaseUrl?: string): Promise<TestServer> {
  return startClusterMember({ name, shared, prefix, clock, databaseUrl, env });
}

beforeAll(async () => {
  shared = await createTestDatabase({ adminUrl: CLUSTER_ADMIN_URL });
  pgProxy = await TcpProxy.start(shared.url!);
  a = await member('a');
  b = await member('b');
  c = await member('c', pgProxy.url(shared.url!));
});
afterAll(async () => {
  await Promise.all([a, b, c, ...extra].map((s) => s?.close()));
  await stopServerProcesses();
  await pgProxy?.close();
  await shared?.dispose();
});
afterEach(async () => {
  pgProxy.restore();
  await disposeSockets();
});

async function stored(sessionId: string): Promise<{ status: string; paused_reason: string | null }> {
  return shared.handle.db.selectFrom('study_sessions').select(['status', 'paused_reason']).where('id', '=', sessionId).executeTakeFirstOrThrow();
}

/** When the session's last running stretch ended (its pause instant). */
async function pausedAt(sessionId: string): Promise<Date> {
  const run = await shared.handle.db
    .selectFrom('study_session_runs')
    .select('ended_at')
    .where('session_id', '=', sessionId)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  return run.ended_at!;
}

const instanceIds = async () => (await shared.handle.db.selectFrom('instances').select('id').orderBy('id').execute()).map((r) => r.id);

/** Past the point where a pause would have been written: liveness, grace and a sweep. */
const pastGrace = () => delay(LIVENESS_MS + GRACE_SECONDS * 1000 + MARGIN_MS);

describe('a student on two instances', () => {
  it('keeps the session RUNNING past the grace while the laptop on B stays, and pauses it at the laptop\'s close once it goes too', async () => {
    const { student, session } = await studentWithSession(a.client());
    const phone = await connectStudent(a.origin, student);
    const laptop = await connectStudent(b.origin, student);
    await phone.dispose();
    await pastGrace();
    expect(await stored(session.id)).toEqual({ status: 'RUNNING', paused_reason: null });

    const closedAt = Date.now();
    await laptop.dispose();
    await eventually(async () => (await stored(session.id)).status === 'PAUSED', GRACE_SECONDS * 1000 + MARGIN_MS + 1_000, 'the pause');
    expect(await stored(session.id)).toEqual({ status: 'PAUSED', paused_reason: 'DISCONNECT' });
    expect(Math.abs((await pausedAt(session.id)).getTime() - closedAt)).toBeLessThanOrEqual(1_000);
  });

  it('counts WS_MAX_SOCKETS_PER_STUDENT over every instance: 1013 Too many connections beyond, a place again once one closes', async () => {
    const { student } = await studentWithSession(a.client());
    await connectStudent(a.origin, student);
    const onB = await connectStudent(b.origin, student);
    await connectStudent(c.origin, student);
    const refused = openClient(wsUrl(a.origin), { connectionParams: { token: student.accessToken } });
    await expect(refused.connected).rejects.toMatchObject({ code: 1013, reason: 'Too many connections' });
    await onB.dispose();
    await expect(connectStudent(a.origin, student)).resolves.toBeDefined();
  });
});

describe('instances coming and going', () => {
  it('pauses nobody when a third instance starts while sessions run on A and B', async () => {
    const onA = await studentWithSession(a.client());
    const onB = await studentWithSession(b.client());
    const overHttpOnly = await studentWithSession(a.client());
    await connectStudent(a.origin, onA.student);
    await connectStudent(b.origin, onB.student);
    const d = await member('d');
    extra.push(d);
    await pastGrace();
    for (const { session } of [onA, onB, overHttpOnly]) expect(await stored(session.id)).toEqual({ status: 'RUNNING', paused_reason: null });
  });

  it('closes with 1012 Service restart on a graceful shutdown, and a student who reconnects elsewhere within the grace keeps running', async () => {
    const e = await member('e');
    extra.push(e);
    const { student, session } = await studentWithSession(e.client());
    const socket = await connectStudent(e.origin, student);
    const closed = socket.nextClose();
    const stopping = e.close();
    expect(await within(closed, 5_000, 'the socket to close')).toEqual({ code: 1012, reason: 'Service restart' });
    await connectStudent(a.origin, student);
    await stopping;
    expect(await instanceIds()).not.toContain('e');
    await pastGrace();
    expect(await stored(session.id)).toEqual({ status: 'RUNNING', paused_reason: null });
  });

  it('gives up its sockets with 1013 when it cannot write its heartbeat; its students who move keep running; it takes sockets again once back', async () => {
    const { student, session } = await studentWithSession(a.client());
    const onC = await connectStudent(c.origin, student);
    const closed = onC.nextClose();
    pgProxy.cut();
    // Half the liveness period without a heartbeat, then the next tick of the heartbeat.
    expect(await within(closed, LIVENESS_MS / 2 + HEARTBEAT_SECONDS * 1000 + MARGIN_MS, 'C to give up the socket')).toEqual({
      code: 1013,
      reason: 'Try again later',
    });
    await connectStudent(a.origin, student);
    // The others retire C once its heartbeat is old; the student is on A by then.
    await eventually(async () => !(await instanceIds()).includes('c'), LIVENESS_MS + MARGIN_MS + 1_000, 'C to be retired');
    await pastGrace();
    expect(await stored(session.id)).toEqual({ status: 'RUNNING', paused_reason: null });

    pgProxy.restore();
    await eventually(async () => (await instanceIds()).includes('c'), 10_000, 'C to rejoin');
    await eventually(
      () => connectStudent(c.origin, student).then(() => true, () => false),
      10_000,
      'C to take sockets again',
    );
  });
});

describe('an instance killed with SIGKILL', () => {
  it('keeps running the students who reconnect to B, pauses the others at its last heartbeat, and leaves B\'s students alone', async () => {
    const k = await startServerProcess({
      DATABASE_URL: shared.url!,
      REDIS_URL: CLUSTER_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      INSTANCE_ID: 'k',
      JWT_SECRET,
      LOG_LEVEL: 'warn',
      ...env,
    });
    const moving = await studentWithSession(a.client());
    const staying = await studentWithSession(a.client());
    const onB = await studentWithSession(a.client());
    await connectStudent(k.origin, moving.student);
    await connectStudent(k.origin, staying.student);
    await connectStudent(b.origin, onB.student);
    await eventually(async () => (await instanceIds()).includes('k'), 5_000, 'k to join');

    k.child.kill('SIGKILL');
    const killedAt = Date.now();
    await k.exited;
    await connectStudent(b.origin, moving.student);

    // Dead after the liveness period, then the grace: decided within both and a sweep.
    await eventually(async () => (await stored(staying.session.id)).status === 'PAUSED', LIVENESS_MS + GRACE_SECONDS * 1000 + MARGIN_MS + 1_000, 'the pause');
    const error = killedAt - (await pausedAt(staying.session.id)).getTime();
    // At its last heartbeat: before the kill, by at most one heartbeat period (and the machine's slack).
    expect(error).toBeGreaterThanOrEqual(-100);
    expect(error).toBeLessThanOrEqual(HEARTBEAT_SECONDS * 1000 + 1_000);
    expect(await instanceIds()).not.toContain('k');
    await delay(GRACE_SECONDS * 1000 + MARGIN_MS);
    expect(await stored(moving.session.id)).toEqual({ status: 'RUNNING', paused_reason: null });
    expect(await stored(onB.session.id)).toEqual({ status: 'RUNNING', paused_reason: null });
  });
});
