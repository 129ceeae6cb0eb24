import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  ACTIVE_SESSION_UPDATED,
  DELETE_ACCOUNT,
  LOG_OUT,
  PASSWORD,
  PAUSE_SESSION,
  REFRESH,
  RESUME_SESSION,
  STOP_SESSION,
  type Student,
  studentWithSession,
  TIMER_UPDATED,
} from '../support/fixtures.js';
import type { ActiveSessionUpdatedSubscription, TimerSubscription } from '../__generated__/graphql.js';
import { CLUSTER_ADMIN_URL, CLUSTER_REDIS_URL, clusterKeyPrefix, startClusterMember } from '../support/cluster.js';
import { ManualClock } from '../support/manual-clock.js';
import type { TestServer } from '../support/server.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { type CloseInfo, type Collected, collect, connectStudent, disposeSockets, eventually, within, type WsTestClient } from '../support/ws-client.js';

// Three instances on one PostgreSQL database and one Redis form a cluster: what is committed on
// one reaches the live subscribers of the others through the Redis stream, and the reconcile
// loop repairs whatever the stream lost. Instance C reaches Redis through a TCP proxy the tests cut.
const RECONCILE_SECONDS = 3;
/** Room for a loaded machine on top of an expected delay. */
const MARGIN_MS = 1_500;
const METRICS_TOKEN = 'metrics-token-of-the-cluster-tests-0123456789';

// Every instance's clock stands still unless a test moves it: no ticks, so every frame is a change.
const clock = new ManualClock();
const prefix = clusterKeyPrefix();
const streamKey = `${prefix}events`;
let shared: TestDatabase;
let redisProxy: TcpProxy;
let admin: Redis;
let a: TestServer;
let b: TestServer;
let c: TestServer;

function instance(name: string, redisUrl?: string): Promise<TestServer> {
  // No disconnect pause during the file: sockets closed after each test leave their sessions be.
  const env = {
    CLUSTER_RECONCILE_SECONDS: String(RECONCILE_SECONDS),
    CLUSTER_HEARTBEAT_SECONDS: '1',
    DISCONNECT_GRACE_SECONDS: '3600',
    METRICS_TOKEN,
  };
  return startClusterMember({ name, shared, prefix, clock, redisUrl, env });
}

beforeAll(async () => {
  shared = await createTestDatabase({ adminUrl: CLUSTER_ADMIN_URL });
  redisProxy = await TcpProxy.start(CLUSTER_REDIS_URL);
  admin = new Redis(CLUSTER_REDIS_URL);
  a = await instance('a');
  b = await instance('b');
  c = await instance('c', redisProxy.url(CLUSTER_REDIS_URL));
});
afterAll(async () => {
  await Promise.all([a, b, c].map((s) => s?.close()));
  await admin?.del(streamKey);
  admin?.disconnect();
  await redisProxy?.close();
  await shared?.dispose();
});
afterEach(async () => {
  redisProxy.restore();
  await disposeSockets();
});

type Timer = TimerSubscription['timerUpdated'];

function watchTimer(origin: string, student: Student, sessionId: string): Promise<Collected<TimerSubscription>> {
  return connectStudent(origin, student).then((ws) => collect(ws.client, TIMER_UPDATED, { id: sessionId }));
}

function watchActive(origin: string, student: Student): Promise<Collected<ActiveSessionUpdatedSubscription>> {
  return connectStudent(origin, student).then((ws) => collect(ws.client, ACTIVE_SESSION_UPDATED));
}

/**
 * The socket's first close, whether it has come already or not: a close the stream delivers may
 * come before the HTTP answer of the mutation that caused it.
 */
const firstClose = (ws: WsTestClient): Promise<CloseInfo> => (ws.closes[0] ? Promise.resolve(ws.closes[0]) : ws.nextClose());

const timers = (sub: Collected<TimerSubscription>): Timer[] => sub.results.map((r) => r.data!.timerUpdated);
const last = <T>(list: T[]): T | undefined => list[list.length - 1];

async function storedStatus(sessionId: string): Promise<string> {
  const row = await shared.handle.db.selectFrom('study_sessions').select('status').where('id', '=', sessionId).executeTakeFirstOrThrow();
  return row.status;
}

