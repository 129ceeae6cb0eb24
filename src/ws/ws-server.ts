import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type DocumentNode, getOperationAST, GraphQLError, type GraphQLSchema } from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocket, WebSocketServer } from 'ws';
import type { Viewer } from '../auth/auth.service.js';
import { tokenRejectionMessages } from '../auth/access-token.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { AppError, ErrorCodes } from '../errors.js';
import type { GraphQLContext, Services } from '../graphql/context.js';
import { createOperationLimits } from '../graphql/operation-limits.js';
import { formatError } from '../graphql/schema.js';
import { logSecurityEvent, type Logger } from '../logger.js';
import type { Presence } from '../presence/presence.js';
import { CloseCodes, type ForbiddenReason, ForbiddenReasons } from './close-codes.js';
import { findPresentedToken } from './token-sources.js';
import { clientAddress, compileTrustProxy } from '../http/client-address.js';
import { type RateLimits, rateLimited } from '../security/rate-limits.js';
import { watchSlowConsumers } from '../security/slow-consumers.js';
import { admitUpgrade } from '../security/upgrade-guard.js';

/** What the WebSocket side needs from the server. */
export interface WsServerDeps {
  httpServer: Server;
  schema: GraphQLSchema;
  services: Services;
  presence: Presence;
  config: Config;
  logger: Logger;
  clock: Clock;
  rateLimits: RateLimits;
}

/** One socket and what is known about its student. */
interface Connection {
  /** Names the socket for its operations-per-connection limit. */
  readonly id: string;
  readonly socket: WebSocket;
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
  viewer?: Viewer;
  token?: string;
  expiry?: NodeJS.Timeout;
  leave?: () => void;
}

type Extra = { socket: WebSocket; request: IncomingMessage };

