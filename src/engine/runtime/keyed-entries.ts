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
  /** Set while the entry waits to be captured for a checkpoint; managed by `KeyedEntries`. */
  pending?: boolean;
  /**
   * Set once the entry is no longer its key's (deleted, or replaced by `set` or
   * `restore`), so that a reference kept elsewhere (a record memo) is known stale.
   */
  detached?: boolean;
}

export class KeyedEntries<E extends KeyEntry> {
  readonly #map = new Map<Key, E>();
  /** Entries marked changed since the last `takeChanges` (some deleted since: `changed` off). */
  #changed: E[] = [];
  readonly #deleted = new Set<Key>();
  /** Entries handed to `beginCapture`; those with `pending` set are still to capture. */
  #pending: E[] = [];
  #next = 0;
  #left = 0;
  #capture: ((e: E) => void) | null = null;

  get size(): number {
    return this.#map.size;
  }

  /** The entry of `key`, marked as changed. */
  get(key: Key): E | undefined {
    const e = this.#map.get(key);
    if (e !== undefined) {
      if (e.pending === true) this.#captureNow(e);
      if (!e.changed) this.#mark(e);
    }
    return e;
  }

  /**
   * Marks `e`, an entry of this map found without a lookup (not detached), as `get`
   * would: captured first if a checkpoint waits for it, then marked changed.
   */
  touch(e: E): void {
    if (e.pending === true) this.#captureNow(e);
    if (!e.changed) this.#mark(e);
  }

  /** The entry of `key`, without marking it (for reads that change nothing). */
  peek(key: Key): E | undefined {
    return this.#map.get(key);
  }

  has(key: Key): boolean {
    return this.#map.has(key);
  }

  set(key: Key, e: E): void {
    const old = this.#map.get(key);
    if (old !== undefined && old !== e) {
      if (old.pending === true) this.#captureNow(old);
      old.detached = true;
    }
    this.#map.set(key, e);
    if (!e.changed) this.#mark(e);
  }

  /** Puts back an entry read from a checkpoint: unchanged since that checkpoint. */
  restore(key: Key, e: E): void {
    e.changed = false;
    const old = this.#map.get(key);
    if (old !== undefined && old !== e) old.detached = true;
    this.#map.set(key, e);
  }

  delete(key: Key): boolean {
    const e = this.#map.get(key);
    if (e === undefined) return false;
    if (e.pending === true) this.#captureNow(e);
    this.#map.delete(key);
    e.changed = false;
    e.detached = true;
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
    // A deleted entry has `changed` off, and a key set again has a new entry: the
    // entries with `changed` on are exactly the present ones changed since.
    const changed = this.#changed;
    let n = 0;
    for (let i = 0; i < changed.length; i++) {
      const e = changed[i]!;
      if (!e.changed) continue;
      e.changed = false;
      changed[n++] = e;
    }
    changed.length = n;
    this.#changed = [];
    let deleted: Key[] = [];
    if (this.#deleted.size > 0) {
      for (const e of changed) this.#deleted.delete(e.key);
      deleted = [...this.#deleted].filter((key) => !this.#map.has(key));
      this.#deleted.clear();
    }
    return { changed, deleted };
  }

  /**
   * Starts capturing `entries` (as they are now) with `capture`: each one exactly
   * once, before any change to it, or through `captureSome`. The previous capture
   * must be complete.
   */
  beginCapture(entries: E[], capture: (e: E) => void): void {
    for (let i = 0; i < entries.length; i++) entries[i]!.pending = true;
    this.#pending = entries;
    this.#next = 0;
    this.#left = entries.length;
    this.#capture = entries.length > 0 ? capture : null;
  }

  /** Captures up to `limit` pending entries; true when none is left. */
  captureSome(limit: number): boolean {
    const pending = this.#pending;
    let n = 0;
    while (this.#left > 0 && this.#next < pending.length) {
      const e = pending[this.#next++]!;
      if (e.pending !== true) continue;
      if (n++ >= limit) {
        this.#next--;
        return false;
      }
      this.#captureNow(e);
    }
    return this.#left === 0;
  }

  #captureNow(e: E): void {
    e.pending = false;
    const capture = this.#capture!;
    if (--this.#left === 0) {
      this.#pending = [];
      this.#capture = null;
    }
    capture(e);
  }

  #mark(e: E): void {
    e.changed = true;
    this.#changed.push(e);
  }
}
