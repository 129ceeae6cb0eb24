import type { UpgradeGuardSettings } from './upgrade-guard.js';

/** The WebSocket endpoint's settings, from the configuration. */
export interface WsSettings extends UpgradeGuardSettings {
  /** WS_MAX_PAYLOAD_BYTES: a larger message closes the socket with 1009. */
  maxPayloadBytes: number;
  /** WS_KEEPALIVE_SECONDS in ms: ping interval; a peer that misses a pong is cut. */
  keepAliveMs: number;
  /** WS_MAX_OPERATIONS: operations in flight per socket (TOO_MANY_OPERATIONS beyond). */
  maxOperations: number;
  /** WS_MAX_BUFFERED_BYTES: unsent bytes above which a socket is closed with 1013 `Slow consumer`. */
  maxBufferedBytes: number;
  /**
   * Cluster mode: other instances serve while this one shuts down, so its sockets are closed
   * with 1012 `Service restart` (reconnect now) rather than 1001 `Going away`.
   */
  restartOnShutdown: boolean;
}