/** The running WebSocket endpoint. */
export interface WsEndpoint {
  /** Open sockets, and those of them that are authenticated. */
  readonly stats: { openSockets: number; authenticatedConnections: number };
  /** Closes every socket of a log-in with 4403 and `reason`. */
  closeLogin(familyId: string, reason: ForbiddenReason): void;
  /** Closes every socket of a student with 4403 and `reason`. */
  closeUser(userId: string, reason: ForbiddenReason): void;
  /** Closes every socket with 1001 Going away and stops accepting; resolves when all are closed. */
  dispose(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';
/** The longest delay setTimeout honours. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * graphql-ws (subprotocol `graphql-transport-ws`) on `/graphql` of the HTTP server. Clients
 * authenticate in `connection_init` (see `findPresentedToken` for the places a token may be);
 * a refused client is closed with 4403 and a reason before any acknowledgement. The token is
 * checked again before every operation and the socket is closed with 4403 "Token expired" at
 * its expiry instant. Presence (pause on disconnect) follows the sockets themselves.
 */
export function attachWebSocketServer(deps: WsServerDeps): WsEndpoint {
  const { httpServer, schema, services, presence, config, logger, clock, rateLimits } = deps;
  const connections = new Map<WebSocket, Connection>();
  // The same limits Apollo applies over HTTP, from the same configuration.
  const limits = createOperationLimits(config);
  const formatOptions = { suggestions: limits.introspection };
  const trustProxy = compileTrustProxy(config.TRUST_PROXY);
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.WS_MAX_PAYLOAD_BYTES, perMessageDeflate: false });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (pathname !== GRAPHQL_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Origin, flood and socket-cap checks (403/429) before the upgrade completes. Until ws
    // takes the socket over, its errors (a client resetting mid-check) are ours to swallow.
    const onSocketError = () => socket.destroy();
    socket.on('error', onSocketError);
    const guard = { config, logger, rateLimits, authenticate: (token: string) => services.auth.authenticate(token) };
    admitUpgrade(guard, request, socket, clientAddress(request, trustProxy))
      .then((releaseAddressPlace) => {
        if (!releaseAddressPlace) return; // refused: the answer is on its way
        if (!accepting || socket.destroyed) {
          releaseAddressPlace();
          socket.destroy();
          return;
        }
        // The address's place is held for as long as the TCP connection, whatever ends it.
        socket.once('close', releaseAddressPlace);
        socket.off('error', onSocketError);
        wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'could not decide a WebSocket upgrade');
        socket.destroy();
      });
  };
  let accepting = true;
  httpServer.on('upgrade', onUpgrade);

  // Registered before graphql-ws's own handler, so a connection's state exists before any of
  // its messages are handled, and released on the socket's own close event (whatever caused it).
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const connection: Connection = { id: randomUUID(), socket, ip: clientAddress(request, trustProxy), userAgent: request.headers['user-agent'] };
    connections.set(socket, connection);
    socket.once('close', () => {
      connections.delete(socket);
      clearTimeout(connection.expiry);
      connection.leave?.();
    });
  });

  const close = (connection: Connection, reason: ForbiddenReason) => {
    if (connection.socket.readyState === WebSocket.OPEN || connection.socket.readyState === WebSocket.CONNECTING) {
      connection.socket.close(CloseCodes.Forbidden.code, ForbiddenReasons[reason]);
    }
  };

  const reject = (connection: Connection, reason: ForbiddenReason, source: string | undefined) => {
    logSecurityEvent(logger, 'ws.connection_rejected', { reason, ip: connection.ip, tokenSource: source ?? null });
    close(connection, reason);
  };

  const server = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
      // Never put an exception's text in a close reason, whatever NODE_ENV says.
      isProd: true,
      connectionInitWaitTimeout: 3_000,
      onConnect: async (ctx: Context<Record<string, unknown> | undefined, Extra>) => {
        const connection = connections.get(ctx.extra.socket);
        if (!connection) return false;
        const presented = findPresentedToken(ctx.connectionParams, ctx.extra.request, config.WS_ALLOW_QUERY_TOKEN);
        let auth;
        try {
          auth = await services.auth.authenticate(presented?.token);
        } catch (err) {
          logger.error({ err }, 'could not authenticate WebSocket connection');
          ctx.extra.socket.close(CloseCodes.TryAgainLater.code, CloseCodes.TryAgainLater.reason);
          return false;
        }
        if (!auth.ok) {
          if (auth.reason !== 'missing') await rateLimits.tokenRejected(connection.ip, 'ws', auth.reason);
          reject(connection, auth.reason, presented?.source);
          return false;
        }
        // The socket may have gone while the token was being checked.
        if (!connections.has(ctx.extra.socket)) return false;
        const { viewer } = auth;
        // WS_MAX_SOCKETS_PER_STUDENT, for tokens the upgrade did not carry (connectionParams).
        const releaseStudentPlace = rateLimits.claimStudentSocket(viewer.userId);
        if (!releaseStudentPlace) {
          rateLimits.record('connectionsRefused', 'ws.connection_rejected', { reason: 'too_many_connections', ip: connection.ip, userId: viewer.userId });
          ctx.extra.socket.close(CloseCodes.TooManyConnections.code, CloseCodes.TooManyConnections.reason);
          return false;
        }
        connection.viewer = viewer;
        connection.token = presented!.token;
        const leavePresence = presence.connected(viewer.userId);
        connection.leave = () => {
          releaseStudentPlace();
          leavePresence();
        };
        const expireAt = (deadline: Date) => {
          // setTimeout fires at once beyond 2^31-1 ms (~24.8 days; external tokens may live that
          // long): wait in steps of the largest delay it takes, then for the rest.
          const left = Math.max(0, deadline.getTime() - clock.now().getTime());
          connection.expiry =
            left > MAX_TIMEOUT_MS
              ? setTimeout(() => expireAt(deadline), MAX_TIMEOUT_MS)
              : setTimeout(() => close(connection, 'expired'), left);
        };
        expireAt(viewer.tokenExpiresAt);
        logger.debug({ userId: viewer.userId, tokenSource: presented!.source }, 'websocket authenticated');
        return { userId: viewer.userId, expiresAt: viewer.tokenExpiresAt.toISOString() };
      },
      onSubscribe: async (ctx, id, payload) => {
        const connection = connections.get(ctx.extra.socket);
        if (!connection?.viewer) return [unauthenticated('missing')];
        // Counted before the token is re-checked: a flood costs a counter, not a database query.
        const limitContext = { transport: 'ws', ip: connection.ip, userId: connection.viewer.userId } as const;
        const tooFast = await rateLimits.connectionOperations(`socket:${connection.id}`, 1, limitContext);
        if (tooFast) return [rateLimited(tooFast).toGraphQLError()];
        // Every operation re-checks the token and the user (expired, logged out, disabled).
        let auth;
        try {
          auth = await services.auth.authenticate(connection.token);
        } catch (err) {
          // Only this operation fails (SERVICE_UNAVAILABLE when the database is away, through
          // formatError, which also logs it); the socket was authenticated and stays open, so
          // its subscriptions keep ticking and the next operation may well succeed.
          const originalError = err instanceof Error ? err : new Error(String(err), { cause: err });
          return [new GraphQLError(ErrorCodes.INTERNAL_SERVER_ERROR, { originalError })];
        }
        if (!auth.ok) {
          logSecurityEvent(logger, 'ws.operation_rejected', { reason: auth.reason, ip: connection.ip, userId: connection.viewer.userId });
          close(connection, auth.reason === 'missing' ? 'invalid' : auth.reason);
          return [unauthenticated(auth.reason)];
        }
        const tooMany = await rateLimits.studentOperations(auth.viewer.userId, 1, limitContext);
        if (tooMany) return [rateLimited(tooMany).toGraphQLError()];
        if (Object.keys(ctx.subscriptions).length > config.WS_MAX_OPERATIONS) {
          return [new AppError('TOO_MANY_OPERATIONS', undefined, { limit: config.WS_MAX_OPERATIONS }).toGraphQLError()];
        }
        // Parse here: left to graphql-ws 6, a syntax error closes the whole socket with 4500.
        let document: DocumentNode;
        try {
          document = limits.parse(payload.query);
        } catch (err) {
          return [err instanceof GraphQLError ? withCode(err, 'GRAPHQL_PARSE_FAILED') : new GraphQLError('Syntax error')];
        }
        const errors = limits.validate(schema, document);
        if (errors.length > 0) return errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
        // Same answer as Apollo gives over HTTP (graphql-ws's own has no code).
        if (!getOperationAST(document, payload.operationName)) {
          const message = payload.operationName
            ? `Unknown operation named "${payload.operationName}".`
            : 'Must provide operation name if query contains multiple operations.';
          return [new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
        }
        const contextValue: GraphQLContext = {
          services,
          logger,
          clock,
          viewer: auth.viewer,
          authFailure: null,
          ip: connection.ip,
          userAgent: connection.userAgent,
          cookies: null,
          rateLimits,
        };
        logger.debug({ id, operationName: payload.operationName }, 'websocket operation');
        return {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue,
        };
      },
      // Results and errors pass through the same formatter as HTTP: no internal message leaks.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => formatError(logger, e.toJSON(), e, formatOptions)) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(logger, e.toJSON(), e, formatOptions)),
    },
    wss,
    config.WS_KEEPALIVE_SECONDS * 1000,
  );

  const stopWatchingSlowConsumers = watchSlowConsumers({
    sockets: () => connections.keys(),
    maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
    onSlowConsumer: (socket, bufferedBytes) => {
      const connection = connections.get(socket);
      rateLimits.record('slowConsumersClosed', 'ws.slow_consumer', { ip: connection?.ip, userId: connection?.viewer?.userId, bufferedBytes });
    },
  });

  const each = (predicate: (c: Connection) => boolean, reason: ForbiddenReason) => {
    for (const connection of connections.values()) if (predicate(connection)) close(connection, reason);
  };

  return {
    get stats() {
      let authenticated = 0;
      for (const c of connections.values()) if (c.viewer) authenticated++;
      return { openSockets: connections.size, authenticatedConnections: authenticated };
    },
    closeLogin: (familyId, reason) => each((c) => c.viewer?.familyId === familyId, reason),
    closeUser: (userId, reason) => each((c) => c.viewer?.userId === userId, reason),
    dispose: async () => {
      httpServer.off('upgrade', onUpgrade);
      accepting = false;
      stopWatchingSlowConsumers();
      const sockets = [...connections.keys()];
      const allClosed = Promise.all(
        sockets.map((s) => (s.readyState === WebSocket.CLOSED ? undefined : new Promise((r) => s.once('close', r)))),
      );
      // A peer that never answers the close handshake is cut off rather than waited for (ws
      // itself would wait 30 s, and its server's close waits for every client).
      const cutoff = setTimeout(() => sockets.forEach((s) => s.terminate()), 2_000);
      await server.dispose(); // closes each socket with 1001 Going away
      await allClosed;
      clearTimeout(cutoff);
    },
  };
}

function unauthenticated(reason: keyof typeof tokenRejectionMessages): GraphQLError {
  return new AppError('UNAUTHENTICATED', tokenRejectionMessages[reason], { reason }).toGraphQLError();
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
}
