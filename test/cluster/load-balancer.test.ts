import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { PAUSE_SESSION, RESUME_SESSION, type Student, studentWithSession, TIMER_UPDATED } from '../support/fixtures.js';
import { GraphQLTestClient } from '../support/graphql-client.js';
import { checkHaproxyConfig, DEPLOY_HAPROXY_CFG, describeHaproxy, type HaproxyProcess, startHaproxy } from '../support/haproxy.js';
import { CLUSTER_ADMIN_URL, CLUSTER_REDIS_URL, clusterKeyPrefix, readyzAnswers, startClusterMember } from '../support/cluster.js';
import { ManualClock } from '../support/manual-clock.js';
import type { TestServer } from '../support/server.js';
import { collect, connectStudent, disposeSockets, eventually, type WsTestClient } from '../support/ws-client.js';

// The deployment of docker-compose.yml without Docker: two instances in cluster mode on one
// PostgreSQL database and one Redis (api-1 and api-2), and a real HAProxy in front of them
// running deploy/haproxy.cfg itself, only its bind port and server addresses replaced. Every
// request and socket below goes through HAProxy.
//
// Like fan-out.test.ts, on the machine's PostgreSQL and Redis whatever the rest of the suite
// runs on.
const prefix = clusterKeyPrefix();

const clock = new ManualClock();
let shared: TestDatabase;
let api1: TestServer;
let api2: TestServer;
let lb: HaproxyProcess;

function instance(name: string): Promise<TestServer> {
  // Sockets come and go between tests: no session is paused for it.
  return startClusterMember({ name, shared, prefix, clock, env: { DISCONNECT_GRACE_SECONDS: '3600' } });
}



const lbClient = () => new GraphQLTestClient(`${lb.origin}/graphql`);

/**
 * Sockets of `student` through HAProxy, opened one at a time until each of `servers` holds one:
 * for each server, the first socket it took (found by its count of authenticated connections).
 */
async function socketsOnEach(student: Student, servers: TestServer[]): Promise<Map<TestServer, WsTestClient>> {
  const taken = new Map<TestServer, WsTestClient>();
  for (let opened = 0; taken.size < servers.length; opened++) {
    if (opened >= 10) throw new Error('HAProxy sent 10 sockets in a row to the same instances');
    const before = servers.map((s) => s.server.stats().authenticatedConnections);
    const ws = await connectStudent(lb.origin, student);
    const server = servers.find((s, i) => s.server.stats().authenticatedConnections > before[i]!);
    if (server && !taken.has(server)) taken.set(server, ws);
  }
  return taken;
}

