import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { parse as parseCookies } from 'cookie';
import type { Authentication } from '../auth/authenticator.js';
import { ACCESS_COOKIE } from '../http/auth-cookies.js';
import { GRAPHQL_PATH } from '../graphql/endpoint.js';
import { clientAddress, type TrustProxy } from '../http/client-address.js';
import type { Logger } from '../logger.js';
import { findPresentedToken } from './token-sources.js';
import type { Defences } from '../security/defences.js';
import { rateLimitedBody, type Refusal } from '../security/request-limits.js';
import { SOCKET_CAP_RETRY_AFTER_SECONDS } from '../security/socket-caps.js';

/**
 * What the token an upgrade carried was found to be, kept for as long as its request object
 * lives (a `WeakMap`): `connection_init` with the same token then needs no second database read.
 */
export class RememberedAuthentications {
  readonly #byRequest = new WeakMap<IncomingMessage, { token: string; auth: Authentication }>();

  remember(request: IncomingMessage, token: string, auth: Authentication): void {
    this.#byRequest.set(request, { token, auth });
  }

  /** The upgrade's result for `token`, once: undefined for another token or a second ask. */
  recall(request: IncomingMessage, token: string | undefined): Authentication | undefined {
    const remembered = this.#byRequest.get(request);
    this.#byRequest.delete(request);
    return remembered && remembered.token === token ? remembered.auth : undefined;
  }
}

/** What the guard reads of the configuration. */
export interface UpgradeGuardSettings {
  /** ALLOWED_ORIGINS: browser origins that may connect with the access cookie. */
  allowedOrigins: readonly string[];
  /** WS_ALLOW_QUERY_TOKEN: accept a token in the upgrade URL's query. */
  allowQueryToken: boolean;
}

/** What {@link admitUpgrade} needs. */
export interface UpgradeGuardDeps {
  settings: UpgradeGuardSettings;
  logger: Logger;
  defences: Pick<Defences, 'counters' | 'requests' | 'sockets'>;
  authenticate: (token: string) => Promise<Authentication>;
  /** Keeps what the upgrade's token was found to be, for `connection_init` to use without a second read. */
  remembered: RememberedAuthentications;
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
  const { settings, defences } = deps;
  const caps = defences.sockets.settings;
  const origin = request.headers.origin;
  const cookies = request.headers.cookie ? parseCookies(request.headers.cookie) : {};
  if (origin !== undefined && cookies[ACCESS_COOKIE] !== undefined && !settings.allowedOrigins.includes(origin)) {
    defences.counters.record('originsRefused', 'ws.origin_refused', { ip, origin });
    return refuse(socket, 403);
  }

  const addressRefused = await defences.requests.refusedAddress(ip);
  if (addressRefused) return refuse(socket, 429, addressRefused);
  const tooManyAttempts = await defences.requests.connectionAttempt(ip);
  if (tooManyAttempts) return refuse(socket, 429, tooManyAttempts);
  const capRefusal = { retryAfterSeconds: SOCKET_CAP_RETRY_AFTER_SECONDS };
  if (defences.sockets.socketsOfAddress(ip) >= caps.maxSocketsPerIp) {
    defences.counters.record('upgradesRefused', 'ws.upgrade_refused', { reason: 'sockets_per_address', ip });
    return refuse(socket, 429, capRefusal);
  }

  const presented = findPresentedToken(undefined, request, settings.allowQueryToken);
  if (presented?.token) {
    // A token that fails here is not counted or logged: connection_init checks it (or a token
    // in connectionParams, which takes precedence) and answers with 4403.
    const auth = await deps.authenticate(presented.token).then(
      (result) => (deps.remembered.remember(request, presented.token, result), result),
      (err: unknown) => {
        deps.logger.warn({ err }, 'could not check the token of a WebSocket upgrade; left to connection_init');
        return undefined;
      },
    );
    if (auth?.ok && defences.sockets.socketsOfStudent(auth.viewer.userId) >= caps.maxSocketsPerStudent) {
      defences.counters.record('upgradesRefused', 'ws.upgrade_refused', { reason: 'sockets_per_student', ip, userId: auth.viewer.userId });
      return refuse(socket, 429, capRefusal);
    }
  }

  // Claimed after the last await, so that concurrent upgrades cannot all pass the check above.
  const release = defences.sockets.claimAddressSocket(ip);
  if (!release) {
    defences.counters.record('upgradesRefused', 'ws.upgrade_refused', { reason: 'sockets_per_address', ip });
    return refuse(socket, 429, capRefusal);
  }
  return release;
}

/**
 * The HTTP server's `upgrade` listener: 404 for any path but {@link GRAPHQL_PATH}, then
 * {@link admitUpgrade}; an admitted upgrade is handed to `accept` with the release of its
 * address's socket place, which is held for as long as the TCP connection, whatever ends it.
 */
export function upgradeListener(
  deps: UpgradeGuardDeps & { trustProxy: TrustProxy },
  accept: (request: IncomingMessage, socket: Duplex, head: Buffer) => void,
): (request: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== GRAPHQL_PATH) {
      return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    // Until the upgrade is handed over, the socket's errors (a client resetting mid-check) are ours to swallow.
    const onSocketError = () => socket.destroy();
    socket.on('error', onSocketError);
    admitUpgrade(deps, request, socket, clientAddress(request, deps.trustProxy))
      .then((releaseAddressPlace) => {
        if (!releaseAddressPlace) return; // refused: the answer is on its way
        if (socket.destroyed) return void releaseAddressPlace();
        socket.on('close', releaseAddressPlace); // closes once; `once` would cost a wrapper per socket
        socket.off('error', onSocketError);
        accept(request, socket, head);
      })
      .catch((err: unknown) => {
        deps.logger.error({ err }, 'could not decide a WebSocket upgrade');
        socket.destroy();
      });
  };
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
