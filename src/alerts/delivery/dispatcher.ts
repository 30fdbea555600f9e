/**
 * The dispatcher: delivers the outbox's pending notifications through their
 * channels, a bounded number at a time, retrying failures with exponential backoff
 * and jitter (or after the receiver's `Retry-After`), and marking dead what runs out
 * of retries or is rejected for good. Every attempt's outcome is written to the
 * outbox before the next is scheduled, so a restarted dispatcher carries on where
 * the last one stopped: the idempotency key (the notification id) and the retry
 * schedule survive restarts.
 */
import type { Channel, SendResult } from "../channels/channel.js";
import { describeError } from "../channels/channel.js";
import type { Notification } from "../notification.js";
import type { DueEntry, Outbox, OutboxStats } from "./outbox.js";
import {
  checkRetryPolicy,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  retryDelay,
} from "./retry-policy.js";

/** What happened to a notification; for logs and metrics. */
export type DispatchEvent =
  | {
      readonly type: "delivered";
      readonly id: string;
      readonly channel: string;
      readonly attempts: number;
      readonly status?: number;
    }
  | {
      readonly type: "retry";
      readonly id: string;
      readonly channel: string;
      readonly attempts: number;
      readonly reason: string;
      readonly delayMs: number;
      readonly status?: number;
    }
  | {
      readonly type: "dead";
      readonly id: string;
      readonly channel: string;
      readonly attempts: number;
      readonly reason: string;
      readonly status?: number;
    }
  /** The outbox could not be read or written; the dispatcher tries again at the next poll. */
  | { readonly type: "error"; readonly error: Error };

/** Options of {@link Dispatcher}. */
export interface DispatcherOptions {
  readonly outbox: Outbox;
  /** Channels by configured name (`Notification.channel`). */
  readonly channels: ReadonlyMap<string, Channel>;
  /** Attempts in flight at once. Default 4. */
  readonly concurrency?: number;
  /** Overrides of {@link DEFAULT_RETRY_POLICY}. */
  readonly retry?: Partial<RetryPolicy>;
  /** An attempt still running after this long is aborted (and retried), in ms. Default 30,000. */
  readonly attemptTimeoutMs?: number;
  /**
   * How often the outbox is polled for rows published by another process or due for
   * a retry, in ms. Rows published in this process wake the dispatcher at once. Default 500.
   */
  readonly pollIntervalMs?: number;
  /** `stop` waits this long for attempts in flight before aborting them, in ms. Default 10,000. */
  readonly stopTimeoutMs?: number;
  /** Delivered rows are deleted this long after delivery, in ms. Default 7 days. */
  readonly retainDeliveredMs?: number;
  /** Wall clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Uniform in [0, 1), for jitter. Default `Math.random`. */
  readonly random?: () => number;
  readonly onEvent?: (event: DispatchEvent) => void;
}

/** Counters of this dispatcher since `start`, and the outbox's counts. */
export interface DispatcherStats {
  readonly running: boolean;
  readonly inFlight: number;
  /** Attempts finished (delivered, retried or dead). */
  readonly attempts: number;
  readonly delivered: number;
  readonly retried: number;
  /** Notifications this dispatcher marked dead (rejected or out of retries). */
  readonly dead: number;
  /** The outbox, all processes included: pending, delivered and dead rows, by channel. */
  readonly outbox: OutboxStats;
}

const STOPPED = Symbol("dispatcher stopped");
const TIMED_OUT = Symbol("attempt timed out");
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Delivers notifications from an {@link Outbox}. One dispatcher per outbox file.
 * `start` begins; `stop` stops taking new work, lets attempts in flight finish (up to
 * `stopTimeoutMs`, then aborts them; an aborted attempt is not counted and is tried
 * again by the next dispatcher), and resolves when none is left.
 *
 * Outcomes (see `SendResult`): `delivered` ends the row; `rejected` makes it dead at
 * once; `retry` schedules the next attempt after `Retry-After` or the backoff, until
 * `maxAttempts` attempts have failed, then it is dead. A row naming no configured
 * channel, or whose stored notification is not valid, is dead with the reason. The
 * channel gets the notification id as its idempotency key, on every attempt.
 */
