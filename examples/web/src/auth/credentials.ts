import { CombinedGraphQLErrors } from '@apollo/client/errors';
import type { AuthPayloadFieldsFragment } from '../__generated__/graphql.js';
import { errorCode, postGraphQL } from '../graphql-fetch.js';
import { LogInDocument, LogOutDocument, RefreshDocument, SignUpDocument } from '../operations.js';

// The one place that holds the student's credentials. Cookie mode: the refresh token lives only
// in the API's httpOnly `studyclock_refresh` cookie (path /graphql), out of reach of script; the
// access token lives here, in memory, and is handed to both transports by `getAccessToken()`.
// A reload loses the access token and `restoreSession()` gets a new one from the cookie.

/** The signed-in student. */
export interface Student {
  id: string;
  email: string;
}

/** Whether someone is signed in; `restoring` until the first refresh has answered. */
export type AuthState =
  | { status: 'restoring' }
  | { status: 'signedOut'; reason?: 'expired' }
  | { status: 'signedIn'; student: Student };

/** Thrown by {@link getAccessToken} callers that need a token when nobody is signed in. */
export class SignedOutError extends Error {
  constructor() {
    super('Signed out');
    this.name = 'SignedOutError';
  }
}

/**
 * How long before its expiry an access token is replaced: a quarter of its lifetime, at most
 * a minute. The API closes a socket at its token's expiry (4403 `Token expired`) whatever the
 * client does, so this margin is about HTTP requests, which should never carry a token that
 * dies in flight; a relative margin keeps short lifetimes (ACCESS_TOKEN_TTL_SECONDS=3 in the
 * tests) from refreshing on every call.
 */
function refreshAt(expiresAt: number, now: number): number {
  return expiresAt - Math.min(60_000, Math.max(0, expiresAt - now) / 4);
}

let state: AuthState = { status: 'restoring' };
let token: { value: string; refreshAt: number } | undefined;
let refreshing: Promise<string | undefined> | undefined;
const listeners = new Set<() => void>();

function setState(next: AuthState): void {
  state = next;
  for (const listener of listeners) listener();
}

/** Takes in what signUp, logIn or refreshToken answered. */
function accept(payload: AuthPayloadFieldsFragment): string {
  token = { value: payload.accessToken, refreshAt: refreshAt(Date.parse(payload.expiresAt), Date.now()) };
  if (state.status !== 'signedIn' || state.student.id !== payload.user.id) {
    setState({ status: 'signedIn', student: { id: payload.user.id, email: payload.user.email } });
  }
  return payload.accessToken;
}

function signOutLocally(reason?: 'expired'): void {
  token = undefined;
  if (state.status !== 'signedOut') setState(reason ? { status: 'signedOut', reason } : { status: 'signedOut' });
}

/** The current {@link AuthState} (for `useSyncExternalStore`). */
export function getAuthState(): AuthState {
  return state;
}

/** Calls `listener` on every change of {@link AuthState}; returns the unsubscribe. */
export function subscribeAuthState(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The access token for the next request: the cached one while it is fresh, else a refreshed
 * one (one refresh in flight per tab however many callers wait). Undefined when nobody is
 * signed in. Rejects only when the API cannot be reached (the student stays signed in).
 */
export async function getAccessToken(): Promise<string | undefined> {
  if (token && Date.now() < token.refreshAt) return token.value;
  if (state.status === 'signedOut') return undefined;
  return refreshAccessToken();
}

/**
 * Drops the cached access token and gets a new one from the refresh cookie, sharing the
 * refresh already in flight if there is one. For the moments the API has refused the token
 * (HTTP UNAUTHENTICATED, socket closed with 4403): callers that ask for a token meanwhile wait
 * for this refresh instead of being handed the refused token again. A refresh the API refuses
 * (the log-in was ended: logged out elsewhere, expired, revoked) signs the tab out.
 */
export function refreshAccessToken(): Promise<string | undefined> {
  if (state.status === 'signedOut') return Promise.resolve(undefined);
  token = undefined;
  refreshing ??= spendRefreshCookie().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

async function spendRefreshCookie(): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      const data = await acrossTabs(() => postGraphQL(RefreshDocument, {}));
      return accept(data.refreshToken);
    } catch (error) {
      if (errorCode(error) !== 'UNAUTHENTICATED') throw error;
      // No cookie at all: nobody has signed in in this browser.
      const missing = CombinedGraphQLErrors.is(error) && error.errors[0]?.extensions?.reason === 'missing';
      // Another tab may have spent the same cookie a moment ago (a browser without Web Locks):
      // the API answers one of two such refreshes UNAUTHENTICATED but keeps the log-in, and the
      // winner's answer sets the new cookie. One more try tells that apart from a real end.
      if (missing || attempt === 2) {
        signOutLocally(state.status === 'signedIn' ? 'expired' : undefined);
        return undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * Runs `refresh` under a Web Lock shared by every tab of the origin, so that two tabs never
 * present the same refresh cookie at once: each rotates the cookie the previous one left.
 */
function acrossTabs<T>(refresh: () => Promise<T>): Promise<T> {
  if (typeof navigator === 'undefined' || !navigator.locks) return refresh();
  return navigator.locks.request('studyclock-refresh-token', refresh);
}

/**
 * On page load: signs the student back in from the refresh cookie, if there is a live one.
 * Rejects when the API cannot be reached (the state stays `restoring`; call again to retry).
 */
export async function restoreSession(): Promise<void> {
  const restored = await refreshAccessToken();
  if (restored === undefined) signOutLocally();
}

/** Creates an account and signs it in. Rejects with EMAIL_TAKEN, BAD_USER_INPUT, RATE_LIMITED… */
export async function signUp(email: string, password: string): Promise<void> {
  const data = await postGraphQL(SignUpDocument, { email, password });
  accept(data.signUp);
}

/** Signs in. Rejects with INVALID_CREDENTIALS (unknown email or wrong password alike), RATE_LIMITED… */
export async function logIn(email: string, password: string): Promise<void> {
  const data = await postGraphQL(LogInDocument, { email, password });
  accept(data.logIn);
}

/**
 * Forgets the log-in here, then ends it on the API: its cookies are cleared, and its access
 * tokens and sockets stop working at once, in every tab (the others then find their refresh
 * refused and show the log-in form). Signed out here first, so that this tab's own socket,
 * closed by the API with 4403 `Logged out`, does not try to refresh. Rejects when the API
 * cannot be reached; the refresh cookie then survives until it expires.
 */
export async function logOut(): Promise<void> {
  signOutLocally();
  await postGraphQL(LogOutDocument, {});
}
