/**
 * Processing time, injected. Engine code never reads `Date.now()` itself: it asks
 * the clock it was given, so tests can drive time by hand.
 */

/** A source of processing time in epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/**
 * A clock that moves only when told to. Time never goes backwards: `set` to an
 * earlier time throws.
 */
export class ManualClock implements Clock {
  #now: number;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves the clock forward by `ms` milliseconds (`ms` ≥ 0). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: expected ms >= 0, got ${ms}`);
    this.#now += ms;
  }

  /** Sets the clock to `time`, which must not be earlier than the current time. */
  set(time: number): void {
    if (time < this.#now) {
      throw new RangeError(`ManualClock.set: ${time} is before the current time ${this.#now}`);
    }
    this.#now = time;
  }
}