describeHaproxy('docker-compose.yml\'s deployment, HAProxy in front of two instances', () => {
  beforeAll(async () => {
    shared = await createTestDatabase({ adminUrl: CLUSTER_ADMIN_URL });
    api1 = await instance('api-1');
    api2 = await instance('api-2');
    lb = await startHaproxy({ 'api-1': `127.0.0.1:${api1.server.port}`, 'api-2': `127.0.0.1:${api2.server.port}` });
    // Both servers pass their first health checks.
    await eventually(async () => new Set((await readyzAnswers(lb.origin, 4)).map((a) => a.instance)).size === 2, 15_000, 'both instances behind HAProxy');
  }, 60_000);
  afterAll(async () => {
    await disposeSockets();
    await lb?.close();
    await Promise.all([api1, api2].map((s) => s?.close()));
    const redis = new Redis(CLUSTER_REDIS_URL);
    await redis.del(`${prefix}events`);
    redis.disconnect();
    await shared?.dispose();
  });
  afterEach(async () => {
    await disposeSockets();
    // Each test counts the sockets it opens on each instance.
    await eventually(() => [api1, api2].every((s) => s.server.stats().authenticatedConnections === 0), 5_000, 'the sockets to be gone');
  });

  describe('the deployment configuration', () => {
    it('passes `haproxy -c`, as checked in CI and as generated for these tests', () => {
      const deployed = checkHaproxyConfig(fileURLToPath(DEPLOY_HAPROXY_CFG));
      expect(deployed).toMatchObject({ status: 0 });
      expect(checkHaproxyConfig(lb.configFile)).toMatchObject({ status: 0 });
    });

    it('balances over the two replicas docker-compose.yml defines, on the port it publishes', () => {
      const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
      const cfg = readFileSync(DEPLOY_HAPROXY_CFG, 'utf8');
      expect([...cfg.matchAll(/^\s*server (\S+) (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`)).toEqual(['api-1 api-1:4000', 'api-2 api-2:4000']);
      for (const name of ['api-1', 'api-2']) {
        expect(compose).toMatch(new RegExp(`^ {2}${name}:$`, 'm'));
        expect(compose).toMatch(new RegExp(`^ {6}INSTANCE_ID: ${name}$`, 'm'));
      }
      expect(cfg).toMatch(/^\s*bind :4000$/m);
      expect(compose).toContain('- "4000:4000"');
      expect(compose).toContain('- ./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    });
  });

  describe('through HAProxy', () => {
    it('answers /readyz from both instances in turn', async () => {
      const answers = await readyzAnswers(lb.origin, 4);
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(new Set(answers.map((a) => a.instance))).toEqual(new Set(['api-1', 'api-2']));
    });

    it('serves GraphQL over HTTP and brings its changes to subscribers on both instances', async () => {
      const { student, session } = await studentWithSession(lbClient());
      const sockets = [...(await socketsOnEach(student, [api1, api2])).values()];
      const subs = sockets.map((ws) => collect(ws.client, TIMER_UPDATED, { id: session.id }));
      await Promise.all(subs.map((s) => s.waitFor(1)));

      // Each on a connection of its own: HAProxy sends them to one instance and then the other.
      await student.client.ok(PAUSE_SESSION, { id: session.id }, { headers: { connection: 'close' } });
      await Promise.all(subs.map((s) => s.waitFor(2)));
      await student.client.ok(RESUME_SESSION, { id: session.id }, { headers: { connection: 'close' } });
      await Promise.all(subs.map((s) => s.waitFor(3)));
      for (const sub of subs) expect(sub.results.map((r) => r.data!.timerUpdated.status)).toEqual(['RUNNING', 'PAUSED', 'RUNNING']);
    });

    // Last: it closes api-1.
    it('takes a closed instance out on its failed health checks, and new requests and sockets go to the other', async () => {
      const { student, session } = await studentWithSession(lbClient());
      const onApi1 = (await socketsOnEach(student, [api1])).get(api1)!;
      const closed = onApi1.nextClose();
      const closing = Date.now();
      await api1.close();
      // The socket HAProxy had on api-1 is closed by api-1's shutdown (1012 Service restart in a cluster), through the tunnel.
      expect(await closed).toEqual({ code: 1012, reason: 'Service restart' });
      await eventually(() => /Server replicas\/api-1 is DOWN/.test(lb.output()), 10_000, 'HAProxy to mark api-1 DOWN');
      // fall 2, inter 2s: within two checks, and a bit of the one under way.
      expect(Date.now() - closing).toBeLessThan(6_000);

      expect(await readyzAnswers(lb.origin, 4)).toEqual(Array.from({ length: 4 }, () => ({ status: 200, instance: 'api-2' })));
      const onApi2Before = api2.server.stats().authenticatedConnections;
      const ws = await connectStudent(lb.origin, student);
      expect(api2.server.stats().authenticatedConnections).toBe(onApi2Before + 1);
      const sub = collect(ws.client, TIMER_UPDATED, { id: session.id });
      await sub.waitFor(1);
      await student.client.ok(PAUSE_SESSION, { id: session.id }, { headers: { connection: 'close' } });
      await sub.waitFor(2);
      expect(sub.results.map((r) => r.data!.timerUpdated.status)).toEqual(['RUNNING', 'PAUSED']);
    }, 30_000);
  });
});
