import type { Request, RequestHandler } from 'express';
import { rateLimitedBody, type RequestLimits } from '../security/request-limits.js';

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
export function httpRateLimit(rateLimits: RequestLimits): RequestHandler {
  return (req, res, next) => {
    void (async () => {
      const refusal =
        (await rateLimits.refusedAddress(req.ip)) ??
        (await rateLimits.addressOperations(req.ip, operationsInRequest(req), { transport: 'http', ip: req.ip }));
      if (!refusal) return next();
      res.status(429).set('Retry-After', String(refusal.retryAfterSeconds)).type('json').send(rateLimitedBody(refusal));
    })().catch(next);
  };
}