export class Dispatcher {
  readonly #outbox: Outbox;
  readonly #channels: ReadonlyMap<string, Channel>;
  readonly #concurrency: number;
  readonly #policy: RetryPolicy;
  readonly #attemptTimeoutMs: number;
  readonly #pollMs: number;
  readonly #stopTimeoutMs: number;
  readonly #retainMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onEvent: (event: DispatchEvent) => void;
  readonly #inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #scheduled = false;
  #unsubscribe: (() => void) | null = null;
  #lastPrune = 0;
  #counts = { attempts: 0, delivered: 0, retried: 0, dead: 0 };

  constructor(options: DispatcherOptions) {
    this.#outbox = options.outbox;
    this.#channels = options.channels;
    this.#concurrency = options.concurrency ?? 4;
    if (!Number.isSafeInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new RangeError(`concurrency must be an integer >= 1, got ${this.#concurrency}`);
    }
    this.#policy = checkRetryPolicy({ ...DEFAULT_RETRY_POLICY, ...options.retry });
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000;
    this.#pollMs = options.pollIntervalMs ?? 500;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.#retainMs = options.retainDeliveredMs ?? 7 * 24 * 3_600_000;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#onEvent = options.onEvent ?? (() => {});
  }

  /** Starts delivering. Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = this.#outbox.onPublished(() => this.#wake());
    this.#wake();
  }

  /** Whether `start` was called and `stop` not yet. */
  get running(): boolean {
    return this.#running;
  }

  /** Stops (see the class comment). Idempotent; never rejects. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#inFlight.size === 0) return;
    const abort = setTimeout(() => {
      for (const { controller } of this.#inFlight.values()) controller.abort(STOPPED);
    }, this.#stopTimeoutMs);
    await Promise.allSettled([...this.#inFlight.values()].map((a) => a.done));
    clearTimeout(abort);
  }

  /** Counters and outbox counts. */
  stats(): DispatcherStats {
    return {
      running: this.#running,
      inFlight: this.#inFlight.size,
      ...this.#counts,
      outbox: this.#outbox.stats(),
    };
  }

  /** Looks for work soon (coalesces calls within one turn of the event loop). */
  #wake(): void {
    if (!this.#running || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (!this.#running) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const now = this.#now();
    let delay = this.#pollMs;
    try {
      const room = this.#concurrency - this.#inFlight.size;
      const due = this.#outbox.due(now, room, new Set(this.#inFlight.keys()));
      for (const entry of due) this.#attempt(entry);
      if (due.length === room) return; // full: a finishing attempt wakes us
      const next = this.#outbox.nextDueAt();
      if (next !== null && next > now) delay = Math.min(delay, next - now);
      if (now - this.#lastPrune >= PRUNE_EVERY_MS) {
        this.#lastPrune = now;
        this.#outbox.pruneDelivered(now - this.#retainMs);
      }
    } catch (error) {
      this.#emit({ type: "error", error: error as Error });
    }
    this.#timer = setTimeout(() => this.#pump(), Math.max(1, delay));
  }

  #attempt(entry: DueEntry): void {
    const controller = new AbortController();
    const done = this.#run(entry, controller)
      .catch((error: unknown) => this.#emit({ type: "error", error: error as Error }))
      .finally(() => {
        this.#inFlight.delete(entry.id);
        this.#wake();
      });
    this.#inFlight.set(entry.id, { controller, done });
  }