describe('fan-out of committed changes', () => {
  it('brings a change made over HTTP on A to the subscribers on A, B and C: exactly one frame per change, in order', async () => {
    const { student, session } = await studentWithSession(a.client());
    const subs = await Promise.all([a, b, c].map((s) => watchTimer(s.origin, student, session.id)));
    const active = await watchActive(b.origin, student);
    await Promise.all([...subs.map((s) => s.waitFor(1)), active.waitFor(1)]);

    await student.client.ok(PAUSE_SESSION, { id: session.id });
    await Promise.all(subs.map((s) => s.waitFor(2)));
    await student.client.ok(RESUME_SESSION, { id: session.id });
    await Promise.all(subs.map((s) => s.waitFor(3)));
    await student.client.ok(STOP_SESSION, { id: session.id });
    await Promise.all(subs.map((s) => within(s.done, 5_000, 'the subscription to complete')));

    for (const sub of subs) expect(timers(sub).map((u) => u.status)).toEqual(['RUNNING', 'PAUSED', 'RUNNING', 'STOPPED']);
    await active.waitFor(4);
    expect(active.results.map((r) => r.data!.activeSessionUpdated.session?.status)).toEqual(['RUNNING', 'PAUSED', 'RUNNING', 'STOPPED']);
    // A reconcile (every 3 s) re-reads the same versions: no frame is sent twice.
    await new Promise((r) => setTimeout(r, RECONCILE_SECONDS * 1000 + 500));
    expect(active.results).toHaveLength(4);
  });

  it('closes the sockets of a log-in on B and C with 4403 when it logs out on A', async () => {
    const { student } = await studentWithSession(a.client());
    const onB = await connectStudent(b.origin, student);
    const onC = await connectStudent(c.origin, student);
    await student.client.ok(LOG_OUT, { refreshToken: student.refreshToken });
    expect(await within(firstClose(onB), 5_000, 'B to close the socket')).toEqual({ code: 4403, reason: 'Logged out' });
    expect(await within(firstClose(onC), 5_000, 'C to close the socket')).toEqual({ code: 4403, reason: 'Logged out' });
  });

  it('closes the sockets of a log-in on B with 4403 when its refresh token is reused on A', async () => {
    const { student } = await studentWithSession(a.client());
    const onB = await connectStudent(b.origin, student);
    await a.client().ok(REFRESH, { refreshToken: student.refreshToken });
    // The spent token again, past the grace for racing tabs: reuse revokes the whole log-in, on every instance.
    clock.advance(11_000);
    const reused = await a.client().request(REFRESH, { refreshToken: student.refreshToken });
    expect(reused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await within(firstClose(onB), 5_000, 'B to close the socket')).toEqual({ code: 4403, reason: 'Logged out' });
  });

  it('closes every socket of a disabled student on B and C with 4403', async () => {
    const { student } = await studentWithSession(a.client());
    const onB = await connectStudent(b.origin, student);
    const onC = await connectStudent(c.origin, student);
    await a.server.services.users.disableUser(student.userId);
    expect(await within(firstClose(onB), 5_000, 'B to close the socket')).toEqual({ code: 4403, reason: 'User disabled' });
    expect(await within(firstClose(onC), 5_000, 'C to close the socket')).toEqual({ code: 4403, reason: 'User disabled' });
  });

  it('closes every socket of a deleted account on B and C with 4403', async () => {
    const { student } = await studentWithSession(a.client());
    const onB = await connectStudent(b.origin, student);
    const onC = await connectStudent(c.origin, student);
    await student.client.ok(DELETE_ACCOUNT, { password: PASSWORD });
    expect(await within(firstClose(onB), 5_000, 'B to close the socket')).toEqual({ code: 4403, reason: 'Account deleted' });
    expect(await within(firstClose(onC), 5_000, 'C to close the socket')).toEqual({ code: 4403, reason: 'Account deleted' });
    // Their presence went with the account: no socket row, no pending pause.
    const presence = await shared.handle.db.selectFrom('ws_connections').select('id').where('user_id', '=', student.userId)
      .union(shared.handle.db.selectFrom('presence_pending').select('user_id as id').where('user_id', '=', student.userId)).execute();
    expect(presence).toEqual([]);
  });

  it('completes a POMODORO that runs out under subscribers on three instances once, with one COMPLETED frame each', async () => {
    const { student, session } = await studentWithSession(a.client(), { type: 'POMODORO', focusMinutes: 1 });
    const subs = await Promise.all([a, b, c].map((s) => watchTimer(s.origin, student, session.id)));
    await Promise.all(subs.map((s) => s.waitFor(1)));
    clock.advance(61_000);
    await Promise.all(subs.map((s) => within(s.done, 5_000, 'the subscription to complete')));
    for (const sub of subs) {
      expect(timers(sub).filter((u) => u.status === 'COMPLETED')).toHaveLength(1);
      expect(last(timers(sub))).toMatchObject({ status: 'COMPLETED', elapsedSeconds: 60, remainingSeconds: 0 });
    }
    // One completion: the row went from version 1 to 2, and one running stretch ended.
    const row = await shared.handle.db.selectFrom('study_sessions').select(['status', 'version']).where('id', '=', session.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'COMPLETED', version: 2 });
    const runs = await shared.handle.db.selectFrom('study_session_runs').select('ended_at').where('session_id', '=', session.id).execute();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.ended_at).not.toBeNull();
  });
});

