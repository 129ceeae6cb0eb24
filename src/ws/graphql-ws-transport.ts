import type { IncomingMessage } from 'node:http';
import { execute, type ExecutionArgs, type ExecutionResult, type FormattedExecutionResult, getOperationAST, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import {
  areGraphQLErrors,
  DEPRECATED_GRAPHQL_WS_PROTOCOL,
  GRAPHQL_TRANSPORT_WS_PROTOCOL,
  type Message,
  MessageType,
  parseMessage,
  stringifyMessage,
  type SubscribePayload,
} from 'graphql-ws';
import { WebSocket, type WebSocketServer } from 'ws';
import type { Logger } from '../logger.js';
import type { RefusedSubprotocol } from '../security/request-limits.js';
import { closeSocket, CloseCodes } from './close-codes.js';
import type { FrameOwner, FrameStream } from './framed-subscriptions.js';
import { KeepAlive } from './keep-alive.js';
import { sendTextFrame } from './text-frames.js';

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

/** A `connection_init` payload: the client's connection parameters (absent unless an object). */
export type ConnectionParams = Record<string, unknown> | undefined;

/** One socket's protocol session, as the hooks see it. */
export interface ProtocolSession {
  readonly socket: WebSocket;
  /**
   * The upgrade request (headers, cookies, the query string: where a token may be), until
   * `connection_init` has been handled: the hook lets it go then, since a request held for the
   * socket's life is a kilobyte or more per connection.
   */
  request: IncomingMessage | undefined;
  /** Operations in flight on the socket, the one being admitted included. */
  readonly operationCount: number;
}

/** What the protocol core asks of the application; every message type is handled by the core itself. */
export interface ProtocolHooks {
  /** `connection_init`: the acknowledgement's payload, or false when the hook has refused (and closed) the socket. */
  connect(session: ProtocolSession, params: ConnectionParams): Promise<false | Record<string, unknown>>;
  /** `subscribe`: the operation to run, or the errors that refuse it (an `error` message; the socket stays). */
  subscribe(session: ProtocolSession, id: string, payload: SubscribePayload): Promise<ExecutionArgs | readonly GraphQLError[]>;
  /** A subscription operation: its frame stream (not yet started), or the errors that refuse it. */
  stream(args: ExecutionArgs, owner: FrameOwner, id: string): Promise<FrameStream | readonly GraphQLError[]>;
  /** How a query's or mutation's result, and any error message's errors, are formatted. */
  formatResult(result: ExecutionResult): FormattedExecutionResult;
  formatError(error: GraphQLError): GraphQLFormattedError;
}

/**
 * The `graphql-transport-ws` protocol on the sockets of `wss`: graphql-ws's protocol module
 * (`parseMessage`, `stringifyMessage`: the message shapes and their validation) with a core of
 * our own in place of graphql-ws's `makeServer`, and keep-alive. The messages, close codes and
 * reasons are graphql-ws's, except where studyclock's are more precise (below); clients are
 * graphql-ws's own `createClient` and any other implementation of the protocol.
 *
 * Why not `makeServer`: it keeps, for each subscription's whole life, a suspended async
 * function (its generator, registers and promises), five closures and the subscribe message,
 * and a context object per socket; at twenty thousand subscribers that was most of what a
 * connection cost beyond `ws` itself (bench/README.md). Here a socket is one
 * {@link GraphqlWsSession} with a map of its operations, and a subscription is its
 * {@link FrameStream}: nothing is awaited while it runs.
 *
 * - `connection_init`: a second one closes with 4429; the hook refuses (it closes with 4403 and
 *   its reason, or 1013), or the socket is acknowledged with the hook's payload.
 * - `ping` is answered with `pong` (the same payload); `pong` is taken.
 * - `subscribe` before the acknowledgement: 4401. An id in use on the socket: 4409 `Subscriber
 *   for <id> already exists` (cut to 123 bytes, see `closeSocket`). A refusal by the hooks, or
 *   by the subscription's own resolver: an `error` message for that id, the socket stays. A
 *   query or mutation: `next` then `complete`. A subscription: its frames, then `complete`
 *   when its source ends. A `complete` from the client, or the socket closing, stops it at
 *   once; an operation completed while it was being admitted never starts.
 * - A message that is not JSON, of an unknown type, malformed, or of a type only a server sends
 *   (`connection_ack`, `next`, `error`): 4400 `Invalid message received`.
 * - A socket that did not offer `graphql-transport-ws` (see {@link selectSubprotocol}): closed
 *   with 4406 and a reason that names it, told to `subprotocolRefused`.
 * - A socket error: ws has already closed the socket (1009, 1002, 1007); logged at `warn` with
 *   ws's error code and message, no stack (it says nothing about our code).
 * - An exception while handling a message (a hook or a send failed): logged at `error` with its
 *   stack inside the JSON line; the socket is closed with 4500 `Internal server error`, never
 *   with the exception's text. Nothing is printed on the console.
 *
 * The `ws` server itself emits no `error` with `noServer` (it forwards only its own HTTP
 * server's), so there is nothing of it to report.
 */
export function serveGraphqlWs(wss: WebSocketServer, hooks: ProtocolHooks, settings: GraphqlWsTransportSettings): GraphqlWsTransport {
  const { logger, keepAliveMs } = settings;
  const keepAlive = new KeepAlive(keepAliveMs);
  // The listeners are the same three functions for every socket (`this` is the socket, which
  // carries its session): closures per socket would cost each connection a function and a
  // context apiece for its whole life.
  const listeners = {
    message(this: SessionSocket, data: Buffer) {
      const session = this[SESSION]!;
      session.handle(String(data)).catch((err: unknown) => {
        logger.error({ err, ip: session.ip }, 'could not handle a WebSocket message');
        closeSocket(this, CloseCodes.InternalServerError.code, CloseCodes.InternalServerError.reason);
      });
    },
    close(this: SessionSocket) {
      const session = this[SESSION]!;
      keepAlive.unwatch(this, session.keepAliveSlot);
      try {
        session.closed();
      } catch (err) {
        logger.error({ err, ip: session.ip }, 'could not release a closed WebSocket');
      }
    },
    error(this: SessionSocket, err: Error & { code?: string }) {
      logger.warn({ ip: this[SESSION]?.ip, error: { code: err.code, message: err.message } }, 'WebSocket closed on a protocol error');
    },
  };
  wss.options.handleProtocols = selectSubprotocol;
  wss.on('connection', (ws: WebSocket, request: IncomingMessage) => {
    const socket = ws as SessionSocket;
    const session = new GraphqlWsSession(socket, settings.addressOf(request), request, hooks);
    socket[SESSION] = session;
    // An 'error' event without a listener would be thrown into the process.
    socket.on('error', listeners.error);
    if (socket.protocol !== GRAPHQL_TRANSPORT_WS_PROTOCOL) {
      session.request = undefined;
      const offered = socket.protocol === '' ? 'none' : socket.protocol === DEPRECATED_GRAPHQL_WS_PROTOCOL ? 'graphql-ws' : 'other';
      settings.subprotocolRefused(session.ip, offered).catch((err: unknown) => logger.warn({ err, ip: session.ip }, 'could not log a refused subprotocol'));
      return closeSocket(socket, CloseCodes.SubprotocolNotAcceptable.code, CloseCodes.SubprotocolNotAcceptable.reason);
    }
    session.keepAliveSlot = keepAlive.watch(socket);
    socket.on('message', listeners.message);
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

/** Where a socket's {@link GraphqlWsSession} is kept on the socket itself. */
const SESSION = Symbol('graphql-ws session');
type SessionSocket = WebSocket & { [SESSION]?: GraphqlWsSession };

/** An operation being admitted: it becomes its stream (a subscription) or ends (a query or mutation). */
class AdmittingOperation {
  stop(): void {}
}

/** What a socket's operation map holds: a subscription's stream, or an operation being admitted. */
type Operation = FrameStream | AdmittingOperation;

/**
 * One socket's protocol state: whether `connection_init` came and was acknowledged, and its
 * operations by id. Its methods are on the prototype; it holds no closure.
 */
class GraphqlWsSession implements ProtocolSession, FrameOwner {
  request: IncomingMessage | undefined;
  /** Its slot in the keep-alive's rounds. */
  keepAliveSlot = -1;
  #initReceived = false;
  #acknowledged = false;
  readonly #operations = new Map<string, Operation>();

  constructor(
    readonly socket: WebSocket,
    /** The client address (TRUST_PROXY applied), for the log. */
    readonly ip: string | undefined,
    request: IncomingMessage,
    private readonly hooks: ProtocolHooks,
  ) {
    this.request = request;
  }

  get operationCount(): number {
    return this.#operations.size;
  }

  /** One message from the client. Rejects only on a failure of our own (a hook threw): the caller closes with 4500. */
  async handle(text: string): Promise<void> {
    let message: Message;
    try {
      message = parseMessage(text);
    } catch {
      return this.#close(CloseCodes.BadRequest);
    }
    switch (message.type) {
      case MessageType.ConnectionInit:
        return this.#connect(message.payload);
      case MessageType.Ping:
        return this.#send(stringifyMessage(message.payload ? { type: MessageType.Pong, payload: message.payload } : { type: MessageType.Pong }));
      case MessageType.Pong:
        return;
      case MessageType.Subscribe:
        return this.#subscribe(message.id, message.payload);
      case MessageType.Complete: {
        const operation = this.#operations.get(message.id);
        this.#operations.delete(message.id);
        return operation?.stop();
      }
      default:
        // connection_ack, next, error: well-formed, but only a server sends them.
        return this.#close(CloseCodes.BadRequest);
    }
  }

  /** The socket has closed: every operation stops (those being admitted never start). */
  closed(): void {
    const operations = [...this.#operations.values()];
    this.#operations.clear();
    for (const operation of operations) operation.stop();
  }

  /** A subscription's source has ended after its last frame (FrameOwner). */
  streamEnded(id: string, stream: FrameStream): void {
    if (this.#operations.get(id) !== stream) return;
    this.#operations.delete(id);
    this.#send(stringifyMessage({ id, type: MessageType.Complete }));
  }

  async #connect(payload: unknown): Promise<void> {
    if (this.#initReceived) return this.#close(CloseCodes.TooManyInitialisationRequests);
    this.#initReceived = true;
    const params = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : undefined;
    const acknowledgement = await this.hooks.connect(this, params);
    // The hook has closed the socket with its own code and reason; this is for a hook that did not.
    if (acknowledgement === false) return this.#close(CloseCodes.Forbidden);
    this.#acknowledged = true;
    this.#send(stringifyMessage({ type: MessageType.ConnectionAck, payload: acknowledgement }));
  }

  async #subscribe(id: string, payload: SubscribePayload): Promise<void> {
    if (!this.#acknowledged) return this.#close(CloseCodes.Unauthorized);
    if (this.#operations.has(id)) return this.#close({ code: CloseCodes.SubscriberAlreadyExists.code, reason: `Subscriber for ${id} already exists` });
    const admitting = new AdmittingOperation();
    this.#operations.set(id, admitting);
    // Whether the operation is still this one: a `complete` (or the socket closing) while it was
    // being admitted ends it, and the id may even have been subscribed again since.
    const current = () => this.#operations.get(id) === admitting;
    try {
      const args = await this.hooks.subscribe(this, id, payload);
      if (!current()) return;
      if (areGraphQLErrors(args)) return this.#sendErrors(id, args);
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation === 'subscription') {
        const stream = await this.hooks.stream(args, this, id);
        if (areGraphQLErrors(stream)) return current() ? this.#sendErrors(id, stream) : undefined;
        if (!current()) return stream.stop();
        this.#operations.set(id, stream);
        return stream.start();
      }
      const result = await execute(args);
      if (!current()) return;
      this.#send(stringifyMessage({ id, type: MessageType.Next, payload: this.hooks.formatResult(result) }));
      this.#send(stringifyMessage({ id, type: MessageType.Complete }));
    } finally {
      if (current()) this.#operations.delete(id);
    }
  }

  #sendErrors(id: string, errors: readonly GraphQLError[]): void {
    this.#send(stringifyMessage({ id, type: MessageType.Error, payload: errors.map((e) => this.hooks.formatError(e)) }));
  }

  #send(text: string): void {
    sendTextFrame(this.socket, text);
  }

  #close(close: { code: number; reason: string }): void {
    closeSocket(this.socket, close.code, close.reason);
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
