import { WebSocket } from 'ws';

/**
 * The sockets are spread over this many slots, pinged one slot at a time: a period's pings go
 * out in small batches instead of one burst that would delay the ticks due meanwhile.
 */
const SLOTS = 12;

/**
 * WebSocket keep-alive for every socket of a server from one interval timer: each socket is
 * pinged once per `intervalMs` (the first time within `intervalMs` of joining), and one whose
 * pong to the previous ping has not come by then is cut (`terminate`: the peer is gone without
 * closing, and its close handshake would never complete). A timer and a pong listener per
 * socket, as graphql-ws's own adapter has, would cost memory per connection; here a socket
 * costs a place in a set. `intervalMs` 0 (WS_KEEPALIVE_SECONDS=0) turns pings off.
 */
export class KeepAlive {
  readonly #slots: Set<WebSocket>[] = Array.from({ length: SLOTS }, () => new Set());
  /** Sockets pinged and not heard from since. */
  readonly #awaiting = new WeakSet<WebSocket>();
  /** One listener shared by every socket (`this` is the socket that got a pong). */
  readonly #onPong: (this: WebSocket) => void;
  readonly #timer: NodeJS.Timeout | undefined;
  #joined = 0;
  #turn = 0;

  constructor(intervalMs: number) {
    const awaiting = this.#awaiting;
    this.#onPong = function (this: WebSocket) {
      awaiting.delete(this);
    };
    if (intervalMs > 0 && Number.isFinite(intervalMs)) {
      this.#timer = setInterval(() => this.#ping(), intervalMs / SLOTS);
      this.#timer.unref();
    }
  }

  /** Starts pinging `socket`; returns the stop (call it when the socket closes). */
  watch(socket: WebSocket): () => void {
    if (!this.#timer) return () => {};
    const slot = this.#slots[this.#joined++ % SLOTS]!;
    slot.add(socket);
    socket.on('pong', this.#onPong);
    return () => {
      slot.delete(socket);
      socket.off('pong', this.#onPong);
    };
  }

  /** Stops every ping. */
  close(): void {
    clearInterval(this.#timer);
    for (const slot of this.#slots) slot.clear();
  }

  #ping(): void {
    const slot = this.#slots[this.#turn++ % SLOTS]!;
    for (const socket of slot) {
      if (socket.readyState !== WebSocket.OPEN) continue;
      if (this.#awaiting.has(socket)) {
        socket.terminate();
        continue;
      }
      this.#awaiting.add(socket);
      socket.ping();
    }
  }
}
