/**
 * In-process publish/subscribe by topic. Listeners run synchronously in subscription order; a
 * throwing listener is isolated so the others still receive the payload.
 */
export class PubSub<T> {
  readonly #topics = new Map<string, Set<(payload: T) => void>>();
  #listeners = 0;

  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  /** Adds a listener to `topic`; the returned function removes it (idempotent). */
  subscribe(topic: string, listener: (payload: T) => void): () => void {
    let set = this.#topics.get(topic);
    if (!set) this.#topics.set(topic, (set = new Set()));
    // Wrap so that the same function subscribed twice counts (and is removed) twice.
    const entry = (payload: T) => listener(payload);
    set.add(entry);
    this.#listeners++;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.#listeners--;
      set.delete(entry);
      if (set.size === 0 && this.#topics.get(topic) === set) this.#topics.delete(topic);
    };
  }

  /** Delivers `payload` to every current listener of `topic`; returns how many took it without throwing. */
  publish(topic: string, payload: T): number {
    const set = this.#topics.get(topic);
    if (!set) return 0;
    // Most topics (a session's ticks) have one listener: no copy of the set for it. Otherwise a
    // copy, so that listeners added while delivering do not get this payload.
    if (set.size === 1) return this.#deliver(set.values().next().value!, payload);
    let delivered = 0;
    for (const listener of [...set]) delivered += this.#deliver(listener, payload);
    return delivered;
  }

  /** 1 if `listener` took `payload`, 0 if it threw (reported to onListenerError). */
  #deliver(listener: (payload: T) => void, payload: T): number {
    try {
      listener(payload);
      return 1;
    } catch (err) {
      this.onListenerError(err);
      return 0;
    }
  }

  /** Whether anyone listens to `topic`. */
  hasListeners(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** The topics with at least one listener. */
  topics(): IterableIterator<string> {
    return this.#topics.keys();
  }

  /** Listeners across all topics. */
  get listenerCount(): number {
    return this.#listeners;
  }
}
