/** The most keys one read is given: a burst of more is split into several reads, sent at once. */
export const MAX_BATCH_KEYS = 100;

/**
 * Reads by key that arrive in the same turn of the event loop go to the database as one query
 * (DataLoader's idea, but batched per turn rather than per microtask queue: the handshakes of a
 * connect burst each arrive in their own socket event, and a microtask batch would hold one).
 * A key waits at most until the loop's check phase. A reconnect storm of 200 clients is then a
 * few queries instead of 200 round trips, each with its own query building, protocol messages,
 * socket write and result parsing.
 *
 * `read` gets at most {@link MAX_BATCH_KEYS} keys and answers each one, in order (undefined: none).
 * When it fails, every load of its batch rejects with its error; the next turn starts afresh.
 */
export class ReadBatcher<K, V> {
  #pending: Pending<K, V>[] = [];

  constructor(private readonly read: (keys: readonly K[]) => Promise<readonly (V | undefined)[]>) {}

  /** The answer for `key`, read together with the other keys of this turn. */
  load(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      if (this.#pending.length === 0) setImmediate(() => this.#flush());
      this.#pending.push({ key, resolve, reject });
    });
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (let from = 0; from < pending.length; from += MAX_BATCH_KEYS) {
      const batch = pending.slice(from, from + MAX_BATCH_KEYS);
      this.read(batch.map((p) => p.key)).then(
        (values) => batch.forEach((p, i) => p.resolve(values[i])),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      );
    }
  }
}

interface Pending<K, V> {
  key: K;
  resolve: (value: V | undefined) => void;
  reject: (err: unknown) => void;
}
