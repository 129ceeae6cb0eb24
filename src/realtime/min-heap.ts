/** A binary min-heap of items ordered by a numeric key, supporting removal of any item. */
export class MinHeap<T> {
  // Each item knows its own position, so a swap moves two array slots and writes two numbers
  // (a position map would be written twice per level of every sift: most of a tick's cost).
  readonly #items: Item<T>[] = [];
  readonly #byValue = new Map<T, Item<T>>();

  get size(): number {
    return this.#items.length;
  }

  /** The item with the smallest key, without removing it. */
  peek(): { readonly key: number; readonly value: T } | undefined {
    return this.#items[0];
  }

  /** Inserts `value` with `key`, or moves it there if present. */
  set(value: T, key: number): void {
    const item = this.#byValue.get(value);
    if (item) {
      const old = item.key;
      item.key = key;
      if (key < old) this.#up(item.index);
      else this.#down(item.index);
      return;
    }
    const added = { key, value, index: this.#items.length };
    this.#items.push(added);
    this.#byValue.set(value, added);
    this.#up(added.index);
  }

  /** Removes and returns the smallest item. */
  pop(): { readonly key: number; readonly value: T } | undefined {
    const top = this.#items[0];
    if (top) this.delete(top.value);
    return top;
  }

  /** Removes `value` if present. */
  delete(value: T): void {
    const item = this.#byValue.get(value);
    if (!item) return;
    this.#byValue.delete(value);
    const last = this.#items.pop()!;
    if (last === item) return;
    this.#items[item.index] = last;
    last.index = item.index;
    this.#up(last.index);
    this.#down(last.index);
  }

  #up(i: number): void {
    const items = this.#items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.key <= items[i]!.key) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const items = this.#items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < items.length && items[l]!.key < items[smallest]!.key) smallest = l;
      if (r < items.length && items[r]!.key < items[smallest]!.key) smallest = r;
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
    B.index = a;
    A.index = b;
  }
}

interface Item<T> {
  key: number;
  readonly value: T;
  index: number;
}
