import { WebSocket } from 'ws';
import { CloseCodes } from './close-codes.js';

/** How often send buffers are looked at. */
export const SLOW_CONSUMER_CHECK_MS = 500;
/**
 * How long a slow consumer is given to read its way to the close frame (queued behind what it
 * has not read) before the connection is cut: its buffer is freed either way.
 */
export const SLOW_CONSUMER_CLOSE_GRACE_MS = 2_000;

/** Options of {@link watchSlowConsumers}. */
export interface SlowConsumerOptions {
  /** The sockets to watch, read at every check. */
  sockets: () => Iterable<WebSocket>;
  /** WS_MAX_BUFFERED_BYTES. */
  maxBufferedBytes: number;
  /** Told about each socket just before it is closed (for logs and counters). */
  onSlowConsumer: (socket: WebSocket, bufferedBytes: number) => void;
}

/**
 * Closes sockets whose clients do not read what they are sent. Every {@link SLOW_CONSUMER_CHECK_MS}
 * each open socket's `bufferedAmount` (bytes accepted by `send` but not yet handed to the kernel)
 * is compared with `maxBufferedBytes`; above it at two consecutive checks — so a burst that a
 * healthy client drains within half a second is forgiven — the socket is closed with 1013
 * `Slow consumer`, and cut {@link SLOW_CONSUMER_CLOSE_GRACE_MS} later if it has still not
 * answered. graphql-ws clients retry 1013 by default: the client reconnects and resubscribes.
 * What one socket can hold is thus bounded by the limit plus what it is sent in a second.
 * Returns a function that stops the checks.
 */
export function watchSlowConsumers(options: SlowConsumerOptions): () => void {
  const { sockets, maxBufferedBytes, onSlowConsumer } = options;
  // The sockets over the limit at the previous check, and only those: a healthy socket costs
  // no lookup, and a socket gone since is not kept.
  let overAtLastCheck = new Set<WebSocket>();
  const timer = setInterval(() => {
    const over = new Set<WebSocket>();
    for (const socket of sockets()) {
      if (socket.readyState !== WebSocket.OPEN) continue;
      const buffered = socket.bufferedAmount;
      if (buffered <= maxBufferedBytes) continue;
      if (!overAtLastCheck.has(socket)) {
        over.add(socket);
        continue;
      }
      onSlowConsumer(socket, buffered);
      socket.close(CloseCodes.SlowConsumer.code, CloseCodes.SlowConsumer.reason);
      const cutoff = setTimeout(() => socket.terminate(), SLOW_CONSUMER_CLOSE_GRACE_MS);
      cutoff.unref();
      socket.once('close', () => clearTimeout(cutoff));
    }
    overAtLastCheck = over;
  }, SLOW_CONSUMER_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
