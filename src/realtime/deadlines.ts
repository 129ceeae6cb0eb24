import type { Clock } from '../clock.js';
import { MinHeap } from './min-heap.js';

/** The longest delay setTimeout honours (~24.8 days); beyond it, it fires at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Options of {@link Deadlines}. */
export interface DeadlineOptions {
  /**
   * Slot width in ms: the timer is armed for the end of the slot (counted from the epoch) the
   * earliest instant falls in, and everything due by then is handed over at once: at most one
   * wake-up per slot however many items there are, each at most `batchMs` late. 0 (default):
   * armed for the earliest instant itself.
   */
  batchMs?: number;
  /**
   * true: an item is due when the timer armed for it fires, whatever `clock` says, as a timer of
   * its own would have fired (a test's frozen clock does not move by itself). false (default):
   * only once `clock` has reached its instant.
   */
  dueWhenFired?: boolean;
}

/**
 * Instants at which something must happen to each of many items (a session's next tick, a
 * socket's token expiry), from one timer armed for the earliest: a timer per item would cost
 * each of thousands of sessions or connections a Timeout and a closure. `onDue` gets the items
 * whose instant has come, earliest first, and the clock's `now` read once for all of them; it
 * may set or delete items (its own included) as it goes.
 */
export class Deadlines<T> {
  readonly #heap = new MinHeap<T>();
  readonly #batchMs: number;
  readonly #dueWhenFired: boolean;
  #timer: NodeJS.Timeout | undefined;
  /** The instant the armed timer fires for (a slot's end with `batchMs`). */
  #armedFor = Infinity;
  /** The same, unless the timer waits a capped step of a longer wait. */
  #firesFor = -Infinity;
  #closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (due: T[], now: Date) => void,
    options: DeadlineOptions = {},
  ) {
    this.#batchMs = options.batchMs ?? 0;
    this.#dueWhenFired = options.dueWhenFired ?? false;
  }

  /** Hands `item` to `onDue` at `atMs` (epoch ms; at once if past), replacing an earlier instant of it. Ignored once closed. */
  set(item: T, atMs: number): void {
    if (this.#closed) return;
    this.#heap.set(item, atMs);
    this.#arm();
  }

  /** Forgets `item`. */
  delete(item: T): void {
    this.#heap.delete(item);
    if (this.#heap.size === 0) this.#disarm();
  }

  /** Items waiting. */
  get size(): number {
    return this.#heap.size;
  }

  /** Stops the timer and forgets every item, for good. */
  close(): void {
    this.#closed = true;
    this.#disarm();
    while (this.#heap.pop());
  }

  #slotEnd(atMs: number): number {
    return this.#batchMs > 0 ? Math.ceil(atMs / this.#batchMs) * this.#batchMs : atMs;
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  #arm(): void {
    const top = this.#heap.peek();
    if (!top) return this.#disarm();
    const at = this.#slotEnd(top.key);
    if (this.#timer && at >= this.#armedFor) return;
    clearTimeout(this.#timer);
    this.#armedFor = at;
    const wait = Math.max(0, at - this.clock.now().getTime());
    this.#firesFor = wait > MAX_TIMEOUT_MS ? -Infinity : at;
    this.#timer = setTimeout(() => this.#fire(), Math.min(MAX_TIMEOUT_MS, wait));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = this.clock.now();
    const until = this.#dueWhenFired ? Math.max(now.getTime(), this.#firesFor) : now.getTime();
    const due: T[] = [];
    for (let top = this.#heap.peek(); top && top.key <= until; top = this.#heap.peek()) due.push(this.#heap.pop()!.value);
    if (due.length > 0) this.onDue(due, now);
    if (!this.#closed) this.#arm();
  }
}
