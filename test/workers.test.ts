import { availableParallelism } from 'node:os';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { workerInstanceId } from '../src/app/workers.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { PAUSE_SESSION, RESUME_SESSION, type Student, studentWithSession, TIMER_UPDATED } from './support/fixtures.js';
import { GraphQLTestClient } from './support/graphql-client.js';
import { runServerProcess, type ServerProcess, startServerProcess, stopServerProcesses } from './support/server-process.js';
import { collect, connectStudent, disposeSockets, eventually, type WsTestClient } from './support/ws-client.js';
import { CLUSTER_ADMIN_URL, CLUSTER_REDIS_URL, clusterKeyPrefix, readyInstances } from './support/cluster.js';

// `WORKERS=2`: `src/main.ts` as a real process tree, a primary and two workers sharing one
// port, on the machine's PostgreSQL and Redis (like test/cluster/, whatever database the rest
// of the suite runs on: the workers are a cluster, which the embedded database cannot serve).
const prefix = clusterKeyPrefix();
const WORKER_IDS = ['workers-test-w1', 'workers-test-w2'];

let shared: TestDatabase;
let p: ServerProcess;



/** Every worker's pid, by INSTANCE_ID, from the primary's `worker started` lines (the latest per worker). */
function workerPids(): Map<string, number> {
  const pids = new Map<string, number>();
  for (const line of p.logs()) if (line.msg === 'worker started') pids.set(line.worker as string, line.pid as number);
  return pids;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  shared = await createTestDatabase({ adminUrl: CLUSTER_ADMIN_URL });
  p = await startServerProcess({
    WORKERS: '2',
    INSTANCE_ID: 'workers-test',
    DATABASE_URL: shared.url!,
    REDIS_URL: CLUSTER_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    // Debug: the workers log each authenticated socket, which tells where it landed.
    LOG_LEVEL: 'debug',
    PASSWORD_SCRYPT_LOG_N: '14',
    ACCESS_TOKEN_TTL_SECONDS: '86400',
  });
  // /healthz answered from one worker; the other may still be starting.
  await eventually(async () => (await readyInstances(p.origin, 4)).size === 2, 45_000, 'both workers to be ready');
}, 90_000);
afterAll(async () => {
  await disposeSockets();
  await stopServerProcesses();
  const redis = new Redis(CLUSTER_REDIS_URL);
  await redis.del(`${prefix}events`);
  redis.disconnect();
  await shared?.dispose();
});

