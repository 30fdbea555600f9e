/**
 * The key → entry map of a keyed operator, remembering which keys changed since
 * the last checkpoint so that checkpoints write only those. Any access for
 * writing marks the key (conservatively: a `get` counts), a flag on the entry
 * keeps that to one comparison per record, and a deleted key is remembered for a
 * tombstone.
 */
import type { Key } from "../partition.js";

/** What every key's entry holds. */
export interface KeyEntry {
  readonly key: Key;
  readonly partition: number;
  /** Set while the key is in the changed set; managed by `KeyedEntries`. */
  changed: boolean;
}

export class KeyedEntries<E extends KeyEntry> {
  readonly #map = new Map<Key, E>();
  #changed: Key[] = [];
  readonly #deleted = new Set<Key>();

  get size(): number {
    return this.#map.size;
  }

  /** The entry of `key`, marked as changed. */
  get(key: Key): E | undefined {
    const e = this.#map.get(key);
    if (e !== undefined && !e.changed) this.#mark(e);
    return e;
  }

  /** The entry of `key`, without marking it (for reads that change nothing). */
  peek(key: Key): E | undefined {
    return this.#map.get(key);
  }

  has(key: Key): boolean {
    return this.#map.has(key);
  }

  set(key: Key, e: E): void {
    this.#map.set(key, e);
    if (!e.changed) this.#mark(e);
  }

  /** Puts back an entry read from a checkpoint: unchanged since that checkpoint. */
  restore(key: Key, e: E): void {
    e.changed = false;
    this.#map.set(key, e);
  }

  delete(key: Key): boolean {
    const e = this.#map.get(key);
    if (e === undefined) return false;
    this.#map.delete(key);
    e.changed = false;
    this.#deleted.add(key);
    return true;
  }

  values(): IterableIterator<E> {
    return this.#map.values();
  }

  /**
   * The keys changed since the last call: entries still present (to write) and
   * keys deleted (to tombstone). Resets the tracking.
   */
  takeChanges(): { changed: E[]; deleted: Key[] } {
    const changed: E[] = [];
    for (const key of this.#changed) {
      const e = this.#map.get(key);
      if (e?.changed) {
        e.changed = false;
        changed.push(e);
        this.#deleted.delete(key);
      }
    }
    const deleted = [...this.#deleted].filter((key) => !this.#map.has(key));
    this.#changed = [];
    this.#deleted.clear();
    return { changed, deleted };
  }

  #mark(e: E): void {
    e.changed = true;
    this.#changed.push(e.key);
  }
}
