import { type ApolloServerPlugin, HeaderMap } from '@apollo/server';
import type { Request, RequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import { ErrorCodes } from '../errors.js';
import { rateLimitedBody, type RateLimits, type Refusal } from './rate-limits.js';

/** Operations in one HTTP request: a batch (GRAPHQL_ALLOW_BATCHING) counts each of its operations. */
export function operationsInRequest(req: Request): number {
  return Array.isArray(req.body) ? Math.max(1, req.body.length) : 1;
}

/**
 * Express middleware for `/graphql`, after the body parser and before Apollo: refuses a client
 * address that presented TOKEN_FAILURES_PER_IP bad tokens this minute, and counts the
 * request's operations against OPERATIONS_PER_CONNECTION_PER_MINUTE for its address. A refusal
 * is 429 with `Retry-After` and a GraphQL-shaped body (RATE_LIMITED, `retryAfterSeconds`);
 * nothing reaches Apollo, the database or a resolver. Before authentication on purpose: a flood
 * costs a counter increment, not a token check.
 */
export function httpRateLimit(rateLimits: RateLimits): RequestHandler {
  return (req, res, next) => {
    void (async () => {
      const refusal =
        (await rateLimits.refusedAddress(req.ip)) ??
        (await rateLimits.connectionOperations(`address:${req.ip ?? 'unknown'}`, operationsInRequest(req), { transport: 'http', ip: req.ip }));
      if (!refusal) return next();
      res.status(429).set('Retry-After', String(refusal.retryAfterSeconds)).type('json').send(rateLimitedBody(refusal));
    })().catch(next);
  };
}

/**
 * The RATE_LIMITED error for a refusal found while building an HTTP request's context (before
 * any resolver): Apollo answers it with 429 and `Retry-After`.
 */
export function rateLimitedRequestError(refusal: Refusal): GraphQLError {
  return new GraphQLError(ErrorCodes.RATE_LIMITED, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds: refusal.retryAfterSeconds,
      http: { status: 429, headers: new HeaderMap([['retry-after', String(refusal.retryAfterSeconds)]]) },
    },
  });
}

/**
 * Adds `Retry-After` to an HTTP answer whose errors include RATE_LIMITED from a resolver (a
 * log-in waiting out a brute-force delay): the status stays 200, as for any execution error,
 * and the header gives the longest wait among them.
 */
export const retryAfterHeaderPlugin: ApolloServerPlugin = {
  requestDidStart: async () => ({
    willSendResponse: async ({ response }) => {
      if (response.body.kind !== 'single') return;
      const waits = (response.body.singleResult.errors ?? [])
        .filter((e) => e.extensions?.code === 'RATE_LIMITED')
        .map((e) => Number(e.extensions?.retryAfterSeconds))
        .filter((n) => Number.isFinite(n));
      if (waits.length > 0) response.http.headers.set('retry-after', String(Math.max(...waits)));
    },
  }),
};
