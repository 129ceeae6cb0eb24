/** Where a piped {@link Channel} delivers. */
export interface ChannelSink<T> {
  deliver(value: T): void;
  end(): void;
}

/**
 * A push-fed async iterator for subscriptions. Unlike an async generator, `return()` settles at
 * once even while a `next()` is pending, and runs `onClose` ({@link released}) exactly once, so
 * a client leaving can never be stuck behind an await.
 *
 * Values superseding each other (timer states) are buffered up to `maxBuffered`; beyond that
 * the oldest is dropped, so a slow reader costs bounded memory and still ends on the latest.
 */
export class Channel<T> implements AsyncIterableIterator<T> {
  readonly #buffer: T[] = [];
  readonly #waiting: ((result: IteratorResult<T>) => void)[] = [];
  #ending = false;
  #closed = false;
  #sink: ChannelSink<T> | undefined;

  /** @param onClose run once when the channel is released (a subclass may override {@link released} instead). */
  constructor(
    private readonly onClose?: () => void,
    private readonly maxBuffered = 16,
  ) {}

  /** Queues a value for the reader; ignored once the channel is ending or closed. */
  push(value: T): void {
    if (this.#ending || this.#closed) return;
    if (this.#sink) return this.#sink.deliver(value);
    const waiter = this.#waiting.shift();
    if (waiter) return waiter({ value, done: false });
    this.#buffer.push(value);
    if (this.#buffer.length > this.maxBuffered) this.#buffer.shift();
  }

  /** Ends the stream after the values already queued; releases resources now. */
  end(): void {
    if (this.#ending || this.#closed) return;
    this.#ending = true;
    this.#release();
    if (this.#sink) {
      this.#closed = true;
      return this.#sink.end();
    }
    if (this.#buffer.length === 0) this.#finishWaiters();
  }

  /**
   * Hands every value to `sink` synchronously from now on, instead of through `next()`: first
   * what is buffered, then each push as it happens, then `end` when the channel ends. A
   * subscriber with thousands of peers then costs no promise per value. Once piped, the
   * channel is no longer read with `next()`; `return()` still releases it (without `end`).
   */
  pipe(sink: ChannelSink<T>): void {
    if (this.#sink || this.#closed) return;
    this.#sink = sink;
    for (const value of this.#buffer.splice(0)) sink.deliver(value);
    if (this.#ending) {
      this.#closed = true;
      sink.end();
    }
  }

  /** True once the channel will deliver no more new values. */
  get closed(): boolean {
    return this.#ending || this.#closed;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#buffer.length > 0) {
      const value = this.#buffer.shift() as T;
      return Promise.resolve({ value, done: false });
    }
    if (this.#ending || this.#closed) {
      this.#closed = true;
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.#closed = true;
    this.#buffer.length = 0;
    this.#release();
    this.#finishWaiters();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #released = false;
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.released();
  }

  /** Runs once when the channel ends or is returned: releases what it holds. */
  protected released(): void {
    this.onClose?.();
  }

  #finishWaiters(): void {
    for (const resolve of this.#waiting.splice(0)) resolve({ value: undefined, done: true });
  }
}
