import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import { type Client, type ClientOptions, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Operation, VariablesAnd } from './graphql-client.js';

/** How a socket ended. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** A graphql-ws client over a real socket, with its events recorded for assertions. */
export interface WsTestClient {
  client: Client;
  /** Acknowledgement payloads, one per (re)connection. */
  acks: unknown[];
  closes: CloseInfo[];
  /** Resolves with the first acknowledgement payload, or rejects with the close that came instead. */
  connected: Promise<unknown>;
  /** Resolves with the next close of the socket. */
  nextClose(): Promise<CloseInfo>;
  dispose(): Promise<void>;
}

/** The `ws://` URL of a server's GraphQL endpoint. */
export function wsUrl(origin: string): string {
  return `${origin.replace(/^http/, 'ws')}/graphql`;
}

/**
 * Connects eagerly with graphql-ws's own client (`webSocketImpl` from `ws`). No retries unless
 * `options.retryAttempts` says so.
 */
export function connectWs(url: string, options: Partial<ClientOptions> = {}): WsTestClient {
  const acks: unknown[] = [];
  const closes: CloseInfo[] = [];
  let closeWaiters: ((c: CloseInfo) => void)[] = [];
  let settle: { resolve: (v: unknown) => void; reject: (e: unknown) => void } | undefined;
  const connected = new Promise<unknown>((resolve, reject) => (settle = { resolve, reject }));
  connected.catch(() => {});
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    shouldRetry: () => false,
    ...options,
    on: {
      connected: (_socket, payload) => {
        acks.push(payload);
        settle?.resolve(payload);
      },
      closed: (event) => {
        const e = event as { code: number; reason: string };
        const info = { code: e.code, reason: String(e.reason) };
        closes.push(info);
        settle?.reject(Object.assign(new Error(`closed ${info.code} ${info.reason}`), info));
        const waiters = closeWaiters;
        closeWaiters = [];
        waiters.forEach((w) => w(info));
      },
      ...options.on,
    },
  });
  return {
    client,
    acks,
    closes,
    connected,
    nextClose: () => new Promise((resolve) => closeWaiters.push(resolve)),
    dispose: async () => {
      await client.dispose();
    },
  };
}

// The tracked pool (graphql-ws's own tests keep a `leftovers` list the same way): every client
// and raw socket opened through the helpers below is closed by one `disposeSockets()`, which
// each WebSocket suite calls after each test, whatever the test did.
const leftovers = { clients: new Set<WsTestClient>(), raw: new Set<WebSocket>() };

/**
 * {@link connectWs}, tracked: closed by {@link disposeSockets}. Refusals are for the test to
 * assert (its `connected` rejects), so graphql-ws does not also print them.
 */
export function openClient(url: string, options: Partial<ClientOptions> = {}): WsTestClient {
  const client = connectWs(url, { onNonLazyError: () => {}, ...options });
  leftovers.clients.add(client);
  return client;
}

/** A tracked graphql-ws client of a student on the server at `origin`, acknowledged (so presence counts it). */
export async function connectStudent(
  origin: string,
  student: { accessToken: string },
  options: Partial<ClientOptions> = {},
): Promise<WsTestClient> {
  const ws = openClient(wsUrl(origin), { connectionParams: { token: student.accessToken }, ...options });
  await ws.connected;
  return ws;
}

/** Tracks a raw `ws` socket a test opened itself: {@link disposeSockets} terminates it. */
export function trackSocket<S extends WebSocket>(socket: S): S {
  leftovers.raw.add(socket);
  return socket;
}

/** Terminates every tracked raw socket and disposes every tracked client. */
export async function disposeSockets(): Promise<void> {
  for (const socket of leftovers.raw) socket.terminate();
  leftovers.raw.clear();
  const clients = [...leftovers.clients];
  leftovers.clients.clear();
  await Promise.all(clients.map((c) => c.dispose()));
}

/** Results of one operation, collected as they arrive. */
export interface Collected<T> {
  results: ExecutionResult<T, unknown>[];
  /** Resolves when the operation completes; rejects with its error. */
  done: Promise<void>;
  /** Resolves once `n` results have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<ExecutionResult<T, unknown>[]>;
  unsubscribe(): void;
}

/**
 * Subscribes (or runs a query/mutation) and collects what arrives; a typed document gives the
 * results' type and checks the variables.
 */
export function collect<T = Record<string, any>, V = Record<string, unknown>>(
  client: Client,
  query: Operation<T, V>,
  ...[variables]: VariablesAnd<V>
): Collected<T> {
  const results: ExecutionResult<T, unknown>[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  let unsubscribe = () => {};
  const done = new Promise<void>((resolve, reject) => {
    unsubscribe = client.subscribe<T>(
      { query: String(query), variables: (variables ?? {}) as Record<string, unknown> },
      {
        next: (r) => {
          results.push(r);
          waiters = waiters.filter((w) => (results.length >= w.n ? (w.resolve(), false) : true));
        },
        error: reject,
        complete: resolve,
      },
    );
  });
  done.catch(() => {});
  return {
    results,
    done,
    unsubscribe: () => unsubscribe(),
    waitFor: (n, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        if (results.length >= n) return resolve(results);
        const timer = setTimeout(() => reject(new Error(`only ${results.length} of ${n} results after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve(results)) });
      }),
  };
}

/** Waits until `predicate` holds, polling every 20 ms, or fails after `timeoutMs`. */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves when `promise` does, or fails after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
