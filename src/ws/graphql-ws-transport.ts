import type { IncomingMessage } from 'node:http';
import {
  CloseCode,
  DEPRECATED_GRAPHQL_WS_PROTOCOL,
  GRAPHQL_TRANSPORT_WS_PROTOCOL,
  makeServer,
  MessageType,
  parseMessage,
  type ServerOptions,
  type WebSocket as ProtocolSocket,
} from 'graphql-ws';
import { WebSocket, type WebSocketServer } from 'ws';
import type { Logger } from '../logger.js';
import type { RefusedSubprotocol } from '../security/request-limits.js';
import { closeSocket, CloseCodes } from './close-codes.js';
import type { ConnectionParams, Extra } from './graphql-ws-hooks.js';
import { KeepAlive } from './keep-alive.js';

/** What {@link serveGraphqlWs} reports through, and how often it pings. */
export interface GraphqlWsTransportSettings {
  /** Where every failure goes, as one JSON line: nothing is printed on the console. */
  logger: Logger;
  /** WS_KEEPALIVE_SECONDS in ms: ping interval; a peer whose pong has not come by the next ping is cut (`terminate`). 0 turns pings off. */
  keepAliveMs: number;
  /** The client address of an upgrade request (TRUST_PROXY applied), for the log. */
  addressOf(request: IncomingMessage): string | undefined;
  /** Told of every socket closed with 4406 (it logs them, rate-limited); a rejection is logged. */
  subprotocolRefused(ip: string | undefined, offered: RefusedSubprotocol): Promise<void>;
}

/** The running transport. */
export interface GraphqlWsTransport {
  /** Closes every socket with `close` (default 1001 `Going away`), then the `ws` server; resolves once it has closed. */
  dispose(close?: { code: number; reason: string }): Promise<void>;
}

/**
 * graphql-ws's protocol core (`makeServer`) on the sockets of `wss`: what graphql-ws's own
 * adapter for `ws` (`graphql-ws/use/ws`) does, keep-alive included, except that every failure
 * is logged through `settings.logger`. graphql-ws's adapter `console.error`s a multi-line stack
 * trace for a socket error (ws's `Max payload size exceeded`, any frame ws refuses) and for any
 * exception while a message is handled; a process whose log is JSON lines must print nothing else.
 *
 * - A socket that did not offer `graphql-transport-ws` (see {@link selectSubprotocol}): closed
 *   with 4406 and a reason that names it, told to `subprotocolRefused`; graphql-ws's own close
 *   says only `Subprotocol not acceptable`.
 * - A socket error: ws has already closed the socket (1009, 1002, 1007); logged at `warn` with
 *   ws's error code and message, no stack (it says nothing about our code).
 * - A message of a type only a server sends (`connection_ack`, `next`, `error`): closed with
 *   4400 `Invalid message received`, as graphql-ws answers any other malformed message.
 * - An exception while handling a message (a hook or a send failed): logged at `error` with its
 *   stack inside the JSON line; the socket is closed with 4500 `Internal server error`, never
 *   with the exception's text.
 * - Close reasons are cut to 123 bytes (`closeSocket`): graphql-ws puts the client's operation
 *   id in 4409's, and `ws` throws on a longer one.
 * - A failure after the socket closed (releasing its operations): logged at `error`.
 *
 * The `ws` server itself emits no `error` with `noServer` (it forwards only its own HTTP
 * server's), so there is nothing of it to report.
 */