describe('what the stream loses, the reconcile repairs', () => {
  it('brings a change made while C is cut from Redis to C once Redis is back, within a second', async () => {
    const { student, session } = await studentWithSession(a.client());
    const sub = await watchTimer(c.origin, student, session.id);
    await sub.waitFor(1);
    redisProxy.cut();
    await eventually(() => c.server.services && readyz(c).then((r) => r.cluster.stream === 'disconnected'), 5_000, 'C to notice');
    await student.client.ok(PAUSE_SESSION, { id: session.id });
    redisProxy.restore();
    const back = Date.now();
    await sub.waitFor(2, RECONCILE_SECONDS * 1000 + MARGIN_MS);
    expect(Date.now() - back).toBeLessThan(1_000 + MARGIN_MS);
    expect(timers(sub).map((u) => u.status)).toEqual(['RUNNING', 'PAUSED']);
    expect(await storedStatus(session.id)).toBe('PAUSED');
  });

  it('brings a change to C within the reconcile period while Redis stays away from C, and mutations on C keep working', async () => {
    const { student, session } = await studentWithSession(a.client());
    const sub = await watchTimer(c.origin, student, session.id);
    await sub.waitFor(1);
    redisProxy.cut();
    const changed = Date.now();
    await student.client.ok(PAUSE_SESSION, { id: session.id });
    await sub.waitFor(2, RECONCILE_SECONDS * 1000 + MARGIN_MS);
    expect(Date.now() - changed).toBeLessThan(RECONCILE_SECONDS * 1000 + MARGIN_MS);
    // C commits without Redis; A's subscriber hears of it by A's reconcile.
    const onA = await watchTimer(a.origin, student, session.id);
    await onA.waitFor(1);
    const resumed = await c.client().withToken(student.accessToken).ok(RESUME_SESSION, { id: session.id });
    expect(resumed.resumeSession.status).toBe('RUNNING');
    await onA.waitFor(2, RECONCILE_SECONDS * 1000 + MARGIN_MS);
    expect(timers(onA).map((u) => u.status)).toEqual(['PAUSED', 'RUNNING']);
    expect(timers(sub).map((u) => u.status)).toEqual(['RUNNING', 'PAUSED', 'RUNNING']);
  });

  it('closes a log-in\'s socket on C within the reconcile period when C never hears of the log-out', async () => {
    const { student } = await studentWithSession(a.client());
    const onC = await connectStudent(c.origin, student);
    const repaired = await metric(c, 'studyclock_cluster_revocation_repairs_total');
    redisProxy.cut();
    await eventually(() => readyz(c).then((r) => r.cluster.stream === 'disconnected'), 5_000, 'C to notice');
    const loggedOut = Date.now();
    await student.client.ok(LOG_OUT, { refreshToken: student.refreshToken });
    expect(await within(firstClose(onC), RECONCILE_SECONDS * 1000 + MARGIN_MS, 'C to close the socket')).toEqual({ code: 4403, reason: 'Logged out' });
    expect(Date.now() - loggedOut).toBeLessThan(RECONCILE_SECONDS * 1000 + MARGIN_MS);
    // Closed by C's reconcile, not by an entry of the stream.
    expect(await metric(c, 'studyclock_cluster_revocation_repairs_total')).toBe(repaired + 1);
  });

  it('recovers when the stream is gone (Redis restarted empty) and goes on hearing new entries', async () => {
    const { student, session } = await studentWithSession(a.client());
    const sub = await watchTimer(c.origin, student, session.id);
    await sub.waitFor(1);
    redisProxy.cut();
    await student.client.ok(PAUSE_SESSION, { id: session.id });
    await admin.del(streamKey);
    redisProxy.restore();
    await sub.waitFor(2, RECONCILE_SECONDS * 1000 + MARGIN_MS);
    // The new stream is read from its start: the next change arrives through it, at once.
    const resumedAt = Date.now();
    await student.client.ok(RESUME_SESSION, { id: session.id });
    await sub.waitFor(3, 1_000 + MARGIN_MS);
    expect(Date.now() - resumedAt).toBeLessThan(RECONCILE_SECONDS * 1000);
    expect(timers(sub).map((u) => u.status)).toEqual(['RUNNING', 'PAUSED', 'RUNNING']);
  });
});