  async #run(entry: DueEntry, controller: AbortController): Promise<void> {
    const timeout = setTimeout(() => controller.abort(TIMED_OUT), this.#attemptTimeoutMs);
    let result: SendResult;
    try {
      result = await this.#send(entry, controller.signal);
    } finally {
      clearTimeout(timeout);
    }
    if (controller.signal.reason === STOPPED) {
      // Not the receiver's fault: not counted. Keep the parts delivered meanwhile.
      if (result.outcome === "retry" && result.completedParts) {
        this.#record(() =>
          this.#outbox.recordRetry(entry.id, {
            attempts: entry.attempts,
            nextAttemptAt: this.#now(),
            reason: "interrupted by a dispatcher stop",
            completedParts: result.completedParts as readonly string[],
          }),
        );
      }
      return;
    }
    const attempts = entry.attempts + 1;
    this.#counts.attempts++;
    const { id, channel } = entry;
    if (result.outcome === "delivered") {
      this.#counts.delivered++;
      this.#record(() => this.#outbox.recordDelivered(id, attempts, result.status, result.detail));
      this.#emit({ type: "delivered", id, channel, attempts, ...status(result) });
      return;
    }
    if (result.outcome === "rejected" || attempts >= this.#policy.maxAttempts) {
      const reason =
        result.outcome === "rejected"
          ? `rejected: ${result.reason}`
          : `out of retries after ${attempts} attempts; last: ${result.reason}`;
      const parts = result.outcome === "retry" ? result.completedParts : undefined;
      this.#counts.dead++;
      this.#record(() =>
        this.#outbox.recordDead(id, {
          attempts,
          reason,
          ...status(result),
          ...(parts ? { completedParts: parts } : {}),
        }),
      );
      this.#emit({ type: "dead", id, channel, attempts, reason, ...status(result) });
      return;
    }
    const delayMs = retryDelay(this.#policy, attempts, result.retryAfterMs, this.#random);
    this.#counts.retried++;
    const parts = result.completedParts ?? entry.completedParts;
    this.#record(() =>
      this.#outbox.recordRetry(id, {
        attempts,
        nextAttemptAt: this.#now() + delayMs,
        reason: result.reason,
        ...status(result),
        ...(parts.length > 0 ? { completedParts: parts } : {}),
      }),
    );
    this.#emit({
      type: "retry",
      id,
      channel,
      attempts,
      reason: result.reason,
      delayMs,
      ...status(result),
    });
  }

  async #send(entry: DueEntry, signal: AbortSignal): Promise<SendResult> {
    const channel = this.#channels.get(entry.channel);
    if (channel === undefined) {
      return {
        outcome: "rejected",
        reason: `no channel named ${JSON.stringify(entry.channel)} is configured`,
      };
    }
    const notification = parseNotification(entry);
    if (typeof notification === "string") return { outcome: "rejected", reason: notification };
    try {
      const result = await channel.send(notification, {
        idempotencyKey: entry.id,
        signal,
        ...(entry.completedParts.length > 0 ? { completedParts: entry.completedParts } : {}),
      });
      if (signal.reason === TIMED_OUT && result.outcome === "retry") {
        return {
          ...result,
          reason: `attempt timed out after ${this.#attemptTimeoutMs} ms (${result.reason})`,
        };
      }
      return result;
    } catch (error) {
      return {
        outcome: "retry",
        reason: `channel ${channel.name} failed: ${describeError(error)}`,
      };
    }
  }

  #emit(event: DispatchEvent): void {
    try {
      this.#onEvent(event);
    } catch {
      // a failing listener must not stop delivery
    }
  }

  /** Writes an outcome; an outbox failure is reported, and the row is tried again later. */
  #record(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.#emit({ type: "error", error: error as Error });
    }
  }
}

function status(result: SendResult): { status?: number } {
  return result.status !== undefined ? { status: result.status } : {};
}

/** The stored notification, or why it cannot be sent. */
function parseNotification(entry: DueEntry): Notification | string {
  let value: unknown;
  try {
    value = JSON.parse(entry.payload);
  } catch {
    return "not a valid notification: the stored text is not JSON";
  }
  if (value === null || typeof value !== "object") return "not a valid notification: not an object";
  const n = value as Partial<Notification>;
  if (typeof n.id !== "string" || n.id !== entry.id) return "not a valid notification: missing id";
  if (typeof n.channel !== "string" || n.channel === "") {
    return "not a valid notification: missing channel";
  }
  if (!Array.isArray(n.alarms)) return "not a valid notification: alarms is not a list";
  return n as Notification;
}
