/**
 * One pending timer per key: the pattern of window and join operators, whose keys
 * each wait for a single next wake-up that moves as records arrive.
 */
import { TimerQueue } from "../time/timer-queue.js";
import type { KeyEntry, KeyedEntries } from "./keyed-entries.js";

/** An entry with its single pending timer (+∞ for none). */
export interface TimedEntry extends KeyEntry {
  timer: number;
}

export class KeyTimers<E extends TimedEntry> {
  readonly #queue = new TimerQueue();

  constructor(private readonly entries: KeyedEntries<E>) {}

  /** Moves `e`'s timer to `time` (+∞: no timer). */
  set(e: E, time: number): void {
    e.timer = this.#queue.move(e.key, e.timer, time);
  }

  /**
   * Wakes, in time order, every entry whose timer is at or before `limit`, its timer
   * already cleared. A wake-up may set a new timer; one at or before `limit` fires in
   * the same call.
   */
  fire(limit: number, wake: (e: E, time: number) => void): void {
    this.#queue.fireUpTo(limit, (time, key) => {
      const e = this.entries.get(key);
      if (e === undefined) return;
      e.timer = Number.POSITIVE_INFINITY;
      wake(e, time);
    });
  }

  /**
   * Hands over, in time order, every entry whose timer is at or before `limit`, its
   * timer cleared, without marking it changed (`fire` does, through `get`): for a
   * caller that wakes the entries later, in slices, and touches each as it wakes it.
   * Timers set meanwhile are not handed over by this call.
   */
  takeDueQuietly(limit: number, take: (e: E, time: number) => void): void {
    this.#queue.fireUpTo(limit, (time, key) => {
      const e = this.entries.peek(key);
      if (e === undefined) return;
      e.timer = Number.POSITIVE_INFINITY;
      take(e, time);
    });
  }

  /** The entries whose timer is at or before `limit`, in time order, their timers cleared. */
  takeDue(limit: number): E[] {
    const due: E[] = [];
    this.fire(limit, (e) => {
      due.push(e);
    });
    return due;
  }
}
