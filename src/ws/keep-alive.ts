import { WebSocket } from 'ws';

/**
 * How often a slot of sockets is pinged: the sockets are spread over `intervalMs / SLOT_MS`
 * slots, pinged one slot at a time, so a period's pings go out in small batches instead of
 * bursts that would hold up the ticks due meanwhile. With 18,000 sockets and the default 12 s,
 * that is 75 pings every 50 ms, where 12 slots made it 1,500 at once every second.
 */
const SLOT_MS = 50;

/**
 * WebSocket keep-alive for every socket of a server from one interval timer: each socket is
 * pinged once per `intervalMs` (the first time within `intervalMs` of joining), and one whose
 * pong to the previous ping has not come by then is cut (`terminate`: the peer is gone without
 * closing, and its close handshake would never complete). A timer and a pong listener per
 * socket, as graphql-ws's own adapter has, would cost memory per connection; here a socket
 * costs a place in a set. `intervalMs` 0 (WS_KEEPALIVE_SECONDS=0) turns pings off.
 */
export class KeepAlive {
  readonly #slots: Set<WebSocket>[];
  /** Sockets pinged and not heard from since. */
  readonly #awaiting = new WeakSet<WebSocket>();
  /** One listener shared by every socket (`this` is the socket that got a pong). */
  readonly #onPong: (this: WebSocket) => void;
  /** Between one slot's pings and the next; undefined while no socket is watched (an idle server does not wake up for nothing). */
  #timer: NodeJS.Timeout | undefined;
  readonly #periodMs: number;
  #joined = 0;
  #watched = 0;
  #turn = 0;
  #closed = false;

  constructor(intervalMs: number) {
    const awaiting = this.#awaiting;
    this.#onPong = function (this: WebSocket) {
      awaiting.delete(this);
    };
    const on = intervalMs > 0 && Number.isFinite(intervalMs);
    this.#slots = Array.from({ length: on ? Math.max(1, Math.round(intervalMs / SLOT_MS)) : 0 }, () => new Set());
    this.#periodMs = on ? intervalMs / this.#slots.length : 0;
  }

  /**
   * Starts pinging `socket`; returns its slot, for {@link unwatch} when the socket closes (a
   * number: a stop function per socket would cost it a closure).
   */
  watch(socket: WebSocket): number {
    if (this.#slots.length === 0 || this.#closed) return -1;
    const slot = this.#joined++ % this.#slots.length;
    this.#slots[slot]!.add(socket);
    socket.on('pong', this.#onPong);
    if (this.#watched++ === 0) {
      this.#timer = setInterval(() => this.#ping(), this.#periodMs);
      this.#timer.unref();
    }
    return slot;
  }

  /** Stops pinging `socket`, which {@link watch} put in `slot`. */
  unwatch(socket: WebSocket, slot: number): void {
    if (slot < 0 || !this.#slots[slot]?.delete(socket)) return;
    socket.off('pong', this.#onPong);
    if (--this.#watched === 0) this.#stop();
  }

  /** Stops every ping. */
  close(): void {
    this.#closed = true;
    this.#stop();
    for (const slot of this.#slots) slot.clear();
    this.#watched = 0;
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #ping(): void {
    const slot = this.#slots[this.#turn++ % this.#slots.length]!;
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
