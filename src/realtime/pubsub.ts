import { addMember, hasMember, type Members, removeMember } from './members.js';

/** What a {@link PubSub} delivers to: an object, so that a subscription costs no closure. */
export interface Listener<T> {
  receive(payload: T): void;
}

/**
 * In-process publish/subscribe by topic. Listeners run synchronously in subscription order; a
 * throwing listener is isolated so the others still receive the payload.
 *
 * A listener is an object subscribed at most once per topic, and unsubscribing it is
 * idempotent: a subscription is the (topic, listener) pair, with nothing allocated for it (a
 * topic of one listener keeps the listener itself, see {@link Members}). Tens of thousands of
 * sessions with a subscriber each made the wrapper and release closures of a function-based
 * subscription a few hundred bytes per subscriber.
 */
export class PubSub<T> {
  readonly #topics = new Map<string, Members<Listener<T>>>();
  #listeners = 0;

  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  /** Adds `listener` to `topic` (already there: nothing changes). */
  subscribe(topic: string, listener: Listener<T>): void {
    const members = this.#topics.get(topic);
    if (hasMember(members, listener)) return;
    this.#topics.set(topic, addMember(members, listener));
    this.#listeners++;
  }

  /** Removes `listener` from `topic` (not there: nothing changes). */
  unsubscribe(topic: string, listener: Listener<T>): void {
    const members = this.#topics.get(topic);
    if (!members || !hasMember(members, listener)) return;
    this.#listeners--;
    const left = removeMember(members, listener);
    if (left === undefined) this.#topics.delete(topic);
    else if (left !== members) this.#topics.set(topic, left);
  }

  /** Delivers `payload` to every current listener of `topic`; returns how many took it without throwing. */
  publish(topic: string, payload: T): number {
    const members = this.#topics.get(topic);
    if (!members) return 0;
    if (!(members instanceof Set)) return this.#deliver(members, payload);
    // A copy, so that listeners added while delivering do not get this payload.
    let delivered = 0;
    for (const listener of [...members]) delivered += this.#deliver(listener, payload);
    return delivered;
  }

  /** 1 if `listener` took `payload`, 0 if it threw (reported to onListenerError). */
  #deliver(listener: Listener<T>, payload: T): number {
    try {
      listener.receive(payload);
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
