import { CombinedGraphQLErrors } from '@apollo/client/errors';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type FormattedExecutionResult, print } from 'graphql';

/**
 * The API's GraphQL endpoint, on the page's own origin: `npm run web` (Vite) proxies it to the
 * API, and in production the same reverse proxy serves both. Same origin means the auth cookies
 * (SameSite=Strict, path `/graphql`) travel with every request and no CORS is involved.
 */
export const GRAPHQL_PATH = '/graphql';

/** The WebSocket URL of {@link GRAPHQL_PATH}: `ws:` beside `http:`, `wss:` beside `https:`. */
export function graphqlWebSocketUrl(location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${GRAPHQL_PATH}`;
}

/**
 * How long {@link postGraphQL} waits for a whole answer. A refresh holds the cross-tab Web Lock
 * while it waits (./auth/credentials.ts), so one that hangs would stall every tab's requests.
 */
export const POST_TIMEOUT_MS = 10_000;

/**
 * Posts one typed operation over HTTP, outside Apollo Client: for the operations that create
 * or spend credentials (sign-up, log-in, refresh, log-out), which Apollo's own links depend on
 * and so cannot go through them.
 *
 * Rejects with `CombinedGraphQLErrors` (the class Apollo Client uses, so the UI reads every
 * error one way) when the answer carries errors; with a `TypeError` when the server cannot be
 * reached or does not answer with GraphQL; with a `DOMException` named `TimeoutError` when the
 * answer has not fully arrived within {@link POST_TIMEOUT_MS}.
 */
export async function postGraphQL<TData, TVariables extends Record<string, unknown>>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
): Promise<TData> {
  const response = await fetch(GRAPHQL_PATH, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
    // Bounds the body too: reading it rejects once the signal has fired.
    signal: AbortSignal.timeout(POST_TIMEOUT_MS),
  });
  let result: FormattedExecutionResult<TData>;
  try {
    result = (await response.json()) as FormattedExecutionResult<TData>;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') throw error;
    // A proxy's 502 page while the API is down, for instance.
    throw new TypeError(`The server answered ${response.status} without a GraphQL response`, { cause: error });
  }
  if (result.errors?.length || !result.data) throw new CombinedGraphQLErrors(result);
  return result.data;
}

/** The `extensions.code` of the first GraphQL error of `error`, if it is one. */
export function errorCode(error: unknown): string | undefined {
  if (!CombinedGraphQLErrors.is(error)) return undefined;
  const code = error.errors[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}
