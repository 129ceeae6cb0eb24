import { get } from 'node:http';
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../../src/db/database.js';
import type { TestDatabase } from './database.js';
import type { ManualClock } from './manual-clock.js';
import { GraphQLTestClient } from './graphql-client.js';
import { startTestServer, testEnv, type TestServer } from './server.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

// Cluster members in this process: each a whole server with its own pool on one shared
// PostgreSQL database and its own Redis connections. Cluster mode is on because both
// DATABASE_URL and REDIS_URL are set. Cluster tests need the machine's PostgreSQL and Redis even
// when the rest of the suite runs on PGlite: a cluster is a multi-process deployment, which the
// embedded database is not (CI and the development machines run both).

/** The PostgreSQL server cluster tests make their database on. */
export const CLUSTER_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The Redis cluster tests share (each file under its own key prefix). */
export const CLUSTER_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own for one test file, so that files sharing the Redis do not hear each other. */
export function clusterKeyPrefix(): string {
  return `studyclock-test-${randomBytes(4).toString('hex')}:`;
}

/** How one member is started. */
export interface ClusterMemberOptions {
  /** INSTANCE_ID. */
  name: string;
  /** The database every member shares (from `createTestDatabase`). */
  shared: TestDatabase;
  /** REDIS_KEY_PREFIX shared by the members. */
  prefix: string;
  clock: ManualClock;
  /** Redis as this member reaches it (a proxy's URL to cut it alone); default {@link CLUSTER_REDIS_URL}. */
  redisUrl?: string;
  /** PostgreSQL as this member reaches it (a proxy's URL); default the shared database's. */
  databaseUrl?: string;
  /** More variables, over the defaults. */
  env?: Record<string, string>;
}

/** A member's variables (over the test environment): the shared database and Redis, its name, then `options.env`. */
function memberEnv(options: ClusterMemberOptions): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl ?? options.shared.url!,
    REDIS_URL: options.redisUrl ?? CLUSTER_REDIS_URL,
    REDIS_KEY_PREFIX: options.prefix,
    INSTANCE_ID: options.name,
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    ...options.env,
  };
}

/** Starts one member; closing it closes its pool and leaves the shared database. */
export function startClusterMember(options: ClusterMemberOptions): Promise<TestServer> {
  const url = options.databaseUrl ?? options.shared.url!;
  return startTestServer({
    clock: options.clock,
    env: memberEnv(options),
    database: async (config, logger) => {
      const handle = await openDatabase(
        { url, poolMax: config.DATABASE_POOL_MAX, statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS, connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS },
        logger,
      );
      return { handle, url, dispose: () => handle.close() };
    },
  });
}

/** A member in a real process of its own (test/support/clocked-member.ts), on the test's clock. */
export interface ProcessMember {
  process: ServerProcess;
  origin: string;
  /** A client with no credentials. */
  client(): GraphQLTestClient;
  /** Sets the member's clock to the test clock's instant; resolves once the member holds it. */
  syncClock(): Promise<void>;
  /** SIGKILL, as a crash: no close frame, no release, no last heartbeat. Resolves once it has exited. */
  kill(): Promise<void>;
}

/**
 * Starts a member as {@link startClusterMember} does (the same test environment, the shared
 * database and Redis), but in a child process whose clock follows `options.clock` at each
 * {@link ProcessMember.syncClock}: for crashes, which only a real process shows.
 */
export async function startProcessMember(options: ClusterMemberOptions): Promise<ProcessMember> {
  const { PORT: _port, HOST: _host, ...env } = testEnv;
  const p = await startServerProcess(
    { ...env, LOG_LEVEL: 'warn', TEST_CLOCK_MS: String(options.clock.now().getTime()), ...memberEnv(options) },
    'test/support/clocked-member.ts',
  );
  const { child } = p;
  return {
    process: p,
    origin: p.origin,
    client: () => new GraphQLTestClient(`${p.origin}/graphql`),
    syncClock: () =>
      new Promise((resolve, reject) => {
        const clockMs = options.clock.now().getTime();
        const answered = (m: { clockMs: number }) => {
          if (m.clockMs !== clockMs) return;
          child.off('message', answered);
          resolve();
        };
        child.on('message', answered);
        child.send({ clockMs }, (err) => err && reject(err));
      }),
    kill: async () => {
      child.kill('SIGKILL');
      await p.exited;
    },
  };
}

/**
 * GET on a connection of its own (`agent: false` sends `Connection: close`), so that a load
 * balancer or node:cluster's primary hands each one on anew. A connection that fails answers status 0.
 */
export function getOnNewConnection(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', () => resolve({ status: 0, body: '' }));
  });
}

/** The `/readyz` answers of `count` requests to `origin`, each on a new connection: status and the instance that answered. */
export async function readyzAnswers(origin: string, count: number): Promise<{ status: number; instance: string | undefined }[]> {
  const answers = [];
  for (let i = 0; i < count; i++) {
    const res = await getOnNewConnection(`${origin}/readyz`);
    const body = res.status === 200 ? (JSON.parse(res.body) as { cluster?: { instance: string } }) : undefined;
    answers.push({ status: res.status, instance: body?.cluster?.instance });
  }
  return answers;
}

/** The instances that answered `/readyz` with 200 over `count` new connections to `origin`. */
export async function readyInstances(origin: string, count: number): Promise<Set<string>> {
  const answers = await readyzAnswers(origin, count);
  return new Set(answers.flatMap((a) => (a.status === 200 && a.instance ? [a.instance] : [])));
}