interface Readiness {
  status: string;
  cluster: { instance: string; redis: boolean; stream: string };
}

async function readyz(s: TestServer): Promise<Readiness> {
  return (await fetch(`${s.origin}/readyz`)).json() as Promise<Readiness>;
}

describe('readiness', () => {
  it('reports the instance, Redis and its stream reader', async () => {
    expect(await readyz(b)).toEqual({ status: 'ready', database: true, cluster: { instance: 'b', redis: true, stream: 'reading' } });
  });

  it('reports Redis down and the reader disconnected while Redis is cut, still ready, and both back after', async () => {
    redisProxy.cut();
    await eventually(() => readyz(c).then((r) => !r.cluster.redis && r.cluster.stream === 'disconnected'), 5_000, 'C to notice');
    expect(await readyz(c)).toEqual({ status: 'ready', database: true, cluster: { instance: 'c', redis: false, stream: 'disconnected' } });
    redisProxy.restore();
    await eventually(() => readyz(c).then((r) => r.cluster.redis && r.cluster.stream === 'reading'), 10_000, 'C to be back');
  });
});

/** One series' value on the instance's /metrics (0 when absent). */
async function metric(s: TestServer, series: string): Promise<number> {
  const text = await (await fetch(`${s.origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('metrics', () => {
  it('counts the changes heard from other instances with their delivery lag, and the live instances and sockets of the cluster', async () => {
    const { student, session } = await studentWithSession(a.client());
    const sub = await watchTimer(b.origin, student, session.id);
    await sub.waitFor(1);
    const [heard, delivered] = [await metric(b, 'studyclock_cluster_events_heard_total'), await metric(b, 'studyclock_cluster_delivery_lag_seconds_count')];
    await student.client.ok(PAUSE_SESSION, { id: session.id });
    await sub.waitFor(2);
    expect(await metric(b, 'studyclock_cluster_events_heard_total')).toBeGreaterThan(heard);
    expect(await metric(b, 'studyclock_cluster_delivery_lag_seconds_count')).toBe(delivered + 1);
    expect(await metric(b, 'studyclock_cluster_delivery_lag_seconds_bucket{le="+Inf"}')).toBe(delivered + 1);
    // Refreshed at each heartbeat (every second here).
    await eventually(async () => (await metric(b, 'studyclock_cluster_live_instances')) === 3, 3_000, 'three live instances');
    await eventually(async () => (await metric(b, 'studyclock_cluster_sockets')) >= 1, 3_000, 'the socket counted');
  });

  it('counts a commit whose entry could not be appended, and the repair of a change the stream lost', async () => {
    const { student, session } = await studentWithSession(a.client());
    const sub = await watchTimer(c.origin, student, session.id);
    await sub.waitFor(1);
    // One reconcile on C first: it records the version C's subscriber has.
    const reconciles = await metric(c, 'studyclock_cluster_reconciles_total');
    await eventually(async () => (await metric(c, 'studyclock_cluster_reconciles_total')) > reconciles, RECONCILE_SECONDS * 1000 + MARGIN_MS, 'a reconcile');
    const [repairs, failures] = [await metric(c, 'studyclock_cluster_reconcile_repairs_total'), await metric(c, 'studyclock_cluster_publish_failures_total')];
    redisProxy.cut();
    await eventually(() => readyz(c).then((r) => r.cluster.stream === 'disconnected'), 5_000, 'C to notice');
    await student.client.ok(PAUSE_SESSION, { id: session.id });
    await sub.waitFor(2, RECONCILE_SECONDS * 1000 + MARGIN_MS);
    expect(await metric(c, 'studyclock_cluster_reconcile_repairs_total')).toBe(repairs + 1);
    await c.client().withToken(student.accessToken).ok(RESUME_SESSION, { id: session.id });
    // The append fails at once (no offline queue), after the commit the answer reports.
    await eventually(async () => (await metric(c, 'studyclock_cluster_publish_failures_total')) === failures + 1, 2_000, 'the failure counted');
  });
});
