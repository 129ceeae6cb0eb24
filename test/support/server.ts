import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import type { RealtimeStats } from '../../src/metrics/metrics.js';
import { type StudyclockServer, startServer } from '../../src/app/server.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { GraphQLTestClient } from './graphql-client.js';
import { ManualClock } from './manual-clock.js';

/** Environment every test server starts from; tests override single variables. */
export const testEnv: Record<string, string> = {
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'info',
  JWT_SECRET: 'test-secret-that-is-at-least-32-bytes-long!',
  PASSWORD_SCRYPT_LOG_N: '14',
  COMPLETION_SWEEP_SECONDS: '1',
  // Expiry is asserted at exact instants; suites about the skew tolerance set their own.
  JWT_CLOCK_TOLERANCE_SECONDS: '0',
  // Every suite connects, operates and fails log-ins from 127.0.0.1 far more than a client would
  // (the leak test alone opens 1,000 sockets): abuse limits out of the way unless a test sets them.
  WS_CONNECTIONS_PER_IP_PER_MINUTE: '100000',
  WS_MAX_SOCKETS_PER_IP: '100000',
  WS_MAX_SOCKETS_PER_STUDENT: '10000',
  OPERATIONS_PER_CONNECTION_PER_MINUTE: '1000000',
  OPERATIONS_PER_STUDENT_PER_MINUTE: '1000000',
  LOGIN_FAILURES_PER_EMAIL: '1000',
  LOGIN_FAILURES_PER_IP: '100000',
  TOKEN_FAILURES_PER_IP: '100000',
};

/** A server on port 0 with its own database, a manual clock and captured JSON logs. */
export interface TestServer {
  server: StudyclockServer;
  config: Config;
  db: TestDatabase;
  clock: ManualClock;
  /** `http://127.0.0.1:PORT/graphql` */
  graphqlUrl: string;
  origin: string;
  /** Every log line the server wrote, parsed. */
  logs: Record<string, unknown>[];
  /** The raw log text, for "never contains" checks. */
  rawLogs(): string;
  /** A client with no credentials. */
  client(): GraphQLTestClient;
  /** Closes the server, then drops its database. */
  close(): Promise<void>;
}

/**
 * Starts a test server; `env` overrides {@link testEnv}. `database` makes the database it runs
 * on (disposed by `close()`; `logger` is the server's); default a fresh one from
 * `createTestDatabase` with the pool timeouts of the configuration.
 */
export async function startTestServer(
  options: {
    env?: Record<string, string>;
    clock?: ManualClock;
    database?: (config: Config, logger: Logger) => Promise<TestDatabase>;
  } = {},
): Promise<TestServer> {
  const config = loadConfig({ ...testEnv, ...options.env });
  const clock = options.clock ?? new ManualClock();
  const { logger, lines } = captureLogs(config.LOG_LEVEL);
  const db = await (options.database ?? testDatabaseFor)(config, logger);
  let server: StudyclockServer;
  try {
    server = await startServer({ config, clock, logger, database: db.handle });
  } catch (err) {
    await db.dispose();
    throw err;
  }
  const graphqlUrl = `${server.origin}/graphql`;
  return {
    server,
    config,
    db,
    clock,
    graphqlUrl,
    origin: server.origin,
    get logs() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    rawLogs: () => lines.join('\n'),
    client: () => new GraphQLTestClient(graphqlUrl),
    close: async () => {
      await server.close();
      await db.dispose();
    },
  };
}

/** A logger at `level` whose JSON lines, as written, are kept in `lines`. */
export function captureLogs(level: string): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
      cb();
    },
  });
  return { logger: createLogger(level, sink), lines };
}

function testDatabaseFor(config: Config): Promise<TestDatabase> {
  return createTestDatabase({
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
  });
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for what must know its port before it
 * binds (a child process, an origin to allow). Another process can take it in between.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Whether every live count of a server is zero: no socket, subscription, ticker or pending pause left. */
export const isIdle = (stats: RealtimeStats): boolean => Object.values(stats).every((n) => n === 0);
