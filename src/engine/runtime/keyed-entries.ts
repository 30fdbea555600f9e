/**
 * The key → entry map of a keyed operator, remembering which keys changed since
 * the last checkpoint so that checkpoints write only those. Any access for
 * writing marks the key (conservatively: a `get` counts), a flag on the entry
 * keeps that to one comparison per record, and a deleted key is remembered for a
 * tombstone.
 *
 * It also makes checkpoints copy-on-write: `beginCapture` hands over the entries
 * whose state at the barrier must be written; each is captured either by
 * `captureSome` (in chunks, while the dataflow runs on) or just before its next
 * change, whichever comes first. So the dataflow pauses only to list the changed
 * keys, not to serialise their state.
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
  #pending: Map<Key, E> | null = null;
  #capture: ((e: E) => void) | null = null;

  get size(): number {
    return this.#map.size;
  }

  /** The entry of `key`, marked as changed. */
  get(key: Key): E | undefined {
    if (this.#pending !== null) this.#beforeChange(key);
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
    if (this.#pending !== null) this.#beforeChange(key);
    this.#map.set(key, e);
    if (!e.changed) this.#mark(e);
  }

  /** Puts back an entry read from a checkpoint: unchanged since that checkpoint. */
  restore(key: Key, e: E): void {
    e.changed = false;
    this.#map.set(key, e);
  }

  delete(key: Key): boolean {
    if (this.#pending !== null) this.#beforeChange(key);
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

  /**
   * Starts capturing `entries` (as they are now) with `capture`: each one exactly
   * once, before any change to it, or through `captureSome`.
   */
  beginCapture(entries: readonly E[], capture: (e: E) => void): void {
    this.#pending = new Map(entries.map((e) => [e.key, e]));
    this.#capture = capture;
    if (this.#pending.size === 0) this.#pending = null;
  }

  /** Captures up to `limit` pending entries; true when none is left. */
  captureSome(limit: number): boolean {
    const pending = this.#pending;
    if (pending === null) return true;
    let n = 0;
    for (const [key, e] of pending) {
      if (n++ >= limit) return false;
      pending.delete(key);
      this.#capture!(e);
    }
    this.#pending = null;
    this.#capture = null;
    return true;
  }

  #beforeChange(key: Key): void {
    const e = this.#pending!.get(key);
    if (e === undefined) return;
    this.#pending!.delete(key);
    this.#capture!(e);
    if (this.#pending!.size === 0) {
      this.#pending = null;
      this.#capture = null;
    }
  }

  #mark(e: E): void {
    e.changed = true;
    this.#changed.push(e.key);
  }
}