describe('WORKERS=2 on one port', () => {
  it('serves from two workers, named INSTANCE_ID-w1 and INSTANCE_ID-w2', async () => {
    expect([...(await readyInstances(p.origin, 6))].sort()).toEqual(WORKER_IDS);
    expect([...workerPids().keys()].sort()).toEqual(WORKER_IDS);
    // Every line a worker writes says which one.
    const listening = p.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('studyclock listening on'));
    expect(listening.map((l) => l.instance).sort()).toEqual(WORKER_IDS);
  });

  it('brings a change made over HTTP to the subscribers on both workers, whichever took the request', async () => {
    const { student, session } = await studentWithSession(new GraphQLTestClient(`${p.origin}/graphql`));
    // New sockets until both workers hold at least one (the primary hands connections out in turn).
    const sockets: WsTestClient[] = [];
    const workersOf = (s: Student) =>
      new Set(p.logs().filter((l) => l.msg === 'websocket authenticated' && l.userId === s.userId).map((l) => l.instance));
    while (workersOf(student).size < 2) {
      expect(sockets.length).toBeLessThan(10);
      sockets.push(await connectStudent(p.origin, student));
      await eventually(() => p.logs().filter((l) => l.msg === 'websocket authenticated' && l.userId === student.userId).length === sockets.length);
    }
    const subs = sockets.map((ws) => collect(ws.client, TIMER_UPDATED, { id: session.id }));
    await Promise.all(subs.map((s) => s.waitFor(1)));

    // Each mutation on a new connection of its own: the two are taken by different workers.
    await student.client.ok(PAUSE_SESSION, { id: session.id }, { headers: { connection: 'close' } });
    await Promise.all(subs.map((s) => s.waitFor(2)));
    await student.client.ok(RESUME_SESSION, { id: session.id }, { headers: { connection: 'close' } });
    await Promise.all(subs.map((s) => s.waitFor(3)));
    for (const sub of subs) expect(sub.results.slice(0, 3).map((r) => r.data!.timerUpdated.status)).toEqual(['RUNNING', 'PAUSED', 'RUNNING']);
    await disposeSockets();
  });

  it('restarts a worker that dies, under the same INSTANCE_ID, while the other serves', async () => {
    const before = workerPids();
    process.kill(before.get('workers-test-w1')!, 'SIGKILL');
    await eventually(() => p.logs().some((l) => l.msg === 'worker exited unexpectedly; restarting it' && l.worker === 'workers-test-w1'), 5_000, 'the primary to see the worker die');
    const died = p.logs().find((l) => l.msg === 'worker exited unexpectedly; restarting it')!;
    expect(died).toMatchObject({ level: 50, worker: 'workers-test-w1', signal: 'SIGKILL', restartInMs: 1000 });
    // Meanwhile the other answers every new connection.
    expect([...(await readyInstances(p.origin, 3))]).toEqual(['workers-test-w2']);

    await eventually(async () => (await readyInstances(p.origin, 4)).size === 2, 45_000, 'the restarted worker to be ready');
    const after = workerPids();
    expect(after.get('workers-test-w1')).not.toBe(before.get('workers-test-w1'));
    expect(after.get('workers-test-w2')).toBe(before.get('workers-test-w2'));
  }, 60_000);

  it('exits 0 on SIGTERM once both workers have shut down gracefully', async () => {
    const pids = [...workerPids().values()];
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const exits = p.logs().filter((l) => l.msg === 'worker exited');
    expect(exits.map((l) => [l.worker, l.code]).sort()).toEqual(WORKER_IDS.map((id) => [id, 0]));
  });
});

describe('WORKERS refused', () => {
  it('exits 78 without DATABASE_URL and without REDIS_URL, naming both, before forking anything', async () => {
    const outcome = await runServerProcess({ WORKERS: '2' });
    expect(outcome.code).toBe(78);
    expect(outcome.stderr).toContain('Invalid configuration');
    expect(outcome.stderr).toMatch(
      /^ {2}- WORKERS: 2 workers need a shared PostgreSQL server \(DATABASE_URL\); the embedded database serves one process$/m,
    );
    expect(outcome.stderr).toMatch(/^ {2}- WORKERS: 2 workers need REDIS_URL: /m);
    expect(outcome.stdout).toBe('');
  });

  it('refuses METRICS_PORT with several workers, and a count that is not a whole number from 1', () => {
    const cluster = { DATABASE_URL: 'postgres://db/studyclock', REDIS_URL: 'redis://redis:6379' };
    expect(() => loadConfig({ ...cluster, WORKERS: '2', METRICS_PORT: '9464' })).toThrow(
      /METRICS_PORT: not with WORKERS=2: the workers would share the port/,
    );
    for (const value of ['0', '-1', '1.5', 'two', '257']) expect(() => loadConfig({ ...cluster, WORKERS: value })).toThrow(/WORKERS: /);
  });

  it('reads auto as the machine\'s parallelism, and 1 (the default) as a single process needing nothing', () => {
    expect(loadConfig({}).WORKERS).toBe(1);
    expect(loadConfig({ WORKERS: '1', METRICS_PORT: '9464' }).WORKERS).toBe(1);
    const auto = loadConfig({ DATABASE_URL: 'postgres://db/studyclock', REDIS_URL: 'redis://redis:6379', WORKERS: 'auto' });
    expect(auto.WORKERS).toBe(availableParallelism());
  });
});

describe('worker INSTANCE_IDs', () => {
  it('appends -w<k>, replaces characters INSTANCE_ID refuses and cuts the base to fit 64 characters', () => {
    expect(workerInstanceId('api', 3)).toBe('api-w3');
    expect(workerInstanceId('host:name/1-42', 1)).toBe('host-name-1-42-w1');
    const long = workerInstanceId('x'.repeat(64), 12);
    expect(long).toBe(`${'x'.repeat(60)}-w12`);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://db/studyclock', INSTANCE_ID: long })).not.toThrow();
  });
});
