import type { IncomingMessage } from 'node:http';
import { type DocumentNode, type ExecutionArgs, getOperationAST, GraphQLError, type GraphQLSchema } from 'graphql';
import type { Context, ServerOptions, SubscribePayload } from 'graphql-ws';
import type { WebSocket } from 'ws';
import { AppError, ErrorCodes } from '../errors.js';
import type { GraphQLContext, ServerContext } from '../graphql/context.js';
import { formatError } from '../graphql/format-error.js';
import type { OperationLimits } from '../graphql/operation-limits.js';
import { unauthenticated } from '../graphql/require-viewer.js';
import { logSecurityEvent } from '../logger.js';
import { rateLimited } from '../security/request-limits.js';
import type { Defences } from '../security/defences.js';
import { CloseCodes } from './close-codes.js';
import type { ConnectionRegistry } from './connections.js';
import { findPresentedToken } from './token-sources.js';

/** What graphql-ws gives each hook beside the message: the socket and its upgrade request. */
export type Extra = { socket: WebSocket; request: IncomingMessage };
export type ConnectionParams = Record<string, unknown> | undefined;
type HookContext = Context<ConnectionParams, Extra>;

/** What the hooks work with; nothing else reaches them. */
export interface HookDeps {
  schema: GraphQLSchema;
  /** Services, logger, clock and log-in throttle, shared by every operation's context. */
  server: ServerContext;
  defences: Pick<Defences, 'counters' | 'requests' | 'sockets'>;
  connections: ConnectionRegistry;
  limits: OperationLimits;
  /** WS_MAX_OPERATIONS: operations in flight per socket. */
  maxOperations: number;
  /** WS_ALLOW_QUERY_TOKEN: accept a token in the upgrade URL's query. */
  allowQueryToken: boolean;
}

/**
 * `connection_init`: authenticates the token (see `findPresentedToken` for where it may be),
 * claims one of the student's socket places and marks them present. Refusals close the socket
 * before any acknowledgement: 4403 with the reason, 1013 `Too many connections`, or 1013
 * `Try again later` when the token cannot be checked. The acknowledgement's payload tells the
 * client who it is and when its token expires.
 */
export async function onConnect(deps: HookDeps, ctx: HookContext): Promise<false | Record<string, unknown>> {
  const { server, defences, connections } = deps;
  const connection = connections.get(ctx.extra.socket);
  if (!connection) return false;
  const presented = findPresentedToken(ctx.connectionParams, ctx.extra.request, deps.allowQueryToken);
  let auth;
  try {
    auth = await server.services.authenticator.authenticate(presented?.token);
  } catch (err) {
    server.logger.error({ err }, 'could not authenticate WebSocket connection');
    connection.closeWith(CloseCodes.TryAgainLater.code, CloseCodes.TryAgainLater.reason);
    return false;
  }
  if (!auth.ok) {
    if (auth.reason !== 'missing') await defences.requests.tokenRejected(connection.ip, 'ws', auth.reason);
    logSecurityEvent(server.logger, 'ws.connection_rejected', { reason: auth.reason, ip: connection.ip, tokenSource: presented?.source ?? null });
    connection.forbid(auth.reason);
    return false;
  }
  // The socket may have gone while the token was being checked.
  if (!connections.get(ctx.extra.socket) || !presented) return false;
  const { viewer } = auth;
  // WS_MAX_SOCKETS_PER_STUDENT, for tokens the upgrade did not carry (connectionParams).
  const releaseStudentPlace = defences.sockets.claimStudentSocket(viewer.userId);
  if (!releaseStudentPlace) {
    defences.counters.record('connectionsRefused', 'ws.connection_rejected', { reason: 'too_many_connections', ip: connection.ip, userId: viewer.userId });
    connection.closeWith(CloseCodes.TooManyConnections.code, CloseCodes.TooManyConnections.reason);
    return false;
  }
  connection.authenticated(viewer, presented.token, [releaseStudentPlace, server.services.presence.connected(viewer.userId)]);
  server.logger.debug({ userId: viewer.userId, tokenSource: presented.source }, 'websocket authenticated');
  return { userId: viewer.userId, expiresAt: viewer.tokenExpiresAt.toISOString() };
}

/**
 * `subscribe`: admits one operation. In order, so that a flood costs a counter and not a
 * database query: the connection's rate limit, the token re-checked (expired, logged out,
 * disabled: the socket is closed with 4403), the student's rate limit, the operations cap, then
 * parse, validation and operation resolution with the same limits and answers as over HTTP.
 * A refusal is an `error` message for this operation only.
 */
