import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { AuthService } from './auth/auth.service.js';
import { createExternalAuth } from './auth/external-token.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { type DatabaseHandle, databaseTarget, openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrator.js';
import type { GraphQLContext, Services } from './graphql/context.js';
import { createOperationLimits } from './graphql/operation-limits.js';
import { buildSchema, formatError } from './graphql/schema.js';
import { createHttpApp, serviceUnavailableStatus } from './http/app.js';
import { landingPagePlugin } from './http/security-headers.js';
import { createLogger, type Logger } from './logger.js';
import { SessionService } from './sessions/session.service.js';
import { StudyStatsService } from './stats/stats.service.js';
import { UserSettingsService } from './users/user-settings.service.js';
import { SubjectService } from './subjects/subject.service.js';
import { Presence } from './presence/presence.js';
import { TimerFeed } from './sessions/timer-feed.js';
import { attachWebSocketServer } from './ws/ws-server.js';
import { retryAfterHeaderPlugin } from './security/http-rate-limit.js';
import { RateLimits, type SecurityCounters } from './security/rate-limits.js';
import { metricsEndpoint } from './metrics/endpoint.js';
import { ServerMetrics } from './metrics/metrics.js';

/**
 * Live counts of everything connections and subscriptions hold. Each returns to zero when
 * every client has gone; logged at shutdown.
 */
export interface RealtimeStats {
  openSockets: number;
  authenticatedConnections: number;
  activeSubscriptions: number;
  tickerRegistrations: number;
  pubsubListeners: number;
  pendingDisconnectPauses: number;
}

/** A running studyclock server. */
export interface StudyclockServer {
  /** `http://host:port` the server listens on (`https://` with TLS_CERT_FILE). */
  readonly origin: string;
  readonly port: number;
  /** `http://host:port` of the METRICS_PORT listener, which serves `GET /metrics`; undefined without METRICS_PORT. */
  readonly metricsOrigin: string | undefined;
  readonly services: Services;
  readonly database: DatabaseHandle;
  readonly logger: Logger;
  /** Live counts of sockets, subscriptions and what they hold. */
  stats(): RealtimeStats;
  /** How often each abuse defence has acted since start-up (refusals, failures, slow consumers). */
  securityCounters(): SecurityCounters;
  /** Presence tracking (pause on disconnect); exposed for tests of crash recovery. */
  readonly presence: Presence;
  /**
   * Stops accepting connections, lets in-flight requests finish (up to SHUTDOWN_TIMEOUT_SECONDS),
   * stops background work and closes the database. Idempotent.
   */
  close(): Promise<void>;
}

/** What {@link startServer} needs; everything but `config` has a production default. */
export interface ServerOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  /** An already-open database (tests); otherwise opened from the configuration and closed with the server. */
  database?: DatabaseHandle;
}

/** Builds the services every transport shares, wired to each other. */
export function createServices(database: DatabaseHandle, config: Config, clock: Clock, logger: Logger): Services {
  const sessions = new SessionService(database.db, clock);
  const timer = new TimerFeed(
    clock,
    config.TICK_INTERVAL_MS,
    (sessionId, now) => sessions.completeExpired(now, { sessionId }),
    logger,
  );
  sessions.setChangeListener(timer);
  return {
    auth: new AuthService(
      database.db,
      {
        secret: config.JWT_SECRET,
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
        refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
        scryptLogN: config.PASSWORD_SCRYPT_LOG_N,
        clockToleranceSeconds: config.JWT_CLOCK_TOLERANCE_SECONDS,
      },
      clock,
      logger,
      createExternalAuth(config),
    ),
    subjects: new SubjectService(database.db),
    sessions,
    stats: new StudyStatsService(database.db, clock, sessions),
    settings: new UserSettingsService(database.db),
    timer,
  };
}

/**
 * Opens the database, applies migrations, and starts HTTP on `config.HOST:config.PORT`
 * (PORT 0 picks a free port). Rejects if any step fails, releasing what it had opened.
 */
