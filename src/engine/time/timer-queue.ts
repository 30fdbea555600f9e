/**
 * Timers of keyed operators: a min-heap of distinct times, each with the set of
 * keys waiting for it. Adding an existing (time, key) pair is a no-op; deleting is
 * immediate for the pair and lazy for the heap.
 */
import type { Key } from "../partition.js";

export class TimerQueue {
  readonly #heap: number[] = [];
  readonly #byTime = new Map<number, Set<Key>>();
  #size = 0;

  /** Number of pending (time, key) pairs. */
  get size(): number {
    return this.#size;
  }

  /** Earliest pending time, or +∞. */
  peek(): number {
    while (this.#heap.length > 0) {
      const top = this.#heap[0]!;
      if (this.#byTime.has(top)) return top;
      this.#pop();
    }
    return Number.POSITIVE_INFINITY;
  }

  /** Adds a timer; returns false when it was already there. */
  add(time: number, key: Key): boolean {
    let keys = this.#byTime.get(time);
    if (!keys) {
      keys = new Set();
      this.#byTime.set(time, keys);
      this.#push(time);
    } else if (keys.has(key)) {
      return false;
    }
    keys.add(key);
    this.#size++;
    return true;
  }

  has(time: number, key: Key): boolean {
    return this.#byTime.get(time)?.has(key) ?? false;
  }

  delete(time: number, key: Key): boolean {
    const keys = this.#byTime.get(time);
    if (!keys?.delete(key)) return false;
    this.#size--;
    if (keys.size === 0) this.#byTime.delete(time);
    return true;
  }

  /**
   * Moves `key`'s single timer from `from` to `to` (either may be +∞ for "none") and
   * returns `to`: the pattern of operators that keep one pending timer per key.
   */
  move(key: Key, from: number, to: number): number {
    if (from !== to) {
      if (from !== Number.POSITIVE_INFINITY) this.delete(from, key);
      if (to !== Number.POSITIVE_INFINITY) this.add(to, key);
    }
    return to;
  }

  /**
   * Removes and hands over, in time order, every timer with time ≤ `limit`.
   * Timers added by `fire` callbacks at times ≤ `limit` fire in the same call.
   */
  fireUpTo(limit: number, fire: (time: number, key: Key) => void): void {
    for (;;) {
      const time = this.peek();
      if (time > limit || time === Number.POSITIVE_INFINITY) return;
      const keys = this.#byTime.get(time)!;
      this.#byTime.delete(time);
      this.#pop();
      this.#size -= keys.size;
      for (const key of keys) fire(time, key);
    }
  }

  /** Every pending (time, key) pair, in no particular order. */
  *entries(): IterableIterator<[number, Key]> {
    for (const [time, keys] of this.#byTime) for (const key of keys) yield [time, key];
  }

  #push(time: number): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(time);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= time) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = time;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]! < heap[l]! ? r : l;
      if (heap[c]! >= last) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
  }
}
