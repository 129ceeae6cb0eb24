import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { from, of, switchMap, throwError } from 'rxjs';
import { getAccessToken, getAuthState, refreshAccessToken, SignedOutError, subscribeAuthState } from './auth/credentials.js';
import { GRAPHQL_PATH, graphqlWebSocketUrl } from './graphql-fetch.js';

// The README's "Apollo Client recipe", in full: HTTP for queries and mutations, graphql-ws for
// `activeSessionUpdated`, one access token for both from ./auth/credentials.ts.

/** Close code and reason with which the API ends a socket whose token has expired. */
const TOKEN_EXPIRED = { code: 4403, reason: 'Token expired' } as const;

/** How often the client pings an idle socket: 10 s after the last pong. */
const KEEP_ALIVE_MS = 10_000;
/** How long a ping may go unanswered before the socket is taken for dead and terminated. */
const PONG_TIMEOUT_MS = 5000;

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

/** The student signed in now, if anyone. */
function currentStudentId(): string | undefined {
  const auth = getAuthState();
  return auth.status === 'signedIn' ? auth.student.id : undefined;
}

function createSocket(setStatus: (status: LinkStatus) => void): Client {
  let lastClose: CloseEvent | undefined;
  // What the current (or last) connection presented in connectionParams, and for whom: a 4403
  // refresh replaces exactly that token, and a change of student ends the connection.
  let sentToken: string | undefined;
  let sentFor: string | undefined;
  let pongTimeout: ReturnType<typeof setTimeout> | undefined;

  const socket = createClient({
    url: graphqlWebSocketUrl(),
    // Called on every (re)connection, so each one presents a token that is fresh right then.
    // Nobody signed in: fail for good. graphql-ws hands the thrown error to `shouldRetry`
    // (below), which answers false, and closes the socket with 4005 `Signed out`.
    connectionParams: async () => {
      const token = await getAccessToken().catch(() => undefined);
      if (token === undefined && getAuthState().status === 'signedOut') throw new SignedOutError();
      sentToken = token;
      sentFor = currentStudentId();
      // No token because the API could not be reached for a refresh: connect without one. The
      // API then falls back on the upgrade's `studyclock_access` cookie (the last token it
      // issued, which may still be valid) and closes with 4403 if that is missing, expired or
      // revoked; the retry below tries again after a back-off.
      return token === undefined ? {} : { Authorization: `Bearer ${token}` };
    },
    // A student keeps a tab open for hours, across sleeps and network changes: never give up
    // while signed in. graphql-ws still ends at once, whatever `shouldRetry` says, on the
    // closes it takes for bugs a retry cannot fix: 4004, 4005, 4400, 4401, 4406, 4409, 4429,
    // 4500, and the 1xxx codes other than 1000, 1001, 1005, 1006, 1012, 1013 and 1014 (its
    // `isFatalInternalCloseCode`: 1009 `Message too big`, 1011, …). 4403, 4408 and 4499 (our
    // own `terminate()`) are retried. Browsers report a refused or failed connection as an
    // `error` event (not a close event), so retry everything but "signed out" rather than
    // only close events (graphql-ws's default).
    retryAttempts: Infinity,
    shouldRetry: () => getAuthState().status !== 'signedOut',
    // An expired token is routine (every ACCESS_TOKEN_TTL_SECONDS): reconnect at once with the
    // fresh one, so the timer barely skips a beat. Anything else (1001 going away, 1006 network
    // lost, 1013 try again later / too many connections, 4499 no pong) backs off.
    retryWait: async (retries) => {
      const expired = lastClose?.code === TOKEN_EXPIRED.code && lastClose.reason === TOKEN_EXPIRED.reason;
      if (!(expired && retries === 0)) await backOff(retries);
    },
    // A socket can die without a close: a laptop lid, a Wi-Fi change, a proxy that drops idle
    // connections. The browser may not notice for minutes, and meanwhile the badge would say
    // "Live" over a frozen timer. So the client pings too, and a ping unanswered within
    // PONG_TIMEOUT_MS terminates the socket: closed at once with 4499 `Terminated` (no close
    // handshake to wait for on a dead connection), which the badge shows and graphql-ws
    // retries (its README's "ping/pong timeout" recipe).
    keepAlive: KEEP_ALIVE_MS,
    on: {
      connecting: (isRetry) => setStatus(isRetry ? 'reconnecting' : 'connecting'),
      connected: () => {
        lastClose = undefined;
        setStatus('live');
      },
      ping: (received) => {
        if (received) return;
        clearTimeout(pongTimeout);
        pongTimeout = setTimeout(() => socket.terminate(), PONG_TIMEOUT_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimeout);
      },
      closed: (event) => {
        clearTimeout(pongTimeout);
        lastClose = isCloseEvent(event) ? event : undefined;
        // 4403: the API refused or ended the token this connection presented (expired, logged
        // out, revoked). Start the refresh now rather than when the retry asks for a token; if
        // the log-in itself has ended, the refresh signs this tab out.
        if (lastClose?.code === TOKEN_EXPIRED.code) void refreshAccessToken(sentToken).catch(() => undefined);
        const over = lastClose?.code === 1000 || getAuthState().status === 'signedOut';
        setStatus(over ? 'idle' : 'reconnecting');
      },
    },
  });

  // Another tab signed in as someone else, and this tab's refresh took that log-in in: the open
  // connection still speaks for the previous student. End it; the next one presents the new
  // student's token. (Signing out needs nothing here: the API closes the log-in's sockets.)
  subscribeAuthState(() => {
    const student = currentStudentId();
    if (sentFor !== undefined && student !== undefined && student !== sentFor) {
      sentFor = undefined;
      socket.terminate();
    }
  });
  return socket;
}

/** Context flag of an operation already retried once after UNAUTHENTICATED. */
const RETRIED_AFTER_REFRESH = 'studyclockRetriedAfterRefresh';
/** Context entry: the access token `withToken` put on the operation, if any. */
const SENT_TOKEN = 'studyclockAccessToken';

/** `headers` without any `authorization` header, whatever its case. */
function withoutAuthorization(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization'));
}

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

  // The header only with a token: without one the request goes bare (the API then reads the
  // access cookie, if any), never with `Bearer undefined` or a previous attempt's token.
  const withToken = new SetContextLink(async (prevContext) => {
    const token = await getAccessToken();
    const headers = withoutAuthorization(prevContext.headers as Record<string, string> | undefined);
    return {
      headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` },
      [SENT_TOKEN]: token,
    };
  });

  // A token can still be refused before its expiry (the API restarted with a new JWT_SECRET,
  // the log-in was revoked): refresh once, replacing the token this request presented, and
  // try the operation again (through `withToken`, which then finds the new token). When the
  // refresh yields no token (the log-in has ended: this tab is now signed out) the operation is
  // not sent again, and its caller gets the original answer.
  const retryAfterRefresh = new ErrorLink(({ error, result, operation, forward }) => {
    const unauthenticated =
      CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
    const context = operation.getContext();
    if (!unauthenticated || context[RETRIED_AFTER_REFRESH]) return;
    operation.setContext({ [RETRIED_AFTER_REFRESH]: true });
    const refused = context[SENT_TOKEN] as string | undefined;
    return from(refreshAccessToken(refused)).pipe(
      switchMap((token) => {
        if (token !== undefined) return forward(operation);
        return result ? of(result) : throwError(() => error);
      }),
    );
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
