import type { Clock } from '../clock.js';
import { MinHeap } from './min-heap.js';

/** The longest delay setTimeout honours (~24.8 days); beyond it, it fires at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Instants at which something must happen to each of many items (a token's expiry per socket),
 * from one timer armed for the earliest: a timer per item would cost each of thousands of
 * connections a Timeout and a closure for hours. `onDue` is called once per item whose instant
 * has come (by `clock`); an item can be moved or removed until then.
 */
export class Deadlines<T> {
  readonly #heap = new MinHeap<T>();
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Infinity;
  /** The instant the armed timer stands for, unless it waits a capped step of a longer wait. */
  #firesFor = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (item: T) => void,
  ) {}

  /** Calls `onDue(item)` at `at` (at once if past), replacing an earlier instant of the item. */
  set(item: T, at: Date): void {
    this.#heap.set(item, at.getTime());
    this.#arm();
  }

  /** Forgets `item`. */
  delete(item: T): void {
    this.#heap.delete(item);
    if (this.#heap.size === 0) this.close();
  }

  /** Items waiting. */
  get size(): number {
    return this.#heap.size;
  }

  /** Stops the timer (items added later arm it again). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  #arm(): void {
    const top = this.#heap.peek();
    if (!top || (this.#timer && top.key >= this.#armedFor)) return;
    clearTimeout(this.#timer);
    this.#armedFor = top.key;
    const wait = Math.max(0, top.key - this.clock.now().getTime());
    this.#firesFor = wait > MAX_TIMEOUT_MS ? -Infinity : top.key;
    this.#timer = setTimeout(() => this.#fire(), Math.min(MAX_TIMEOUT_MS, wait));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    // The timer firing is the instant it was armed for, whatever the clock says (a test's
    // manual clock does not move by itself): as a timer per item would have fired.
    const now = Math.max(this.clock.now().getTime(), this.#firesFor);
    for (let top = this.#heap.peek(); top && top.key <= now; top = this.#heap.peek()) {
      this.#heap.pop();
      this.onDue(top.value);
    }
    this.#arm();
  }
}
