import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { parse as parseCookies } from 'cookie';
import type { Authentication } from '../auth/auth.service.js';
import type { Config } from '../config.js';
import { ACCESS_COOKIE } from '../http/auth-cookies.js';
import type { Logger } from '../logger.js';
import { findPresentedToken } from '../ws/token-sources.js';
import { rateLimitedBody, type RateLimits, type Refusal, SOCKET_CAP_RETRY_AFTER_SECONDS } from './rate-limits.js';

/** What {@link admitUpgrade} needs. */
export interface UpgradeGuardDeps {
  config: Config;
  logger: Logger;
  rateLimits: RateLimits;
  authenticate: (token: string) => Promise<Authentication>;
}

/**
 * Decides a WebSocket upgrade before it completes, answering a refusal on the raw socket:
 *
 * - **403** when the upgrade carries the `studyclock_access` cookie and an `Origin` that is not
 *   in ALLOWED_ORIGINS (cross-site WebSocket hijacking: a page elsewhere would otherwise be let
 *   in on the student's cookie). Without the cookie any origin may connect: a token in
 *   `connectionParams` is not sent by the browser on its own, so it proves the page holds it.
 *   Without an `Origin` (not a browser) the cookie is accepted too: nobody's browser is being
 *   borrowed.
 * - **429** with `Retry-After` when the address has presented TOKEN_FAILURES_PER_IP
 *   bad tokens this minute, has attempted more than WS_CONNECTIONS_PER_IP_PER_MINUTE upgrades,
 *   has WS_MAX_SOCKETS_PER_IP sockets open, or — when the upgrade itself carries the token
 *   (`Authorization` header, cookie, query) — its student has WS_MAX_SOCKETS_PER_STUDENT open.
 *   Otherwise the student is known only at `connection_init`, where the same cap is applied.
 *
 * Resolves with the release of the address's socket place when the upgrade may go ahead (the
 * caller ties it to the socket's end), or undefined once it has answered a refusal.
 */
export async function admitUpgrade(
  deps: UpgradeGuardDeps,
  request: IncomingMessage,
  socket: Duplex,
  ip: string | undefined,
): Promise<(() => void) | undefined> {
  const { config, rateLimits } = deps;
  const origin = request.headers.origin;
  const cookies = request.headers.cookie ? parseCookies(request.headers.cookie) : {};
  if (origin !== undefined && cookies[ACCESS_COOKIE] !== undefined && !config.ALLOWED_ORIGINS.includes(origin)) {
    rateLimits.record('originsRefused', 'ws.origin_refused', { ip, origin });
    return refuse(socket, 403);
  }

  const addressRefused = await rateLimits.refusedAddress(ip);
  if (addressRefused) return refuse(socket, 429, addressRefused);
  const tooManyAttempts = await rateLimits.connectionAttempt(ip);
  if (tooManyAttempts) return refuse(socket, 429, tooManyAttempts);
  const capRefusal = { retryAfterSeconds: SOCKET_CAP_RETRY_AFTER_SECONDS };
  if (rateLimits.socketsOfAddress(ip) >= config.WS_MAX_SOCKETS_PER_IP) {
    rateLimits.record('upgradesRefused', 'ws.upgrade_refused', { reason: 'sockets_per_address', ip });
    return refuse(socket, 429, capRefusal);
  }

  const presented = findPresentedToken(undefined, request, config.WS_ALLOW_QUERY_TOKEN);
  if (presented?.token) {
    // A token that fails here is not counted or logged: connection_init checks it (or a token
    // in connectionParams, which takes precedence) and answers with 4403.
    const auth = await deps.authenticate(presented.token).catch((err: unknown) => {
      deps.logger.warn({ err }, 'could not check the token of a WebSocket upgrade; left to connection_init');
      return undefined;
    });
    if (auth?.ok && rateLimits.socketsOfStudent(auth.viewer.userId) >= config.WS_MAX_SOCKETS_PER_STUDENT) {
      rateLimits.record('upgradesRefused', 'ws.upgrade_refused', { reason: 'sockets_per_student', ip, userId: auth.viewer.userId });
      return refuse(socket, 429, capRefusal);
    }
  }

  // Claimed after the last await, so that concurrent upgrades cannot all pass the check above.
  const release = rateLimits.claimAddressSocket(ip);
  if (!release) {
    rateLimits.record('upgradesRefused', 'ws.upgrade_refused', { reason: 'sockets_per_address', ip });
    return refuse(socket, 429, capRefusal);
  }
  return release;
}

/** Answers the upgrade request with `status` (429: `Retry-After` and a GraphQL-shaped body) and closes the socket. */
function refuse(socket: Duplex, status: 403 | 429, refusal?: Refusal): undefined {
  if (!socket.writable) {
    socket.destroy();
    return undefined;
  }
  const body = refusal ? rateLimitedBody(refusal) : '';
  const head = [
    status === 403 ? 'HTTP/1.1 403 Forbidden' : 'HTTP/1.1 429 Too Many Requests',
    'Connection: close',
    ...(refusal ? [`Retry-After: ${refusal.retryAfterSeconds}`, 'Content-Type: application/json'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  return undefined;
}
