import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  getOperationAST,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { AppError } from '../errors.js';
import type { GraphQLContext, ServerContext } from '../graphql/context.js';
import { formatError } from '../graphql/format-error.js';
import type { OperationLimits } from '../graphql/operation-limits.js';
import { unauthenticated } from '../graphql/require-viewer.js';
import { logSecurityEvent, type Logger } from '../logger.js';
import { rateLimited } from '../security/request-limits.js';
import type { Defences } from '../security/defences.js';
import { CloseCodes } from './close-codes.js';
import type { ConnectionRegistry } from './connections.js';
import type { FramedSubscriptions } from './framed-subscriptions.js';
import type { ConnectionParams, ProtocolHooks, ProtocolSession } from './graphql-ws-transport.js';
import { findPresentedToken } from './token-sources.js';
import type { RememberedAuthentications } from './upgrade-guard.js';

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
  /** Parses and validates documents, keeping the valid ones. */
  documents: DocumentAdmission;
  /** What the upgrade found its token to be (see `RememberedAuthentications`). */
  remembered: RememberedAuthentications;
  /** Where subscriptions' frames are built and sent. */
  frames: FramedSubscriptions;
  /** How every result and error over the socket is formatted (see {@link socketFormatters}). */
  formatters: SocketFormatters;
}

/**
 * `connection_init`: authenticates the token (see `findPresentedToken` for where it may be),
 * claims one of the student's socket places and marks them present. Refusals close the socket
 * before any acknowledgement: 4403 with the reason, 1013 `Too many connections`, or 1013
 * `Try again later` when the token cannot be checked. The acknowledgement's payload tells the
 * client who it is and when its token expires.
 */