export async function onSubscribe(
  deps: HookDeps,
  ctx: HookContext,
  id: string,
  payload: SubscribePayload,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  const { server, defences, limits, schema } = deps;
  const connection = deps.connections.get(ctx.extra.socket);
  if (!connection?.viewer) return [unauthenticated('missing').toGraphQLError()];
  const limitContext = { transport: 'ws', ip: connection.ip, userId: connection.viewer.userId } as const;
  const tooFast = await defences.requests.connectionOperations(`socket:${connection.id}`, 1, limitContext);
  if (tooFast) return [rateLimited(tooFast).toGraphQLError()];
  let auth;
  try {
    auth = await server.services.authenticator.authenticate(connection.token);
  } catch (err) {
    // Only this operation fails (SERVICE_UNAVAILABLE when the database is away, through
    // formatError, which also logs it); the socket was authenticated and stays open, so
    // its subscriptions keep ticking and the next operation may well succeed.
    const originalError = err instanceof Error ? err : new Error(String(err), { cause: err });
    return [new GraphQLError(ErrorCodes.INTERNAL_SERVER_ERROR, { originalError })];
  }
  if (!auth.ok) {
    logSecurityEvent(server.logger, 'ws.operation_rejected', { reason: auth.reason, ip: connection.ip, userId: connection.viewer.userId });
    connection.forbid(auth.reason === 'missing' ? 'invalid' : auth.reason);
    return [unauthenticated(auth.reason).toGraphQLError()];
  }
  const tooMany = await defences.requests.studentOperations(auth.viewer.userId, 1, limitContext);
  if (tooMany) return [rateLimited(tooMany).toGraphQLError()];
  if (Object.keys(ctx.subscriptions).length > deps.maxOperations) {
    return [new AppError('TOO_MANY_OPERATIONS', undefined, { limit: deps.maxOperations }).toGraphQLError()];
  }
  const admitted = admitDocument(limits, schema, payload);
  if (!('document' in admitted)) return admitted;
  const contextValue: GraphQLContext = { ...server, viewer: auth.viewer, authFailure: null, ip: connection.ip, cookies: null };
  server.logger.debug({ id, operationName: payload.operationName }, 'websocket operation');
  return {
    schema,
    document: admitted.document,
    operationName: payload.operationName ?? null,
    variableValues: payload.variables ?? null,
    contextValue,
  };
}

/**
 * Parses, validates and resolves the operation of a `subscribe` payload, answering as Apollo
 * does over HTTP: GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, OPERATION_RESOLUTION_FAILURE.
 * Parsed here because, left to graphql-ws 6, a syntax error closes the whole socket with 4500.
 */
export function admitDocument(
  limits: OperationLimits,
  schema: GraphQLSchema,
  payload: SubscribePayload,
): { document: DocumentNode } | readonly GraphQLError[] {
  let document: DocumentNode;
  try {
    document = limits.parse(payload.query);
  } catch (err) {
    return [err instanceof GraphQLError ? withCode(err, 'GRAPHQL_PARSE_FAILED') : new GraphQLError('Syntax error')];
  }
  const errors = limits.validate(schema, document);
  if (errors.length > 0) return errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
  // graphql-ws's own answer has no code.
  if (!getOperationAST(document, payload.operationName)) {
    const message = payload.operationName
      ? `Unknown operation named "${payload.operationName}".`
      : 'Must provide operation name if query contains multiple operations.';
    return [new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
  }
  return { document };
}

/** graphql-ws's server options with the hooks above bound to `deps`. */
export function graphqlWsOptions(deps: HookDeps): ServerOptions<ConnectionParams, Extra> {
  const { logger } = deps.server;
  const formatOptions = { suggestions: deps.limits.introspection };
  const format = (e: GraphQLError) => formatError(logger, e.toJSON(), e, formatOptions);
  return {
    schema: deps.schema,
    connectionInitWaitTimeout: 3_000,
    onConnect: (ctx) => onConnect(deps, ctx),
    onSubscribe: (ctx, id, payload) => onSubscribe(deps, ctx, id, payload),
    // Results and errors pass through the same formatter as HTTP: no internal message leaks.
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: result.errors.map(format) } : undefined),
    onError: (_ctx, _id, _payload, errors) => errors.map(format),
  };
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
}
