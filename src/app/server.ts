import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { withDevelopmentSecret } from '../auth/development-secret.js';
import { createExternalAuth } from '../auth/external-token.js';
import { type Clock, systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { type DatabaseHandle, databaseTarget, openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrator.js';
import type { GraphQLContext, ServerContext, Services } from '../graphql/context.js';
import { formatError } from '../graphql/format-error.js';
import { buildSchema } from '../graphql/schema.js';
import { drainHttpServerPlugin, httpAnswerFromErrors, landingPagePlugin, metricsPlugin, refuseSubscriptionsOverHttp } from '../http/apollo-plugins.js';
import { createHttpApp } from '../http/app.js';
import { createLogger, type Logger } from '../logger.js';
import { metricsEndpoint } from '../metrics/endpoint.js';
import { type RealtimeStats, ServerMetrics } from '../metrics/metrics.js';
import { openDefences } from '../security/defences.js';
import type { SecurityCounters } from '../security/security-counters.js';
import { attachWebSocketServer } from '../ws/ws-server.js';
import { createServices } from './services.js';
import { deriveSettings } from './settings.js';

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
  /**
   * Stops accepting connections, lets in-flight requests finish (up to SHUTDOWN_TIMEOUT_SECONDS),
   * stops background work and closes the database: the releases of everything the start opened,
   * last opened first (the same list a failed start runs). Idempotent.
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

/** How long an idle HTTP keep-alive connection is kept open: longer than common load-balancer idle timeouts (60 s). */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Undoes one step of the start. */
type Release = () => unknown;

/**
 * Opens the database, applies migrations, and starts HTTP and WebSocket on
 * `config.HOST:config.PORT` (PORT 0 picks a free port). Each step that opens something pushes
 * its release onto one stack; a step that throws unwinds the stack (last opened first) and the
 * start rejects, leaving no timer, socket, listener or pool. `close()` unwinds the same stack.
 */
export async function startServer(options: ServerOptions): Promise<StudyclockServer> {
  const logger = options.logger ?? createLogger(options.config.LOG_LEVEL);
  const opened: Release[] = [];
  const unwind = async () => {
    for (const release of opened.splice(0).reverse()) {
      try {
        await release();
      } catch (err) {
        logger.warn({ err }, 'could not release what the server had opened');
      }
    }
  };
  try {
    return await openServer(options, logger, opened, unwind);
  } catch (err) {
    await unwind();
    throw err;
  }
}

/** {@link startServer}'s steps; pushes onto `opened` the release of everything it opens, as it opens it. */
async function openServer(options: ServerOptions, logger: Logger, opened: Release[], unwind: () => Promise<void>): Promise<StudyclockServer> {
  // Before anything is opened: the embedded database's development signing secret, if that is the one.
  const config = await withDevelopmentSecret(options.config, options.database ? undefined : databaseTarget(options.config), logger);
  const clock = options.clock ?? systemClock;
  const settings = deriveSettings(config);
  // Read before anything is opened: an unreadable certificate or key fails the start cleanly.
  const tls = config.TLS_CERT_FILE && config.TLS_KEY_FILE
    ? { cert: await readFile(config.TLS_CERT_FILE), key: await readFile(config.TLS_KEY_FILE) }
    : undefined;
  const database = options.database ?? (await openDatabase(databaseTarget(config), logger));
  if (!options.database) opened.push(() => database.close());
  await migrateToLatest(database.db);

  const app = createServices({ db: database.db, settings, clock, logger, external: createExternalAuth(config) });
  opened.push(() => app.close());
  const { services } = app;
  // Rate-limit counters: Redis when REDIS_URL is set (closed with the server), memory otherwise.
  const defences = await openDefences(settings.defences, logger);
  opened.push(() => defences.close());
  const server: ServerContext = { services, logger, clock, logins: defences.logins };
  const schema = buildSchema();
  // HTTPS and WSS directly when configured; the WebSocket endpoint rides either unchanged.
  const httpServer: Server = tls ? createHttpsServer(tls) : createServer();
  // Node closes an idle keep-alive connection after 5 s, which races a client (or a load
  // balancer, whose idle timeout is commonly 60 s) reusing it at that moment: the request dies
  // with ECONNRESET. Idle connections outlive the usual 60 s instead; drain still closes them.
  httpServer.keepAliveTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS;
  httpServer.headersTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS + 1_000;
  // Apollo's drain (below, released before this) closes it once Apollo has started.
  opened.push(() => (httpServer.listening ? new Promise((resolve) => httpServer.close(resolve)) : undefined));
  const limits = settings.operationLimits;
  const ws = attachWebSocketServer({
    httpServer, schema, server, defences, limits, settings: settings.ws, trustProxy: settings.trustProxy, revocations: services.revocations,
  });
  // Apollo's stop() disposes it too (drainServer, below); disposing twice is harmless.
  opened.push(() => ws.dispose());
  const stats = (): RealtimeStats => ({ ...ws.stats, ...services.timerFeed.stats, pendingDisconnectPauses: services.presence.pendingPauses });
  const metrics = new ServerMetrics({
    stats,
    securityCounters: () => defences.counters.counters(),
    tokenFailures: () => defences.counters.tokenFailuresByReason(),
    ticksDelivered: () => services.timerFeed.ticksDelivered,
    disconnectPauses: () => services.presence.disconnectPauses,
    databasePool: () => database.poolUsage(),
    ...(app.clusterMetrics && { cluster: app.clusterMetrics }),
  });
  opened.push(() => metrics.close());
  const scrapes = metricsEndpoint(config, metrics, defences.requests, logger, settings.trustProxy);
  opened.push(() => scrapes.close());
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
      drainHttpServerPlugin(httpServer, config.SHUTDOWN_TIMEOUT_SECONDS * 1000),
      // Sockets are closed (1001 Going away) when Apollo drains, before the HTTP server stops.
      { serverWillStart: async () => ({ drainServer: () => ws.dispose() }) },
      refuseSubscriptionsOverHttp,
      httpAnswerFromErrors,
      landingPagePlugin(config),
      metricsPlugin(metrics),
    ],
  });
  await apollo.start();
  // Drains: WebSockets closed with 1001, then in-flight HTTP requests finish.
  opened.push(() => apollo.stop());
  const cluster = app.cluster;
  const httpApp = createHttpApp({
    config, db: database.db, server, apollo, defences, trustProxy: settings.trustProxy, metrics: scrapes.onMainPort,
    ...(cluster && { cluster: () => ({ instance: settings.cluster!.instanceId, ...cluster.readiness }) }),
  });
  httpServer.on('request', httpApp);
  await app.start();

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
    securityCounters: () => defences.counters.counters(),
    close: () =>
      (closing ??= (async () => {
        logger.info('shutting down');
        await unwind();
        logger.info({ stats: stats() }, 'shut down');
      })()),
  };
}
