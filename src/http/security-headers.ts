import type { Request, RequestHandler } from 'express';
import helmet from 'helmet';
import type { Config } from '../config.js';
import { GRAPHQL_PATH } from '../graphql/endpoint.js';
import { introspectionAllowed } from '../graphql/operation-limits.js';
import { explorerContentSecurityPolicy, explorerEnabled, isExplorerRequest } from './explorer.js';

/** How long browsers keep to HTTPS once they have seen `Strict-Transport-Security` (one year). */
export const HSTS_MAX_AGE_SECONDS = 31_536_000;

/**
 * Whether a browser opening `/graphql` gets Apollo Sandbox: exactly when introspection is
 * allowed (the sandbox cannot work without it), so by default in development and not in
 * production, where the page would also load scripts from Apollo's CDN.
 */
export function landingPageEnabled(config: Pick<Config, 'GRAPHQL_INTROSPECTION' | 'NODE_ENV'>): boolean {
  return introspectionAllowed(config);
}

/**
 * A request that may get the landing page: a GET to `/graphql` that accepts HTML. Apollo's own
 * test (HTML preferred over JSON) is narrower; this one only has to include it, since the looser
 * policy it selects is still safe for a JSON answer.
 */
function mayGetLandingPage(req: Request): boolean {
  return req.method === 'GET' && req.path === GRAPHQL_PATH && (req.get('accept') ?? '').includes('text/html');
}

/**
 * Security headers on every HTTP response (helmet): `X-Content-Type-Options: nosniff`,
 * `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, `Cross-Origin-Opener-Policy` and
 * `Cross-Origin-Resource-Policy: same-origin`, and a Content-Security-Policy:
 *
 * - for everything the API answers (JSON): `default-src 'none'`, no framing, no base, no forms;
 *   nothing it sends is meant to load anything.
 * - for the landing page: only `frame-ancestors 'none'; base-uri 'none'; object-src 'none'`.
 *   Apollo's page carries its own policy in a `<meta>` tag, with a per-response nonce for its
 *   inline scripts and styles and Apollo's CDN hosts for the sandbox; a browser enforces both
 *   policies, so the header must not restrict what the page's policy allows (a `default-src`
 *   here would block the sandbox's scripts), and adds what a `<meta>` policy cannot say.
 * - for the explorer under `/explorer` (while enabled): its own policy, see
 *   {@link explorerContentSecurityPolicy}.
 *
 * `Strict-Transport-Security` is sent only on requests that came over HTTPS (TLS here, or a
 * trusted proxy's `X-Forwarded-Proto: https`): over plain HTTP browsers ignore it anyway.
 */
export function securityHeaders(config: Pick<Config, 'GRAPHQL_INTROSPECTION' | 'NODE_ENV' | 'EXPLORER_ENABLED'>): RequestHandler[] {
  const common = helmet({
    contentSecurityPolicy: false,
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  const apiPolicy = helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  });
  const landingPagePolicy = helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: helmet.contentSecurityPolicy.dangerouslyDisableDefaultSrc,
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
    },
  });
  const hsts = helmet.strictTransportSecurity({ maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true });
  const explorerPolicy = explorerContentSecurityPolicy();
  const landingPage = landingPageEnabled(config);
  const explorer = explorerEnabled(config);
  const policyFor = (req: Request) =>
    landingPage && mayGetLandingPage(req) ? landingPagePolicy : explorer && isExplorerRequest(req) ? explorerPolicy : apiPolicy;
  return [
    common,
    (req, res, next) => policyFor(req)(req, res, next),
    (req, res, next) => (req.secure ? hsts(req, res, next) : next()),
  ];
}
