import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { from, switchMap } from 'rxjs';
import { getAccessToken, getAuthState, refreshAccessToken, SignedOutError } from './auth/credentials.js';
import { GRAPHQL_PATH, graphqlWebSocketUrl } from './graphql-fetch.js';

// The README's "Apollo Client recipe", in full: HTTP for queries and mutations, graphql-ws for
// `timerUpdated`, one access token for both from ./auth/credentials.ts.

/** Close code and reason with which the API ends a socket whose token has expired. */
const TOKEN_EXPIRED = { code: 4403, reason: 'Token expired' } as const;

/** What the page can say about its WebSocket. */
export type LinkStatus = 'idle' | 'connecting' | 'live' | 'reconnecting';

/** The WebSocket's state, for the "Live" badge: a tiny store for `useSyncExternalStore`. */
export interface LinkStatusStore {
  get(): LinkStatus;
  subscribe(listener: () => void): () => void;
}

/** An Apollo Client wired to the API, with its graphql-ws client and the socket's status. */
export interface StudyclockClient {
  apollo: ApolloClient;
  socket: Client;
  linkStatus: LinkStatusStore;
}

function isCloseEvent(value: unknown): value is CloseEvent {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}

/** Exponential back-off with jitter, 1 s doubling up to 30 s. */
function backOff(retries: number): Promise<void> {
  const ms = Math.min(30_000, 1000 * 2 ** retries) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function createSocket(setStatus: (status: LinkStatus) => void): Client {
  let lastClose: CloseEvent | undefined;
  return createClient({
    url: graphqlWebSocketUrl(),
    // Called on every (re)connection, so each one presents a token that is fresh right then.
    // Nobody signed in: fail for good (graphql-ws reports the error to `shouldRetry`, which
    // answers false, and closes with 4005).
    connectionParams: async () => {
      const token = await getAccessToken().catch(() => undefined);
      if (token === undefined && getAuthState().status === 'signedOut') throw new SignedOutError();
      // Token unavailable because the API is unreachable: connect without one; the API answers
      // 4403 `Missing token` and the retry below tries again after a back-off.
      return token === undefined ? {} : { Authorization: `Bearer ${token}` };
    },
    // A student keeps a tab open for hours, across sleeps and network changes: never give up
    // while signed in. graphql-ws still ends at once on its fatal codes (4400, 4401, 4406,
    // 4409, 4429, 4500, 4005), which are bugs a retry cannot fix. Browsers report a refused or
    // failed connection as an `error` event (not a close event), so retry everything but
    // "signed out" rather than only close events (graphql-ws's default).
    retryAttempts: Infinity,
    shouldRetry: () => getAuthState().status !== 'signedOut',
    // An expired token is routine (every ACCESS_TOKEN_TTL_SECONDS): reconnect at once with the
    // fresh one, so the timer barely skips a beat. Anything else (1001 going away, 1006 network
    // lost, 1013 try again later / too many connections) backs off.
    retryWait: async (retries) => {
      const expired = lastClose?.code === TOKEN_EXPIRED.code && lastClose.reason === TOKEN_EXPIRED.reason;
      if (!(expired && retries === 0)) await backOff(retries);
    },
    on: {
      connecting: (isRetry) => setStatus(isRetry ? 'reconnecting' : 'connecting'),
      connected: () => {
        lastClose = undefined;
        setStatus('live');
      },
      closed: (event) => {
        lastClose = isCloseEvent(event) ? event : undefined;
        // 4403: the API refused or ended this token (expired, logged out, revoked). Start the
        // refresh now rather than when the retry asks for a token; if the log-in itself has
        // ended, the refresh signs this tab out.
        if (lastClose?.code === TOKEN_EXPIRED.code) void refreshAccessToken().catch(() => undefined);
        setStatus(lastClose?.code === 1000 ? 'idle' : 'reconnecting');
      },
    },
  });
}

/** Context flag of an operation already retried once after UNAUTHENTICATED. */
const RETRIED_AFTER_REFRESH = 'studyclockRetriedAfterRefresh';

/** Builds the client the app uses (one per page). */
export function createStudyclockClient(): StudyclockClient {
  let status: LinkStatus = 'idle';
  const statusListeners = new Set<() => void>();
  const linkStatus: LinkStatusStore = {
    get: () => status,
    subscribe: (listener) => {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
  };
  const socket = createSocket((next) => {
    status = next;
    for (const listener of statusListeners) listener();
  });

  const withToken = new SetContextLink(async (prevContext) => {
    const token = await getAccessToken();
    return {
      headers: { ...(prevContext.headers as Record<string, string> | undefined), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    };
  });

  // A token can still be refused before its expiry (the API restarted with a new JWT_SECRET,
  // the clocks disagree): refresh once and try the operation again. The retry goes through
  // `withToken` again, which then finds the new token.
  const retryAfterRefresh = new ErrorLink(({ error, operation, forward }) => {
    const unauthenticated =
      CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
    if (!unauthenticated || operation.getContext()[RETRIED_AFTER_REFRESH]) return;
    operation.setContext({ [RETRIED_AFTER_REFRESH]: true });
    return from(refreshAccessToken()).pipe(switchMap(() => forward(operation)));
  });

  const http = ApolloLink.from([retryAfterRefresh, withToken, new HttpLink({ uri: GRAPHQL_PATH, credentials: 'same-origin' })]);
  const link = ApolloLink.split(
    (operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(socket),
    http,
  );
  const apollo = new ApolloClient({ link, cache: new InMemoryCache() });
  return { apollo, socket, linkStatus };
}