export function serveGraphqlWs(
  wss: WebSocketServer,
  options: ServerOptions<ConnectionParams, Extra>,
  settings: GraphqlWsTransportSettings,
): GraphqlWsTransport {
  const { logger, keepAliveMs } = settings;
  const server = makeServer<ConnectionParams, Extra>(options);
  const keepAlive = new KeepAlive(keepAliveMs);
  // The listeners are the same three functions for every socket (`this` is the socket, which
  // carries its adapter): closures per socket would cost each connection a function and a
  // context apiece for its whole life.
  const listeners: SocketListeners = {
    message(this: AdaptedSocket, data: Buffer) {
      const adapter = this[ADAPTER]!;
      const text = String(data);
      adapter.handle?.(text).catch((err: unknown) => {
        if (isServerOnlyMessage(text)) return closeSocket(this, CloseCodes.BadRequest.code, CloseCodes.BadRequest.reason);
        logger.error({ err, ip: adapter.ip }, 'could not handle a WebSocket message');
        closeSocket(this, CloseCodes.InternalServerError.code, CloseCodes.InternalServerError.reason);
      });
    },
    close(this: AdaptedSocket, code: number, reason: Buffer) {
      const adapter = this[ADAPTER]!;
      keepAlive.unwatch(this, adapter.keepAliveSlot);
      adapter.closed?.(code, String(reason)).catch((err: unknown) => logger.error({ err, ip: adapter.ip }, 'could not release a closed WebSocket'));
    },
    error(this: AdaptedSocket, err: Error & { code?: string }) {
      logger.warn({ ip: this[ADAPTER]?.ip, error: { code: err.code, message: err.message } }, 'WebSocket closed on a protocol error');
    },
  };
  wss.options.handleProtocols = selectSubprotocol;
  wss.on('connection', (ws: WebSocket, request: IncomingMessage) => {
    const adapter = new SocketAdapter(ws as AdaptedSocket, settings.addressOf(request), listeners);
    const socket = adapter.socket;
    socket[ADAPTER] = adapter;
    // An 'error' event without a listener would be thrown into the process.
    socket.on('error', listeners.error);
    if (socket.protocol !== GRAPHQL_TRANSPORT_WS_PROTOCOL) {
      const offered = socket.protocol === '' ? 'none' : socket.protocol === DEPRECATED_GRAPHQL_WS_PROTOCOL ? 'graphql-ws' : 'other';
      settings.subprotocolRefused(adapter.ip, offered).catch((err: unknown) => logger.warn({ err, ip: adapter.ip }, 'could not log a refused subprotocol'));
      return closeSocket(socket, CloseCodes.SubprotocolNotAcceptable.code, CloseCodes.SubprotocolNotAcceptable.reason);
    }
    adapter.keepAliveSlot = keepAlive.watch(socket);
    // `request` is let go once connection_init has been handled (see Extra).
    adapter.closed = server.opened(adapter, { socket, request } satisfies Extra);
    // `on`, not `once`: a socket closes once, and `once` would cost a wrapper per socket.
    socket.on('close', listeners.close);
  });

  return {
    dispose: async (close = CloseCodes.GoingAway) => {
      keepAlive.close();
      for (const socket of wss.clients) closeSocket(socket, close.code, close.reason);
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** Where a socket's {@link SocketAdapter} is kept on the socket itself. */
const ADAPTER = Symbol('graphql-ws adapter');
type AdaptedSocket = WebSocket & { [ADAPTER]?: SocketAdapter };

/** The transport's listeners, shared by every socket. */
interface SocketListeners {
  message(this: AdaptedSocket, data: Buffer): void;
  close(this: AdaptedSocket, code: number, reason: Buffer): void;
  error(this: AdaptedSocket, err: Error): void;
}

/**
 * One `ws` socket as graphql-ws's protocol core sees it (what graphql-ws/use/ws builds of
 * closures): its methods are on the prototype, and its state is a few fields.
 */
class SocketAdapter implements ProtocolSocket {
  readonly protocol: string;
  /** graphql-ws's message handler, once it has asked for messages. */
  handle: ((data: string) => Promise<void>) | undefined;
  /** What graphql-ws runs when the socket has closed. */
  closed: ((code?: number, reason?: string) => Promise<void>) | undefined;
  /** Its slot in the keep-alive's rounds. */
  keepAliveSlot = -1;

  constructor(
    readonly socket: AdaptedSocket,
    /** The client address (TRUST_PROXY applied), for the log. */
    readonly ip: string | undefined,
    private readonly listeners: SocketListeners,
  ) {
    this.protocol = socket.protocol;
  }

  send(data: string): Promise<void> {
    const { socket } = this;
    return new Promise((resolve, reject) => {
      if (socket.readyState !== WebSocket.OPEN) return resolve();
      socket.send(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(code?: number, reason?: string): void {
    closeSocket(this.socket, code ?? CloseCode.InternalServerError, reason ?? '');
  }

  onMessage(handle: (data: string) => Promise<void>): void {
    this.handle = handle;
    this.socket.on('message', this.listeners.message);
  }
}

/**
 * ws's `handleProtocols` (called when the client offered at least one subprotocol):
 * `graphql-transport-ws` when offered, else the first one offered, echoed so that the handshake
 * completes and the client can see the 4406 that follows. Answering with none, as graphql-ws
 * does, fails the handshake of every client that offered one (browsers, `ws`, the legacy
 * subscriptions-transport-ws): they report 1006 with no reason, and the legacy client retries.
 */
export function selectSubprotocol(offered: Set<string>): string | false {
  if (offered.has(GRAPHQL_TRANSPORT_WS_PROTOCOL)) return GRAPHQL_TRANSPORT_WS_PROTOCOL;
  return offered.values().next().value ?? false;
}

/**
 * Message types only a server sends. graphql-ws 6 accepts them from a client as well-formed,
 * then throws for want of a case for them (`Unexpected message of type … received`), which its
 * adapter answered with 4500 and a stack trace; they are malformed client messages like any other.
 */
const SERVER_ONLY_TYPES: ReadonlySet<string> = new Set([MessageType.ConnectionAck, MessageType.Next, MessageType.Error]);

/**
 * Whether `text` is a well-formed message of a type only a server sends: asked only once
 * graphql-ws has thrown for it, so that no message is parsed twice on the way to being handled.
 */
function isServerOnlyMessage(text: string): boolean {
  try {
    return SERVER_ONLY_TYPES.has(parseMessage(text).type);
  } catch {
    return false;
  }
}
