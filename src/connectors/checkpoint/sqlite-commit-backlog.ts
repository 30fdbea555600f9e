/**
 * Backpressure of a SQLite commit on its thread: how much of what the store handed to
 * the commit thread the thread has not written yet, and a `ready()` that waits while
 * that is over the limit (see `SqliteCheckpointStoreOptions.maxUnwrittenBytes`).
 */

/** Length of a string row value; 0 for anything else (refused by the thread's checks). */
export function textLength(value: unknown): number {
  return typeof value === "string" ? value.length : 0;
}

/**
 * What one commit has handed to the thread and not yet seen written: the size of each
 * `rows` message in flight, oldest first (the thread handles them in order).
 */
export class CommitBacklog {
  readonly #limit: number;
  readonly #sizes: number[] = [];
  #unwritten = 0;
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  sent(size: number): void {
    if (this.#closed) return;
    this.#sizes.push(size);
    this.#unwritten += size;
  }

  written(): void {
    this.#unwritten -= this.#sizes.shift() ?? 0;
    if (this.#unwritten <= this.#limit) this.#wake();
  }

  /** The commit ended or the thread stopped: nobody waits any more. */
  close(): void {
    this.#closed = true;
    this.#sizes.length = 0;
    this.#unwritten = 0;
    this.#wake();
  }

  ready(): Promise<void> {
    if (this.#closed || this.#unwritten <= this.#limit) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
