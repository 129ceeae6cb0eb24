import { WebSocket } from 'ws';

/**
 * Every WebSocket close code a studyclock client can see, with its fixed reason. The codes in
 * the 44xx range are graphql-ws's protocol codes (some raised by the library itself, some by
 * studyclock for the same meaning); the README's close-code table is written from this list.
 */
export const CloseCodes = {
  /** Server shutting down (graceful). Reconnect later. */
  GoingAway: { code: 1001, reason: 'Going away' },
  /** A single message over the payload limit (raised by `ws`, which sends no reason). */
  MessageTooBig: { code: 1009, reason: '' },
  /** The token could not be checked (database unavailable); retry with back-off. */
  TryAgainLater: { code: 1013, reason: 'Try again later' },
  /**
   * The socket's send buffer stayed above WS_MAX_BUFFERED_BYTES (the client does not read what
   * it asked for); reconnect, the subscriptions resume with the current state.
   */
  SlowConsumer: { code: 1013, reason: 'Slow consumer' },
  /** The student already has WS_MAX_SOCKETS_PER_STUDENT sockets open; retry with back-off. */
  TooManyConnections: { code: 1013, reason: 'Too many connections' },
  /** Invalid JSON or an unknown message type (graphql-ws). */
  BadRequest: { code: 4400, reason: 'Invalid message received' },
  /** An operation sent before the connection was acknowledged (graphql-ws). */
  Unauthorized: { code: 4401, reason: 'Unauthorized' },
  /** Authentication refused or ended; the reason says why (see {@link ForbiddenReasons}). */
  Forbidden: { code: 4403, reason: 'Forbidden' },
  /** The subprotocol is not `graphql-transport-ws` (graphql-ws). */
  SubprotocolNotAcceptable: { code: 4406, reason: 'Subprotocol not acceptable' },
  /** No `connection_init` within 3 seconds (graphql-ws). */
  ConnectionInitialisationTimeout: { code: 4408, reason: 'Connection initialisation timeout' },
  /** An operation id that is already in use on this socket (graphql-ws). */
  SubscriberAlreadyExists: { code: 4409, reason: 'Subscriber for <id> already exists' },
  /** A second `connection_init` (graphql-ws). */
  TooManyInitialisationRequests: { code: 4429, reason: 'Too many initialisation requests' },
  /** An unexpected server error; the client should not retry blindly. */
  InternalServerError: { code: 4500, reason: 'Internal server error' },
} as const;

/** Reasons sent with 4403 Forbidden. Never the token itself. */
export const ForbiddenReasons = {
  missing: 'Missing token',
  malformed: 'Malformed token',
  invalid: 'Invalid token',
  expired: 'Token expired',
  revoked: 'Unknown user or revoked token',
  loggedOut: 'Logged out',
  disabled: 'User disabled',
} as const;

export type ForbiddenReason = keyof typeof ForbiddenReasons;

/**
 * Closes `socket` with `code` and `reason`, unless it is already closing. Every close of a
 * studyclock socket goes through here, so that none can make `ws` throw.
 */
export function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, reason);
}

