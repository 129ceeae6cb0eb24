import { CombinedGraphQLErrors } from '@apollo/client/errors';
import type { AuthPayloadFieldsFragment } from '../__generated__/graphql.js';
import { errorCode, POST_TIMEOUT_MS, postGraphQL } from '../graphql-fetch.js';
import { DeleteAccountDocument, LogInDocument, LogOutDocument, RefreshDocument, SignUpDocument } from '../operations.js';

// The one place that holds the student's credentials. Cookie mode: the API keeps two httpOnly
// cookies that script cannot read, `studyclock_refresh` (path /graphql, spent and renewed by
// every refresh) and `studyclock_access` (path /, a copy of the current access token, which the
// API accepts from a request that presents no token of its own). The page's own copy of the
// access token lives here, in memory, and is handed to both transports by `getAccessToken()`.
// A reload loses that copy and `restoreSession()` gets a new token from the refresh cookie.

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
 * How long a refresh waits for the cross-tab lock before giving up (rejecting as if the API
 * could not be reached). The tab holding it gives it back within {@link POST_TIMEOUT_MS}; this
 * leaves room for one more tab queued ahead.
 */
const LOCK_TIMEOUT_MS = 2 * POST_TIMEOUT_MS + 5000;

/**
 * The token's lifetime in milliseconds as the API counts it: its `exp` minus its `iat`, both
 * from the API's clock. Undefined when the token does not read as a JWT with both claims.
 */
