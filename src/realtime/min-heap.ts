/** A binary min-heap of items ordered by a numeric key, supporting removal of any item. */
export class MinHeap<T> {
  readonly #items: { key: number; value: T }[] = [];
  readonly #index = new Map<T, number>();

  get size(): number {
    return this.#items.length;
  }

  /** The item with the smallest key, without removing it. */
  peek(): { key: number; value: T } | undefined {
    return this.#items[0];
  }

  /** Inserts `value` with `key`, or moves it there if present. */
  set(value: T, key: number): void {
    const at = this.#index.get(value);
    if (at !== undefined) {
      const item = this.#items[at]!;
      const old = item.key;
      item.key = key;
      if (key < old) this.#up(at);
      else this.#down(at);
      return;
    }
    this.#items.push({ key, value });
    this.#index.set(value, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }

  /** Removes and returns the smallest item. */
  pop(): { key: number; value: T } | undefined {
    const top = this.#items[0];
    if (top) this.delete(top.value);
    return top;
  }

  /** Removes `value` if present. */
  delete(value: T): void {
    const at = this.#index.get(value);
    if (at === undefined) return;
    const last = this.#items.pop()!;
    this.#index.delete(value);
    if (at === this.#items.length) return;
    this.#items[at] = last;
    this.#index.set(last.value, at);
    this.#up(at);
    this.#down(this.#index.get(last.value)!);
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#items[parent]!.key <= this.#items[i]!.key) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < this.#items.length && this.#items[l]!.key < this.#items[smallest]!.key) smallest = l;
      if (r < this.#items.length && this.#items[r]!.key < this.#items[smallest]!.key) smallest = r;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }

  #swap(a: number, b: number): void {
    const A = this.#items[a]!;
    const B = this.#items[b]!;
    this.#items[a] = B;
    this.#items[b] = A;
    this.#index.set(B.value, a);
    this.#index.set(A.value, b);
  }
}
