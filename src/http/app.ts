import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import cookieParser from 'cookie-parser';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Request } from 'express';
import type { RequestListener } from 'node:http';
import type { Kysely } from 'kysely';
import { pinoHttp } from 'pino-http';
import type { Config } from '../config.js';
import { type Database, isDatabaseReachable } from '../db/database.js';
import { GRAPHQL_PATH } from '../graphql/endpoint.js';
import type { GraphQLContext, ServerContext } from '../graphql/context.js';
import { logSecurityEvent } from '../logger.js';
import { accessTokenFromCookies, authCookieJar, bearerToken } from './auth-cookies.js';
import type { TrustProxy } from './client-address.js';
import { httpContextError } from './apollo-plugins.js';
import { EXPLORER_PATH, explorerEnabled, explorerRouter } from './explorer.js';
import { securityHeaders } from './security-headers.js';
import { httpRateLimit, operationsInRequest } from './http-rate-limit.js';
import type { Defences } from '../security/defences.js';
import { rateLimited } from '../security/request-limits.js';
import type { StreamReadiness } from '../cluster/event-stream.js';

/** Largest accepted JSON body on `/graphql`. */
export const HTTP_BODY_LIMIT = '100kb';

/** What the Express app is built from. */
export interface HttpAppDeps {
  config: Config;
  db: Kysely<Database>;
  /** Services, logger, clock and log-in throttle, shared by every operation's context. */
  server: ServerContext;
  apollo: ApolloServer<GraphQLContext>;
  defences: Pick<Defences, 'requests'>;
  trustProxy: TrustProxy;
  /** Answers `GET /metrics` on this port; absent, the path is 404 like any unknown one (see `src/metrics/endpoint.ts`). */
  metrics?: RequestListener;
  /** In cluster mode: this instance, whether Redis is up for it and its stream reader's state, for `/readyz`. */
  cluster?: () => { instance: string } & StreamReadiness;
}

/**
 * Builds the context of one HTTP operation: authenticates the bearer token (or, failing that,
 * the access cookie) and logs a rejected one as a security event.
 */
export async function httpContext(deps: HttpAppDeps, req: Request, res: express.Response): Promise<GraphQLContext> {
  const { server, config } = deps;
  const token = bearerToken(req.headers.authorization) ?? accessTokenFromCookies(req.cookies);
  const auth = await server.services.authenticator.authenticate(token).catch((err: unknown) => {
    // Apollo answers any failed context with 500; a database (or identity provider) that is away is a 503.
    throw httpContextError(err);
  });
  if (!auth.ok && auth.reason !== 'missing') {
    logSecurityEvent(server.logger, 'auth.token_rejected', { transport: 'http', reason: auth.reason, ip: req.ip });
    await deps.defences.requests.tokenRejected(req.ip, 'http', auth.reason);
  }
  if (auth.ok) {
    const context = { transport: 'http', ip: req.ip } as const;
    const refusal = await deps.defences.requests.studentOperations(auth.viewer.userId, operationsInRequest(req), context);
    if (refusal) throw httpContextError(rateLimited(refusal));
  }
  return {
    ...server,
    viewer: auth.ok ? auth.viewer : null,
    authFailure: auth.ok ? null : auth.reason,
    ip: req.ip,
    userAgent: req.get('user-agent'),
    cookies: authCookieJar(req, res, config, server.clock),
  };
}

/** The Express app: health endpoints, Apollo on `/graphql` and, while enabled, the explorer on `/explorer`. */
export function createHttpApp(deps: HttpAppDeps): express.Express {
  const { config, db, apollo } = deps;
  const { logger } = deps.server;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  app.use(securityHeaders(config));

  app.use(
    pinoHttp({
      logger,
      // Health probes and scrapes every few seconds would drown the log.
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const database = await isDatabaseReachable(db);
    // Redis and the stream are reported, not required: without Redis an instance still serves
    // everything, and other instances' changes reach it by reconcile (README, "Cluster").
    res.status(database ? 200 : 503).json({ status: database ? 'ready' : 'unavailable', database, ...(deps.cluster && { cluster: deps.cluster() }) });
  });

  if (deps.metrics) app.get('/metrics', deps.metrics);

  app.use(
    GRAPHQL_PATH,
    cors<cors.CorsRequest>({ origin: [...config.ALLOWED_ORIGINS], credentials: true, maxAge: 600 }),
    express.json({ limit: HTTP_BODY_LIMIT }),
    cookieParser(),
    httpRateLimit(deps.defences.requests),
    expressMiddleware(apollo, { context: ({ req, res }) => httpContext(deps, req, res) }),
  );

  if (explorerEnabled(config)) app.use(EXPLORER_PATH, explorerRouter());

  app.use((_req, res) => {
    res.status(404).json({ error: 'Not found' });
  });

  // Body-parser failures (too large, invalid JSON) and anything else thrown before Apollo:
  // answer in GraphQL's error shape, never with Express's HTML page or a stack trace.
  const onError: ErrorRequestHandler = (err: { status?: number; statusCode?: number; type?: string }, _req, res, next) => {
    if (res.headersSent) return next(err);
    const status = err.status ?? err.statusCode ?? 500;
    if (status >= 500) logger.error({ err }, 'unhandled HTTP error');
    const message =
      err.type === 'entity.too.large'
        ? `Request body exceeds ${HTTP_BODY_LIMIT}`
        : err.type === 'entity.parse.failed'
          ? 'Request body is not valid JSON'
          : status >= 500
            ? 'Internal server error'
            : 'Bad request';
    res.status(status).json({ errors: [{ message, extensions: { code: status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' } }] });
  };
  app.use(onError);
  return app;
}