export async function startServer(options: ServerOptions): Promise<StudyclockServer> {
  const logger = options.logger ?? createLogger(options.config.LOG_LEVEL);
  // Each step that opens something pushes its release (the one close() makes); when a later
  // step throws, they run last-opened first, so a failed start leaves no timer, socket or pool.
  const opened: Release[] = [];
  try {
    return await openServer(options, logger, opened);
  } catch (err) {
    for (const release of opened.reverse()) {
      try {
        await release();
      } catch (releaseErr) {
        logger.warn({ err: releaseErr }, 'could not release what a failed start had opened');
      }
    }
    throw err;
  }
}

/** Undoes one step of {@link openServer}. */
type Release = () => unknown;

/** {@link startServer}'s steps; pushes onto `opened` the release of everything it opens, as it opens it. */
async function openServer(options: ServerOptions, logger: Logger, opened: Release[]): Promise<StudyclockServer> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  // Read before anything is opened: an unreadable certificate or key fails the start cleanly.
  const tls = config.TLS_CERT_FILE && config.TLS_KEY_FILE
    ? { cert: await readFile(config.TLS_CERT_FILE), key: await readFile(config.TLS_KEY_FILE) }
    : undefined;
  const ownsDatabase = !options.database;
  const database =
    options.database ??
    (await openDatabase(databaseTarget(config), logger));
  const closeOwnedDatabase = () => (ownsDatabase ? database.close() : Promise.resolve());
  opened.push(closeOwnedDatabase);
  await migrateToLatest(database.db);
  if (config.jwtSecretGenerated) {
    logger.warn('JWT_SECRET is unset: using a random secret for this process; tokens will not survive a restart');
  }

  const services = createServices(database, config, clock, logger);
  opened.push(() => services.timer.close());
  const presence = new Presence({
    db: database.db,
    clock,
    logger,
    graceMs: config.DISCONNECT_GRACE_SECONDS * 1000,
    heartbeatMs: config.LAST_SEEN_HEARTBEAT_SECONDS * 1000,
    pause: async (userId, lostAt) => (await services.sessions.pauseForDisconnect(userId, lostAt)) !== null,
  });
  opened.push(() => presence.close());
  services.sessions.deferCompletionWhile((userId) => presence.isPausePending(userId));
  // Rate-limit counters: Redis when REDIS_URL is set (closed with the server), memory otherwise.
  const rateLimits = await RateLimits.open(config, logger);
  opened.push(() => rateLimits.close());
  const schema = buildSchema();
  // HTTPS and WSS directly when configured; the WebSocket endpoint rides either unchanged.
  const httpServer: Server = tls ? createHttpsServer(tls) : createServer();
  const ws = attachWebSocketServer({ httpServer, schema, services, presence, config, logger, clock, rateLimits });
  // Once Apollo has started, its stop() disposes the WebSocket server (drainServer, below).
  let apolloStarted = false;
  opened.push(() => (apolloStarted ? undefined : ws.dispose()));
  services.auth.setEventsListener({
    loginRevoked: (familyId) => ws.closeLogin(familyId, 'loggedOut'),
    userDisabled: (userId) => ws.closeUser(userId, 'disabled'),
  });
  const stats = (): RealtimeStats => ({
    ...ws.stats,
    ...services.timer.stats,
    pendingDisconnectPauses: presence.pendingPauses,
  });
  const metrics = new ServerMetrics({
    stats,
    securityCounters: () => rateLimits.counters(),
    tokenFailures: () => rateLimits.tokenFailuresByReason(),
    ticksDelivered: () => services.timer.ticksDelivered,
    disconnectPauses: () => presence.disconnectPauses,
    databasePool: () => database.poolUsage(),
  });
  opened.push(() => metrics.close());
  const scrapes = metricsEndpoint(config, metrics, rateLimits, logger);
  opened.push(() => scrapes.close());
  const limits = createOperationLimits(config);
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    formatError: (formatted, error) => formatError(logger, formatted, error, { suggestions: limits.introspection }),
    includeStacktraceInErrorResponses: false,
    // Refused, when off, by limits.validationRules: the rule and message the WebSocket uses too.
    introspection: true,
    validationRules: [...limits.validationRules],
    parseOptions: limits.parseOptions,
    allowBatchedHttpRequests: config.GRAPHQL_ALLOW_BATCHING,
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT; Apollo's own handlers would race it into a second stop().
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.SHUTDOWN_TIMEOUT_SECONDS * 1000 }),
      // Sockets are closed (1001 Going away) when Apollo drains, before the HTTP server stops.
      { serverWillStart: async () => ({ drainServer: () => ws.dispose() }) },
      refuseSubscriptionsOverHttp,
      retryAfterHeaderPlugin,
      serviceUnavailableStatus,
      landingPagePlugin(config),
      metrics.apolloPlugin,
    ],
  });
  await apollo.start();
  apolloStarted = true;
  opened.push(() => apollo.stop());
  httpServer.on('request', createHttpApp({ config, logger, clock, db: database.db, services, apollo, rateLimits, metrics: scrapes.onMainPort }));

  // Before the sweeper starts: a POMODORO left running by a crash must be paused at its
  // student's last-seen instant, not completed by a sweep that got there first.
  const recovered = await presence.recover().catch((err: unknown) => {
    logger.error({ err }, 'could not look for sessions left running by a previous run');
    return 0;
  });
  if (recovered > 0) logger.info({ students: recovered }, 'sessions left running will be paused unless their students reconnect');
  const sweeper = startCompletionSweeper(services, clock, logger, config.COMPLETION_SWEEP_SECONDS * 1000);
  opened.push(() => {
    sweeper.stop();
    return sweeper.idle();
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.PORT, config.HOST, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const metricsOrigin = await scrapes.listen();
  const { port } = httpServer.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const origin = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ port, database: database.kind }, `studyclock listening on ${origin}/graphql`);

  let closing: Promise<void> | undefined;
  return {
    origin,
    port,
    metricsOrigin,
    services,
    database,
    logger,
    stats,
    securityCounters: () => rateLimits.counters(),
    presence,
    close: () =>
      (closing ??= (async () => {
        logger.info('shutting down');
        sweeper.stop();
        // Drains: WebSockets closed with 1001, then in-flight HTTP requests finish.
        await apollo.stop();
        await scrapes.close();
        metrics.close();
        services.timer.close();
        await presence.close();
        await sweeper.idle();
        await rateLimits.close();
        await closeOwnedDatabase();
        logger.info({ stats: stats() }, 'shut down');
      })()),
  };
}

/** Apollo serves only HTTP here: a subscription sent over it gets a clear 400, not a failed execution. */
const refuseSubscriptionsOverHttp: ApolloServerPlugin<GraphQLContext> = {
  requestDidStart: async () => ({
    didResolveOperation: async ({ operation }) => {
      if (operation?.operation !== 'subscription') return;
      throw new GraphQLError('Subscriptions are served over WebSocket (subprotocol graphql-transport-ws) at /graphql', {
        extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
      });
    },
  }),
};

/**
 * Completes expired POMODORO sessions nobody is reading, every `intervalMs`. Runs never overlap;
 * a failed run (database away) is logged and retried on the next interval.
 */
function startCompletionSweeper(services: Services, clock: Clock, logger: Logger, intervalMs: number) {
  let running: Promise<void> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    running = services.sessions
      .completeExpired(clock.now())
      .then(
        (done) => {
          if (done.length > 0) logger.debug({ count: done.length }, 'completed expired sessions');
        },
        (err: unknown) => logger.warn({ err }, 'completion sweep failed'),
      )
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), idle: () => running };
}
