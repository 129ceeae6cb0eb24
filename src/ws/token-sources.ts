import type { IncomingMessage } from 'node:http';
import { parse as parseCookies } from 'cookie';
import { ACCESS_COOKIE, bearerToken } from '../http/auth-cookies.js';

/** Where a socket's access token was found. */
export type TokenSource =
  | 'connectionParams.token'
  | 'connectionParams.authToken'
  | 'connectionParams.Authorization'
  | 'connectionParams.headers.Authorization'
  | 'upgrade.Authorization'
  | 'upgrade.cookie'
  | 'upgrade.query';

/** The token a client presented and where; `token` is '' for a present but unusable value. */
export interface PresentedToken {
  token: string;
  source: TokenSource;
}

function stringAt(obj: unknown, ...keys: string[]): string | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  for (const key of keys) {
    const value = (obj as Record<string, unknown>)[key];
    if (value !== undefined && value !== null) return typeof value === 'string' ? value : '';
  }
  return undefined;
}

/** A raw token or a `Bearer …` header value: either is accepted in connectionParams. */
function tokenOrBearer(value: string): string {
  return /^bearer\s/i.test(value) ? (bearerToken(value) ?? '') : value.trim();
}

/**
 * Finds the access token of a WebSocket client, in order: `connectionParams.token`,
 * `.authToken`, `.Authorization`/`.authorization` ("Bearer …"), `.headers.Authorization`
 * (Apollo Client and older examples); then the upgrade request's `Authorization` header; then
 * the HTTP side's access cookie; then, only if `allowQueryToken`, a `token` query parameter.
 */
export function findPresentedToken(
  connectionParams: Readonly<Record<string, unknown>> | undefined,
  request: IncomingMessage,
  allowQueryToken: boolean,
): PresentedToken | undefined {
  const params = connectionParams ?? {};
  const direct = stringAt(params, 'token');
  if (direct !== undefined) return { token: tokenOrBearer(direct), source: 'connectionParams.token' };
  const authToken = stringAt(params, 'authToken');
  if (authToken !== undefined) return { token: tokenOrBearer(authToken), source: 'connectionParams.authToken' };
  const auth = stringAt(params, 'Authorization', 'authorization');
  if (auth !== undefined) return { token: tokenOrBearer(auth), source: 'connectionParams.Authorization' };
  const headerAuth = stringAt(params.headers, 'Authorization', 'authorization');
  if (headerAuth !== undefined) return { token: tokenOrBearer(headerAuth), source: 'connectionParams.headers.Authorization' };

  const upgradeAuth = request.headers.authorization;
  if (upgradeAuth !== undefined) return { token: bearerToken(upgradeAuth) ?? '', source: 'upgrade.Authorization' };
  const cookie = request.headers.cookie ? parseCookies(request.headers.cookie)[ACCESS_COOKIE] : undefined;
  if (cookie) return { token: cookie, source: 'upgrade.cookie' };
  if (allowQueryToken) {
    const query = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
    if (query !== null) return { token: query, source: 'upgrade.query' };
  }
  return undefined;
}
