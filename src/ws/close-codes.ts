import { WebSocket } from 'ws';

/**
 * Every WebSocket close code a studyclock client can see, with its fixed reason. The codes in
 * the 44xx range are the `graphql-transport-ws` protocol's (graphql-ws's `CloseCode`), raised
 * by the protocol core or by studyclock's hooks for the same meaning; the README's close-code
 * table is written from this list.
 */
export const CloseCodes = {
  /** Server shutting down (graceful). Reconnect later. */
  GoingAway: { code: 1001, reason: 'Going away' },
  /**
   * Cluster mode: this instance is shutting down (a deploy) while others serve. Reconnect at
   * once: the other instances have the same state, and nobody is paused within the grace.
   */
  ServiceRestart: { code: 1012, reason: 'Service restart' },
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
  /**
   * Invalid JSON, an unknown message type, or one only a server sends (`connection_ack`,
   * `next`, `error`), whether before or after `connection_init`.
   */
  BadRequest: { code: 4400, reason: 'Invalid message received' },
  /** An operation sent before the connection was acknowledged (graphql-ws). */
  Unauthorized: { code: 4401, reason: 'Unauthorized' },
  /** Authentication refused or ended; the reason says why (see {@link ForbiddenReasons}). */
  Forbidden: { code: 4403, reason: 'Forbidden' },
  /**
   * The client offered no subprotocol, or not `graphql-transport-ws` (the first one it offered
   * is echoed so that the handshake completes and the client sees this close).
   */
  SubprotocolNotAcceptable: { code: 4406, reason: 'Subprotocol not acceptable: use graphql-transport-ws' },
  /** No `connection_init` within 3 seconds (graphql-ws). */
  ConnectionInitialisationTimeout: { code: 4408, reason: 'Connection initialisation timeout' },
  /**
   * An operation id that is already in use on this socket (graphql-ws); past 123 bytes (an id
   * of 94 bytes or more) the reason is cut and ends with `…` ({@link fitCloseReason}).
   */
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
  deleted: 'Account deleted',
} as const;

export type ForbiddenReason = keyof typeof ForbiddenReasons;

/** The longest close reason WebSocket allows: a close frame carries at most 125 bytes, 2 of them the code (RFC 6455 §5.5). */
export const MAX_CLOSE_REASON_BYTES = 123;

const CUT_MARK = '…';
const CUT_MARK_BYTES = Buffer.byteLength(CUT_MARK);

/**
 * `reason` as it fits in a close frame: unchanged up to {@link MAX_CLOSE_REASON_BYTES} bytes of
 * UTF-8, else cut at a character boundary and ended with `…`, 123 bytes at most. `ws` throws
 * on a longer reason, and graphql-ws builds one from what the client sent (4409's operation id).
 */
export function fitCloseReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  const bytes = Buffer.from(reason, 'utf8');
  let end = MAX_CLOSE_REASON_BYTES - CUT_MARK_BYTES;
  // A continuation byte (10xxxxxx) at the cut means a character would be split: cut before it.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')}${CUT_MARK}`;
}

/**
 * Closes `socket` with `code` and `reason` (cut to fit, see {@link fitCloseReason}), unless it
 * is already closing. Every close of a studyclock socket goes through here, so that none can
 * make `ws` throw.
 */
export function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, fitCloseReason(reason));
}

