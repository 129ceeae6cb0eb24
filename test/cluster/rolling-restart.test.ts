import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type Student, studentWithSession, TIMER_UPDATED } from '../support/fixtures.js';
import type { TimerSubscription } from '../__generated__/graphql.js';
import { CLUSTER_ADMIN_URL, CLUSTER_REDIS_URL, clusterKeyPrefix, readyInstances, startClusterMember } from '../support/cluster.js';
import { describeHaproxy, type HaproxyProcess, startHaproxy } from '../support/haproxy.js';
import { ManualClock } from '../support/manual-clock.js';
import type { TestServer } from '../support/server.js';
import { type Collected, collect, disposeSockets, eventually, openClient, wsUrl } from '../support/ws-client.js';

// A rolling restart behind the real HAProxy of deploy/haproxy.cfg: each instance in turn is shut
// down (SIGTERM's path: its sockets close with 1012) and started again on its port, while
// students' timers tick. graphql-ws clients reconnect through HAProxy as a browser's would. No
// session may be paused by it, and every subscriber must be back, its first message after each
// reconnection the current state. Real time: ticks and presence instants are the clock's.
const GRACE_SECONDS = 5;
const HEARTBEAT_SECONDS = 0.5;
const STUDENTS = 6;
/** The bound: every subscriber back within this long of its instance going. */
const BACK_WITHIN_MS = 35_000;

const clock = new ManualClock({ running: true });
const prefix = clusterKeyPrefix();
let shared: TestDatabase;
let lb: HaproxyProcess;
const members: Record<'api-1' | 'api-2', TestServer | undefined> = { 'api-1': undefined, 'api-2': undefined };

function member(name: 'api-1' | 'api-2', port = 0): Promise<TestServer> {
  const env = { PORT: String(port), DISCONNECT_GRACE_SECONDS: String(GRACE_SECONDS), CLUSTER_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS) };
  return startClusterMember({ name, shared, prefix, clock, env });
}


/** A student's timer through HAProxy, reconnecting (and re-subscribing) as Apollo Client's graphql-ws link would. */
function watchThroughLb(student: Student, sessionId: string): { sub: Collected<TimerSubscription>; reconnections: () => number } {
  let connections = 0;
  const ws = openClient(wsUrl(lb.origin), {
    connectionParams: { token: student.accessToken },
    retryAttempts: 30,
    shouldRetry: () => true,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, 300)),
    on: { connected: () => void connections++ },
  });
  return { sub: collect(ws.client, TIMER_UPDATED, { id: sessionId }), reconnections: () => connections - 1 };
}

const stored = (ids: string[]) =>
  shared.handle.db.selectFrom('study_sessions').select(['id', 'status', 'paused_reason']).where('id', 'in', ids).execute();

describeHaproxy('a rolling restart behind HAProxy', () => {
  beforeAll(async () => {
    shared = await createTestDatabase({ adminUrl: CLUSTER_ADMIN_URL });
    members['api-1'] = await member('api-1');
    members['api-2'] = await member('api-2');
    lb = await startHaproxy({ 'api-1': `127.0.0.1:${members['api-1'].server.port}`, 'api-2': `127.0.0.1:${members['api-2'].server.port}` });
    await eventually(async () => (await readyInstances(lb.origin, 4)).size === 2, 15_000, 'both instances behind HAProxy');
  }, 60_000);
  afterAll(async () => {
    await disposeSockets();
    await lb?.close();
    await Promise.all(Object.values(members).map((s) => s?.close()));
    const redis = new Redis(CLUSTER_REDIS_URL);
    await redis.del(`${prefix}events`);
    redis.disconnect();
    await shared?.dispose();
  });

  it('pauses nobody, and brings every subscriber back with the current state first, while each instance restarts in turn', async () => {
    const students = await Promise.all(Array.from({ length: STUDENTS }, () => studentWithSession(members['api-1']!.client())));
    const watchers = students.map(({ student, session }) => watchThroughLb(student, session.id));
    await Promise.all(watchers.map(({ sub }) => sub.waitFor(2, 10_000)));

    for (const name of ['api-1', 'api-2'] as const) {
      const old = members[name]!;
      const port = old.server.port;
      const counts = watchers.map(({ sub }) => sub.results.length);
      const reconnected = watchers.map(({ reconnections }) => reconnections());
      const down = Date.now();
      await old.close();
      members[name] = await member(name, port);
      // Everyone the restarted instance held is back (on either instance) and ticking again.
      await eventually(
        () => watchers.every(({ sub }, i) => sub.results.length >= counts[i]! + 2),
        BACK_WITHIN_MS,
        `every subscriber back after ${name} restarted`,
      );
      expect(Date.now() - down).toBeLessThan(BACK_WITHIN_MS);
      expect(watchers.some(({ reconnections }, i) => reconnections() > reconnected[i]!)).toBe(true);
      await eventually(async () => (await readyInstances(lb.origin, 4)).size === 2, 15_000, `${name} back behind HAProxy`);
    }

    for (const { sub } of watchers) {
      const updates = sub.results.map((r) => r.data!.timerUpdated);
      // Every message RUNNING, and time never goes back: each first message after a reconnection is the current state.
      expect(updates.every((u) => u.status === 'RUNNING')).toBe(true);
      for (let i = 1; i < updates.length; i++) expect(updates[i]!.elapsedSeconds).toBeGreaterThanOrEqual(updates[i - 1]!.elapsedSeconds);
    }
    // Past the grace and a liveness period after the last restart: nobody was paused.
    await new Promise((resolve) => setTimeout(resolve, GRACE_SECONDS * 1000 + 3 * HEARTBEAT_SECONDS * 1000 + 2_000));
    const rows = await stored(students.map(({ session }) => session.id));
    expect(rows.map((r) => [r.status, r.paused_reason])).toEqual(students.map(() => ['RUNNING', null]));
  }, 120_000);
});
