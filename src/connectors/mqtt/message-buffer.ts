/**
 * The bounded buffer between a push-based client (messages arrive when the broker
 * sends them) and the pull-based `poll`: a producer's `proceed` callback is held
 * back while the buffer is full, which is how the client is told to stop reading.
 */

/** A FIFO of at most about `capacity` items with backpressure on the producer. */
export class MessageBuffer<T> {
  readonly #capacity: number;
  #items: T[] = [];
  #head = 0;
  readonly #blocked: (() => void)[] = [];
  #wake: (() => void) | null = null;
  #closed = false;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Items waiting. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Adds `item` and calls `proceed` once there is room for another: at once when the
   * buffer is below capacity, otherwise after `take` has made room (or on `close`).
   */
  push(item: T, proceed: () => void): void {
    this.#items.push(item);
    if (this.size < this.#capacity || this.#closed) proceed();
    else this.#blocked.push(proceed);
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Removes and returns up to `max` items, oldest first, letting blocked producers go on. */
  take(max: number): T[] {
    const end = Math.min(this.#items.length, this.#head + max);
    const taken = this.#items.slice(this.#head, end);
    this.#head = end;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    while (this.#blocked.length > 0 && this.size < this.#capacity) this.#blocked.shift()!();
    return taken;
  }

  /** Resolves when an item is waiting, after `ms`, or on `close`, whichever is first. */
  waitForData(ms: number): Promise<void> {
    if (this.size > 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Releases every blocked producer and waiter; later pushes proceed at once. */
  close(): void {
    this.#closed = true;
    for (const proceed of this.#blocked.splice(0)) proceed();
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
