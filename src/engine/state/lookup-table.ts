/**
 * A keyed table that streams are enriched from. It can be replaced or updated
 * while the dataflow runs (metadata reloaded from a file or a database); every
 * lookup sees the latest version.
 */

/** A mutable map from key to row, with a version that counts changes. */
export class LookupTable<K, V> {
  #rows: Map<K, V>;
  #version = 0;

  constructor(rows?: Iterable<readonly [K, V]>) {
    this.#rows = new Map(rows);
  }

  get(key: K): V | undefined {
    return this.#rows.get(key);
  }

  has(key: K): boolean {
    return this.#rows.has(key);
  }

  get size(): number {
    return this.#rows.size;
  }

  /** Incremented on every change; lets a caller notice that the table was reloaded. */
  get version(): number {
    return this.#version;
  }

  set(key: K, row: V): void {
    this.#rows.set(key, row);
    this.#version++;
  }

  delete(key: K): boolean {
    const deleted = this.#rows.delete(key);
    if (deleted) this.#version++;
    return deleted;
  }

  /** Replaces every row at once (a reload): lookups never see a half-loaded table. */
  replaceAll(rows: Iterable<readonly [K, V]>): void {
    this.#rows = new Map(rows);
    this.#version++;
  }

  entries(): IterableIterator<[K, V]> {
    return this.#rows.entries();
  }
}
