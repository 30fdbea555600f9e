/**
 * One-at-a-time execution of a writer's asynchronous operations, with a sticky
 * failure: once an operation fails, the writer is unusable and every later
 * operation rejects with an error saying so (its cause the first failure), rather
 * than writing on top of a half-done step.
 */

export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();
  #failure: unknown = null;

  /** `unusable(cause)` builds the error later operations reject with. */
  constructor(private readonly unusable: (cause: unknown) => Error) {}

  /** Throws the "unusable" error if an operation has failed. */
  check(): void {
    if (this.#failure !== null) throw this.unusable(this.#failure);
  }

  /** Runs `operation` after every operation queued before it. */
  run(operation: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(() => {
      this.check();
      return operation().catch((error: unknown) => {
        this.#failure = error;
        throw error;
      });
    });
    this.#tail = run.catch(() => {});
    return run;
  }

  /** Resolves when every queued operation has settled. */
  idle(): Promise<void> {
    return this.#tail;
  }
}