function lifetimeMs(accessToken: string): number | undefined {
  try {
    const payload = accessToken.split('.')[1] ?? '';
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { iat?: unknown; exp?: unknown };
    const { iat, exp } = claims;
    return typeof iat === 'number' && typeof exp === 'number' && exp > iat ? (exp - iat) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When, on this browser's clock, an access token received at `receivedAt` is replaced: a
 * quarter of its lifetime before it ends, at most a minute before. The lifetime is the API's
 * own (`exp − iat`) counted from the moment the token arrived, never the API's `expiresAt`
 * against the browser's clock: a browser whose clock runs minutes ahead would otherwise find
 * every token stale and refresh on every request. (Counting from arrival ends the token a
 * round trip late here; the margin covers that.)
 *
 * The API closes a socket at its token's expiry (4403 `Token expired`) whatever the client
 * does, so this margin is about HTTP requests, which should never carry a token that dies in
 * flight; a relative margin keeps short lifetimes (ACCESS_TOKEN_TTL_SECONDS=3 in the tests)
 * from refreshing on every call.
 */
function refreshAt(payload: AuthPayloadFieldsFragment, receivedAt: number): number {
  // Not a JWT with `iat`: fall back on `expiresAt`, and on the clocks agreeing.
  const lifetime = lifetimeMs(payload.accessToken) ?? Math.max(0, Date.parse(payload.expiresAt) - receivedAt);
  return receivedAt + lifetime - Math.min(60_000, lifetime / 4);
}

let state: AuthState = { status: 'restoring' };
let token: { value: string; refreshAt: number } | undefined;
let refreshing: { epoch: number; promise: Promise<string | undefined> } | undefined;
/**
 * Bumped each time this tab signs in or out (logIn, signUp, log-out, a refused refresh). A
 * refresh that was sent in an earlier epoch belongs to a log-in that no longer counts here: its
 * answer is dropped, so that logging out while a refresh is in flight cannot sign the tab back
 * in, and a refresh refused for the previous log-in cannot sign out the next one.
 */
let epoch = 0;
const listeners = new Set<() => void>();

function setState(next: AuthState): void {
  state = next;
  for (const listener of listeners) listener();
}

/** Takes in what signUp, logIn or refreshToken answered. */
function accept(payload: AuthPayloadFieldsFragment): string {
  token = { value: payload.accessToken, refreshAt: refreshAt(payload, Date.now()) };
  if (state.status !== 'signedIn' || state.student.id !== payload.user.id) {
    setState({ status: 'signedIn', student: { id: payload.user.id, email: payload.user.email } });
  }
  return payload.accessToken;
}

/** Takes in a new log-in (signUp, logIn): whatever refresh is in flight belonged to the previous one. */
function acceptLogIn(payload: AuthPayloadFieldsFragment): void {
  epoch++;
  accept(payload);
}

function signOutLocally(reason?: 'expired'): void {
  epoch++;
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
  return refresh();
}

/**
 * For the moments the API has refused a token (HTTP UNAUTHENTICATED, socket closed with 4403):
 * `refused` is the token that request or socket presented. A newer token may already be here
 * (another request refreshed first): then that one is the answer, and nothing is spent. Else
 * the cached token is dropped, so that callers asking meanwhile wait for the refresh instead of
 * being handed the refused token again, and a new one is fetched from the refresh cookie,
 * sharing the refresh in flight if there is one. Undefined when nobody is signed in, or when
 * the API refuses the refresh (the log-in was ended: logged out elsewhere, expired, revoked),
 * which signs the tab out. Rejects when the API cannot be reached.
 */
export function refreshAccessToken(refused?: string): Promise<string | undefined> {
  if (state.status === 'signedOut') return Promise.resolve(undefined);
  if (token && token.value !== refused) return getAccessToken();
  token = undefined;
  return refresh();
}

function refresh(): Promise<string | undefined> {
  if (refreshing?.epoch !== epoch) {
    const entry = { epoch, promise: spendRefreshCookie(epoch) };
    entry.promise = entry.promise.finally(() => {
      if (refreshing === entry) refreshing = undefined;
    });
    refreshing = entry;
  }
  return refreshing.promise;
}

async function spendRefreshCookie(sentIn: number): Promise<string | undefined> {
  // Signed out (or in as someone else) since it was asked for: not ours to take in or act on.
  const stale = () => sentIn !== epoch;
  for (let attempt = 1; !stale(); attempt++) {
    try {
      const data = await acrossTabs(() => postGraphQL(RefreshDocument, {}));
      return stale() ? undefined : accept(data.refreshToken);
    } catch (error) {
      if (stale()) return undefined;
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
  return undefined;
}

/**
 * Runs `spend` under a Web Lock shared by every tab of the origin, so that two tabs never
 * present the same refresh cookie at once: each one presents the cookie the previous one left.
 * Waits at most {@link LOCK_TIMEOUT_MS} for the lock (rejecting with an `AbortError`
 * `DOMException`): a tab stuck holding it must not stall the others for good. (The holder's
 * request itself gives up after {@link POST_TIMEOUT_MS}.)
 */
function acrossTabs<T>(spend: () => Promise<T>): Promise<T> {
  if (typeof navigator === 'undefined' || !navigator.locks) return spend();
  return navigator.locks.request('studyclock-refresh-token', { signal: AbortSignal.timeout(LOCK_TIMEOUT_MS) }, spend);
}

/**
 * On page load: signs the student back in from the refresh cookie, if there is a live one.
 * Rejects when the API cannot be reached (the state stays `restoring`; call again to retry).
 */
export async function restoreSession(): Promise<void> {
  const restored = await refreshAccessToken();
  if (restored === undefined && state.status === 'restoring') signOutLocally();
}

/** Creates an account and signs it in. Rejects with EMAIL_TAKEN, BAD_USER_INPUT, RATE_LIMITED… */
export async function signUp(email: string, password: string): Promise<void> {
  const data = await postGraphQL(SignUpDocument, { email, password });
  acceptLogIn(data.signUp);
}

/** Signs in. Rejects with INVALID_CREDENTIALS (unknown email or wrong password alike), RATE_LIMITED… */
export async function logIn(email: string, password: string): Promise<void> {
  const data = await postGraphQL(LogInDocument, { email, password });
  acceptLogIn(data.logIn);
}

/**
 * Forgets the log-in here, then ends it on the API: its cookies are cleared, and its access
 * tokens and sockets stop working at once, in every tab (the others then find their refresh
 * refused and show the log-in form). Signed out here first, so that this tab's own socket,
 * closed by the API with 4403 `Logged out`, does not try to refresh, and so that a refresh in
 * flight is dropped when it answers. That refresh is waited for, and the log-out sent under the
 * same lock as refreshes: the API must be shown the refresh cookie the last refresh left, the
 * one that names the log-in. Rejects when the API cannot be reached; the refresh cookie then
 * survives until it expires.
 */
export async function logOut(): Promise<void> {
  const inFlight = refreshing?.promise;
  signOutLocally();
  await inFlight?.catch(() => undefined);
  await acrossTabs(() => postGraphQL(LogOutDocument, {}));
}

/**
 * Deletes the student's account, everything of it, once `password` confirms it is theirs;
 * then this tab is signed out (the API has cleared the auth cookies, and closes every socket
 * of the account with 4403 `Account deleted`, so the other tabs find their refresh refused and
 * sign out too). Sent outside Apollo Client: it ends the credentials Apollo's links depend on.
 * Rejects with INVALID_CREDENTIALS for a wrong password (nothing deleted, still signed in),
 * RATE_LIMITED, or when the API cannot be reached.
 */
export async function deleteAccount(password: string): Promise<void> {
  const accessToken = await getAccessToken();
  if (accessToken === undefined) throw new SignedOutError();
  await postGraphQL(DeleteAccountDocument, { password }, { authorization: `Bearer ${accessToken}` });
  signOutLocally();
}
