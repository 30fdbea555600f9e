/**
 * Early checkpoints: a step (typically a sink whose output must become visible
 * promptly) asks for a checkpoint ahead of the interval, and the job starts one as
 * soon as it may — never while one is in flight, and never sooner than
 * `minPauseMs` after the previous one ended, so that a flood of requests leaves the
 * dataflow time to run between two checkpoints.
 */

/** Default of `checkpoint.minPauseMs`. */
export const DEFAULT_MIN_PAUSE_MS = 100;

/**
 * The pending request, the minimum pause and the timer that waits it out. The job
 * tells it when a checkpoint takes its barrier (`taken`: everything written before
 * is covered) and when one ends; `start` is called when a pending request may start
 * a checkpoint (the job still checks that it can: running, none in flight).
 */
export class CheckpointRequests {
  readonly #minPauseMs: number;
  readonly #now: () => number;
  readonly #start: () => void;
  #pending = false;
  #lastEnd = Number.NEGATIVE_INFINITY;
  #cancel: (() => void) | null = null;
  #closed = false;
  #served = 0;

  constructor(minPauseMs: number, now: () => number, start: () => void) {
    if (!(Number.isFinite(minPauseMs) && minPauseMs >= 0)) {
      throw new RangeError(`checkpoint.minPauseMs must be a number >= 0 (ms), got ${minPauseMs}`);
    }
    this.#minPauseMs = minPauseMs;
    this.#now = now;
    this.#start = start;
  }

  /** Whether a request waits for a checkpoint. */
  get pending(): boolean {
    return this.#pending;
  }

  /** Checkpoints that covered a request (the interval may have started some of them). */
  get served(): number {
    return this.#served;
  }

  /** Records a request and arranges for `start` to be called once it may run. */
  request(): void {
    if (this.#pending || this.#closed) return;
    this.#pending = true;
    this.#arm();
  }

  /** Whether a pending request may start a checkpoint now (the pause is over). */
  due(): boolean {
    return this.#pending && this.#wait() === 0;
  }

  /** A checkpoint took its barrier: the pending request, if any, is covered. */
  taken(): void {
    if (this.#pending) this.#served++;
    this.#pending = false;
    this.#disarm();
  }

  /** A checkpoint ended (committed or failed): a pending request waits the pause. */
  ended(): void {
    this.#lastEnd = this.#now();
    if (this.#pending) this.#arm();
  }

  /** `start` came before the pause was over (a clock that moved slower): wait again. */
  retry(): void {
    if (this.#pending) this.#arm();
  }

  /** No more requests: clears the timer. */
  close(): void {
    this.#closed = true;
    this.#pending = false;
    this.#disarm();
  }

  #wait(): number {
    return Math.max(0, this.#lastEnd + this.#minPauseMs - this.#now());
  }

  #arm(): void {
    if (this.#closed) return;
    this.#disarm();
    const delay = this.#wait();
    const fire = () => {
      this.#cancel = null;
      if (this.#pending) this.#start();
    };
    // Not synchronously: the caller may be inside a batch, and checkpoints start between two.
    if (delay > 0) {
      const timer = setTimeout(fire, delay);
      this.#cancel = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(fire);
      this.#cancel = () => clearImmediate(immediate);
    }
  }

  #disarm(): void {
    this.#cancel?.();
    this.#cancel = null;
  }
}
