import type { Server } from 'node:http';
import { type ApolloServerPlugin, HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { GraphQLError } from 'graphql';
import type { Config } from '../config.js';
import { isBackendUnavailable } from '../db/failures.js';
import { AppError, ErrorCodes, httpAnswerOf } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { ServerMetrics } from '../metrics/metrics.js';
import { landingPageEnabled } from './security-headers.js';

// Every Apollo plugin of the server, and the one place where an error becomes an HTTP status
// and headers (from each code's `http` in `ErrorCatalog`).

/** Apollo serves only HTTP here: a subscription sent over it gets a clear 400, not a failed execution. */
export const refuseSubscriptionsOverHttp: ApolloServerPlugin<GraphQLContext> = {
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
 * Status and headers of an executed operation's response from the codes of its errors (see
 * `HttpAnswer`): 503 when one is SERVICE_UNAVAILABLE (its data, if any, still in the body), and
 * `Retry-After` with the longest wait among RATE_LIMITED ones (a log-in waiting out a delay;
 * the status stays 200, as for any execution error).
 */
export const httpAnswerFromErrors: ApolloServerPlugin<GraphQLContext> = {
  requestDidStart: async () => ({
    willSendResponse: async ({ response }) => {
      if (response.body.kind !== 'single') return;
      let retryAfter: number | undefined;
      for (const error of response.body.singleResult.errors ?? []) {
        const answer = httpAnswerOf(error.extensions?.code);
        if (!answer) continue;
        if (!answer.beforeExecution) response.http.status = Math.max(response.http.status ?? 200, answer.status);
        const wait = Number(error.extensions?.retryAfterSeconds);
        if (answer.retryAfter && Number.isFinite(wait)) retryAfter = Math.max(retryAfter ?? 0, wait);
      }
      if (retryAfter !== undefined) response.http.headers.set('retry-after', String(retryAfter));
    },
  }),
};

/**
 * What to throw for `err` raised while building an HTTP request's context (before any
 * resolver), which Apollo answers by itself: an {@link AppError} with an HTTP answer, or a
 * backend that is away (SERVICE_UNAVAILABLE), gets its status and headers; `formatError`
 * still answers from the original error. Anything else is rethrown as it is (a 500).
 */
export function httpContextError(err: unknown): unknown {
  const appError = err instanceof AppError ? err : isBackendUnavailable(err) ? new AppError('SERVICE_UNAVAILABLE') : undefined;
  const answer = appError && httpAnswerOf(appError.code);
  if (!appError || !answer) return err;
  const retryAfterSeconds = appError.extensions.retryAfterSeconds;
  const headers = answer.retryAfter && retryAfterSeconds !== undefined ? new HeaderMap([['retry-after', String(retryAfterSeconds)]]) : undefined;
  return new GraphQLError(ErrorCodes[appError.code], {
    extensions: { ...appError.extensions, code: appError.code, http: { status: answer.status, ...(headers && { headers }) } },
    originalError: err instanceof Error ? err : new Error(String(err), { cause: err }),
  });
}

/**
 * Apollo's landing page plugin for `landingPageEnabled`: the embedded sandbox, or none at
 * all (a browser's GET then gets Apollo's 400 for a GET without a query).
 */
export function landingPagePlugin(config: Pick<Config, 'GRAPHQL_INTROSPECTION' | 'NODE_ENV'>): ApolloServerPlugin {
  return landingPageEnabled(config) ? ApolloServerPluginLandingPageLocalDefault({ footer: false }) : ApolloServerPluginLandingPageDisabled();
}

/**
 * Counts every HTTP request once in `studyclock_http_requests_total`: an operation when its
 * response is sent (whatever failed on the way), and the requests Apollo refuses before any
 * operation (a context that failed, a malformed request).
 */
export function metricsPlugin(metrics: Pick<ServerMetrics, 'operationAnswered' | 'requestRefused'>): ApolloServerPlugin<GraphQLContext> {
  return {
    requestDidStart: async () => ({
      willSendResponse: async ({ operation, document, response }) => metrics.operationAnswered(operation ?? undefined, document, response.body),
    }),
    contextCreationDidFail: async ({ error }) => metrics.requestRefused(error),
    invalidRequestWasReceived: async ({ error }) => metrics.requestRefused(error),
  };
}

/**
 * Apollo's drain of the HTTP server, without keeping anything per connection: Apollo's own
 * plugin (`ApolloServerPluginDrainHttpServer`) keeps every socket the server accepts in a map,
 * with a close listener, for the socket's life: WebSockets too, a few hundred bytes each at
 * tens of thousands of them. This one counts on Node's HTTP server, which knows its HTTP
 * connections (upgraded sockets are no longer among them: the WebSocket side closes those).
 *
 * When Apollo drains: the server stops accepting and closes its idle keep-alive connections
 * (`server.close()`); a request in flight finishes, and its connection is closed once it is
 * idle; after `graceMs`, every HTTP connection left is cut (`closeAllConnections`). Resolves
 * when the server has closed.
 */
export function drainHttpServerPlugin(server: Server, graceMs: number): ApolloServerPlugin {
  let draining = false;
  // One function for every response (no closure per request); a connection is idle only once
  // its response has finished, hence the turn of the loop.
  const closeIdle = () => void (draining && setImmediate(() => server.closeIdleConnections()));
  server.on('request', (_req, res) => res.on('finish', closeIdle));
  return {
    serverWillStart: async () => ({
      drainServer: async () => {
        draining = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        const cutoff = setTimeout(() => server.closeAllConnections(), graceMs);
        try {
          await closed;
        } finally {
          clearTimeout(cutoff);
        }
      },
    }),
  };
}