export async function onConnect(deps: HookDeps, session: ProtocolSession, connectionParams: ConnectionParams): Promise<false | Record<string, unknown>> {
  const { server, defences, connections } = deps;
  const { request } = session;
  // Run once per socket (a second connection_init closes it with 4429). The request is let go
  // here, and the params (the token) are not kept: no credential stays in memory with the socket.
  session.request = undefined;
  const connection = connections.get(session.socket);
  if (!connection || !request) return false;
  connection.initReceived();
  const presented = findPresentedToken(connectionParams, request, deps.allowQueryToken);
  let auth;
  try {
    // One read per connection: the upgrade's, when it carried this very token.
    auth = deps.remembered.recall(request, presented?.token) ?? (await server.services.authenticator.authenticate(presented?.token));
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
  if (!connections.get(session.socket) || !presented) return false;
  const { viewer } = auth;
  // WS_MAX_SOCKETS_PER_STUDENT, for tokens the upgrade did not carry (connectionParams): on
  // this instance first (no query), then, in a cluster, on all of them (presence).
  const releaseStudentPlace = defences.sockets.claimStudentSocket(viewer.userId);
  let leave: (() => void) | undefined;
  try {
    leave = releaseStudentPlace && (await server.services.presence.admit(viewer.userId));
  } catch (err) {
    releaseStudentPlace?.();
    server.logger.error({ err }, 'could not record a WebSocket connection');
    connection.closeWith(CloseCodes.TryAgainLater.code, CloseCodes.TryAgainLater.reason);
    return false;
  }
  if (!leave) {
    releaseStudentPlace?.();
    defences.counters.record('connectionsRefused', 'ws.connection_rejected', { reason: 'too_many_connections', ip: connection.ip, userId: viewer.userId });
    connection.closeWith(CloseCodes.TooManyConnections.code, CloseCodes.TooManyConnections.reason);
    return false;
  }
  // On a socket that closed meanwhile, authenticated() releases both at once.
  connection.authenticated(viewer, [releaseStudentPlace!, leave]);
  server.logger.debug({ userId: viewer.userId, tokenSource: presented.source }, 'websocket authenticated');
  return { userId: viewer.userId, expiresAt: viewer.tokenExpiresAt.toISOString() };
}

/**
 * `subscribe`: admits one operation. In order, so that a flood costs a counter and not a
 * database query: the connection's rate limit, the token's expiry (revocations close the socket
 * checked from memory: the socket is closed with 4403), the student's rate limit, the operations cap, then
 * parse, validation and operation resolution with the same limits and answers as over HTTP.
 * A refusal is an `error` message for this operation only.
 */
export async function onSubscribe(deps: HookDeps, session: ProtocolSession, id: string, payload: SubscribePayload): Promise<ExecutionArgs | readonly GraphQLError[]> {
  const { server, defences, schema } = deps;
  const connection = deps.connections.get(session.socket);
  if (!connection?.viewer) return [unauthenticated('missing').toGraphQLError()];
  const limitContext = { transport: 'ws', ip: connection.ip, userId: connection.viewer.userId } as const;
  const tooFast = defences.requests.socketOperations(connection.operations, 1, limitContext);
  if (tooFast) return [rateLimited(tooFast).toGraphQLError()];
  // The token was verified at connection_init; what can change since is checked from memory:
  // its expiry here, and revocations (log-out, reuse, disabled user), which close the socket
  // the moment they are committed (see ConnectionRegistry). No database read per operation.
  const { viewer } = connection;
  if (viewer.tokenExpiresAt.getTime() <= server.clock.now().getTime()) {
    logSecurityEvent(server.logger, 'ws.operation_rejected', { reason: 'expired', ip: connection.ip, userId: viewer.userId });
    connection.forbid('expired');
    return [unauthenticated('expired').toGraphQLError()];
  }
  const tooMany = await defences.requests.studentOperations(viewer.userId, 1, limitContext);
  if (tooMany) return [rateLimited(tooMany).toGraphQLError()];
  if (session.operationCount > deps.maxOperations) {
    return [new AppError('TOO_MANY_OPERATIONS', undefined, { limit: deps.maxOperations }).toGraphQLError()];
  }
  const admitted = deps.documents.admit(payload);
  if (!('document' in admitted)) return admitted;
  const contextValue: GraphQLContext = { ...server, viewer, authFailure: null, ip: connection.ip, userAgent: connection.userAgent, cookies: null };
  server.logger.debug({ id, operationName: payload.operationName }, 'websocket operation');
  return {
    schema,
    document: admitted.document,
    operationName: payload.operationName ?? null,
    variableValues: payload.variables ?? null,
    contextValue,
  };
}

/** Valid documents kept parsed and validated, by their text: Apollo's document cache, for the socket. */
const VALID_DOCUMENTS_KEPT = 500;

/**
 * Parses, validates and resolves the operation of a `subscribe` payload, answering as Apollo
 * does over HTTP: GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, OPERATION_RESOLUTION_FAILURE
 * (an `error` message: the socket stays; graphql-ws 6's own core closed it with 4500).
 * A document that passed is kept (up to {@link VALID_DOCUMENTS_KEPT}, least recently used
 * first out), so the thousands of clients of one app share one parsed, validated AST instead of
 * parsing and validating it again on every subscribe.
 */
export class DocumentAdmission {
  readonly #valid = new Map<string, DocumentNode>();

  constructor(
    private readonly limits: OperationLimits,
    private readonly schema: GraphQLSchema,
  ) {}

  admit(payload: SubscribePayload): { document: DocumentNode } | readonly GraphQLError[] {
    let document = this.#valid.get(payload.query);
    if (document) {
      // Most recently used last.
      this.#valid.delete(payload.query);
      this.#valid.set(payload.query, document);
    } else {
      try {
        document = this.limits.parse(payload.query);
      } catch (err) {
        return [err instanceof GraphQLError ? withCode(err, 'GRAPHQL_PARSE_FAILED') : new GraphQLError('Syntax error')];
      }
      const errors = this.limits.validate(this.schema, document);
      if (errors.length > 0) return errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
      this.#valid.set(payload.query, document);
      if (this.#valid.size > VALID_DOCUMENTS_KEPT) this.#valid.delete(this.#valid.keys().next().value!);
    }
    if (!getOperationAST(document, payload.operationName)) {
      const message = payload.operationName
        ? `Unknown operation named "${payload.operationName}".`
        : 'Must provide operation name if query contains multiple operations.';
      return [new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
    }
    return { document };
  }
}

/** How every result and error over the socket is formatted: the same masking as over HTTP, so no internal message leaks. */
export interface SocketFormatters {
  format: (error: GraphQLError) => GraphQLFormattedError;
  formatResult: (result: ExecutionResult) => FormattedExecutionResult;
}

export function socketFormatters(logger: Logger, limits: OperationLimits): SocketFormatters {
  const formatOptions = { suggestions: limits.introspection };
  const format = (e: GraphQLError) => formatError(logger, e.toJSON(), e, formatOptions);
  const formatResult = (result: ExecutionResult): FormattedExecutionResult =>
    result.errors ? { ...result, errors: result.errors.map(format) } : (result as FormattedExecutionResult);
  return { format, formatResult };
}

/** The protocol core's hooks: the ones above bound to `deps`; subscriptions write their frames straight to the socket (see FramedSubscriptions). */
export function protocolHooks(deps: HookDeps): ProtocolHooks {
  const { format, formatResult } = deps.formatters;
  return {
    connect: (session, params) => onConnect(deps, session, params),
    subscribe: (session, id, payload) => onSubscribe(deps, session, id, payload),
    stream: (args, owner, id) => deps.frames.open(args, owner, id),
    formatResult,
    formatError: format,
  };
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
}
