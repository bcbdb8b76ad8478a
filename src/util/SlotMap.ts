// A Map for entries that come and go by the thousand (one per connection, session or file),
// whose values are large object graphs: the values live in an array of slots, and the Map
// itself holds only their slot numbers.
//
// Why not a plain Map: V8 rebuilds a Map's hash table as deletions pile up, and the table it
// leaves keeps pointing at every value it held until the next full collection. A long-lived
// Map's tables are in the old generation, and the young-generation collector takes whatever an
// old object points at as alive: each value deleted from such a Map — a finished session and
// everything it made — was copied and promoted instead of dying young, to wait there for a
// full collection. On bench `many` (9,781 sessions) that was most of the 200 MB promoted by
// `creds`. A slot is cleared when its value is deleted, and the slot array grows only when
// more values are held at once than ever before; the old tables hold only numbers.
//
// Keys must be numbers or strings: an object key would be kept alive the same way.

export class SlotMap<K extends number | string, V> {
  readonly #slots = new Map<K, number>();
  #values: Array<V | undefined> = [];
  #free: number[] = [];

  get size(): number {
    return this.#slots.size;
  }

  get(key: K): V | undefined {
    const i = this.#slots.get(key);
    return i === undefined ? undefined : this.#values[i];
  }

  has(key: K): boolean {
    return this.#slots.has(key);
  }

  set(key: K, value: V): this {
    const i = this.#slots.get(key);
    if (i !== undefined) {
      this.#values[i] = value;
      return this;
    }
    const slot = this.#free.pop() ?? this.#values.length;
    this.#values[slot] = value;
    this.#slots.set(key, slot);
    return this;
  }

  delete(key: K): boolean {
    const i = this.#slots.get(key);
    if (i === undefined) return false;
    this.#slots.delete(key);
    this.#values[i] = undefined;
    this.#free.push(i);
    return true;
  }

  clear(): void {
    this.#slots.clear();
    this.#values = [];
    this.#free = [];
  }

  /** Keys and values in the order the keys were first set, as a Map gives them. */
  *entries(): IterableIterator<[K, V]> {
    for (const [key, i] of this.#slots) yield [key, this.#values[i] as V];
  }

  *values(): IterableIterator<V> {
    for (const i of this.#slots.values()) yield this.#values[i] as V;
  }

  keys(): IterableIterator<K> {
    return this.#slots.keys();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}
