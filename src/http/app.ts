import type { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import cookieParser from 'cookie-parser';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Request } from 'express';
import { GraphQLError } from 'graphql';
import type { RequestListener } from 'node:http';
import type { Kysely } from 'kysely';
import { pinoHttp } from 'pino-http';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { type Database, isDatabaseReachable, isDatabaseUnavailable } from '../db/database.js';
import { AppError, ErrorCodes } from '../errors.js';
import type { GraphQLContext, Services } from '../graphql/context.js';
import { logSecurityEvent, type Logger } from '../logger.js';
import { accessTokenFromCookies, authCookieJar, bearerToken } from './auth-cookies.js';
import { compileTrustProxy } from './client-address.js';
import { EXPLORER_PATH, explorerEnabled, explorerRouter } from './explorer.js';
import { securityHeaders } from './security-headers.js';
import { httpRateLimit, operationsInRequest, rateLimitedRequestError } from '../security/http-rate-limit.js';
import type { RateLimits } from '../security/rate-limits.js';

/** Largest accepted JSON body on `/graphql`. */
export const HTTP_BODY_LIMIT = '100kb';

export interface HttpAppDeps {
  config: Config;
  logger: Logger;
  clock: Clock;
  db: Kysely<Database>;
  services: Services;
  apollo: ApolloServer<GraphQLContext>;
  rateLimits: RateLimits;
  /** Answers `GET /metrics` on this port; absent, the path is 404 like any unknown one (see `src/metrics/endpoint.ts`). */
  metrics?: RequestListener;
}

/**
 * Builds the context of one HTTP operation: authenticates the bearer token (or, failing that,
 * the access cookie) and logs a rejected one as a security event.
 */
export async function httpContext(deps: HttpAppDeps, req: Request, res: express.Response): Promise<GraphQLContext> {
  const { services, logger, clock, config } = deps;
  const token = bearerToken(req.headers.authorization) ?? accessTokenFromCookies(req.cookies);
  const auth = await services.auth.authenticate(token).catch((err: unknown) => {
    // Apollo answers any failed context with 500; a database (or identity provider) that is away is a 503.
    throw isServiceUnavailable(err) ? withServiceUnavailableStatus(err) : err;
  });
  if (!auth.ok && auth.reason !== 'missing') {
    logSecurityEvent(logger, 'auth.token_rejected', { transport: 'http', reason: auth.reason, ip: req.ip });
    await deps.rateLimits.tokenRejected(req.ip, 'http', auth.reason);
  }
  if (auth.ok) {
    const context = { transport: 'http', ip: req.ip } as const;
    const refusal = await deps.rateLimits.studentOperations(auth.viewer.userId, operationsInRequest(req), context);
    if (refusal) throw rateLimitedRequestError(refusal);
  }
  return {
    services,
    logger,
    clock,
    viewer: auth.ok ? auth.viewer : null,
    authFailure: auth.ok ? null : auth.reason,
    ip: req.ip,
    userAgent: req.get('user-agent'),
    cookies: authCookieJar(req, res, config, clock),
    rateLimits: deps.rateLimits,
  };
}

/**
 * Over HTTP, a response that carries SERVICE_UNAVAILABLE has status 503 rather than 200, so
 * that load balancers, monitoring and retrying clients (Apollo Client's RetryLink retries
 * network errors, which a 503 is) see the outage. Whatever data the response has is still in
 * its body.
 */
export const serviceUnavailableStatus: ApolloServerPlugin<GraphQLContext> = {
  requestDidStart: async () => ({
    didEncounterErrors: async ({ errors, response }) => {
      if (errors.some((e) => isServiceUnavailable(e.originalError ?? e))) response.http.status = 503;
    },
  }),
};

/** What formatError answers with SERVICE_UNAVAILABLE: a database that is away, or a service that said so. */
function isServiceUnavailable(err: unknown): boolean {
  return isDatabaseUnavailable(err) || (err instanceof AppError && err.code === 'SERVICE_UNAVAILABLE');
}

/** `err` with status 503 for Apollo; formatError still answers from `err` itself. */
function withServiceUnavailableStatus(err: unknown): GraphQLError {
  return new GraphQLError(ErrorCodes.SERVICE_UNAVAILABLE, {
    extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
    originalError: err instanceof Error ? err : new Error(String(err), { cause: err }),
  });
}

/** The Express app: health endpoints, Apollo on `/graphql` and, while enabled, the explorer on `/explorer`. */
export function createHttpApp(deps: HttpAppDeps): express.Express {
  const { config, logger, db, apollo } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', compileTrustProxy(config.TRUST_PROXY));
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
    res.status(database ? 200 : 503).json({ status: database ? 'ready' : 'unavailable', database });
  });

  if (deps.metrics) app.get('/metrics', deps.metrics);

  app.use(
    '/graphql',
    cors<cors.CorsRequest>({ origin: [...config.ALLOWED_ORIGINS], credentials: true, maxAge: 600 }),
    express.json({ limit: HTTP_BODY_LIMIT }),
    cookieParser(),
    httpRateLimit(deps.rateLimits),
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
