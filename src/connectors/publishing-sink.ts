/**
 * The sink shared by the broker publishers (MQTT, NATS, Kafka): records become keyed
 * messages carrying their id, buffered and published when the buffer fills, when it
 * is old enough, and at every checkpoint barrier, at least once.
 */
import type { Batch, Sink, SinkContext, SinkWriter } from "../engine/index.js";
import { type RetryOptions, withRetry } from "./retry.js";
import { SerialQueue } from "./serial-queue.js";

/** One message to publish. */
export interface OutboundMessage {
  /** Topic (MQTT), subject (NATS) or topic (Kafka). */
  readonly topic: string;
  /** The payload, UTF-8. */
  readonly payload: string;
  /** The record's deterministic id: JetStream's `Nats-Msg-Id`, a header or user property. */
  readonly id?: string;
  /** The message key (Kafka's partitioning key); ignored by brokers without keys. */
  readonly key?: string;
}

/** A connection that publishes messages; each connector implements it. */
export interface MessagePublisher {
  readonly description: string;
  /**
   * Publishes `messages` and resolves once the broker has acknowledged every one
   * (MQTT QoS 1 PUBACK, JetStream PubAck, Kafka produce response), or, for a broker
   * without acknowledgements, once they were handed to the server. Rejects if any
   * failed; some may then have been published (at-least-once).
   */
  publish(messages: readonly OutboundMessage[]): Promise<void>;
  /** `true` for an error of `publish` worth another try. */
  isTransient(error: unknown): boolean;
  /** Releases the connection. */
  close(): Promise<void>;
}

/** A publisher's failure, naming the publisher (broker and topic) and what was tried. */
export class PublishError extends Error {
  override readonly name = "PublishError";
}

/** Options of {@link PublishingSink}. */
export interface PublishingSinkOptions<T> {
  /** Describes the destination (`mqtt://host:1883`, …) in errors. */
  readonly description: string;
  /** Opens the writer's connection (one per writer). */
  readonly connect: () => Promise<MessagePublisher>;
  /** A record's message. */
  readonly message: (value: T) => OutboundMessage;
  /** Buffered messages after which `needsFlush` turns true. Default 1000. */
  readonly bufferMessages?: number;
  /**
   * Age (ms) of the oldest buffered message after which `needsFlush` turns true, for
   * lower latency than the checkpoint interval. Default: none (publish when the
   * buffer fills and at each checkpoint).
   */
  readonly maxDelayMs?: number;
  /** Retries of a failed publish (the whole batch is sent again). */
  readonly retry?: RetryOptions;
  /** The clock of `maxDelayMs`. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Publishes each record as a message, at least once.
 *
 * - `write` builds each record's message at once and buffers it; `flush` publishes
 *   the buffer and waits for the broker's acknowledgements; `needsFlush` turns true at
 *   `bufferMessages` messages or after `maxDelayMs`.
 * - `prepareCommit` publishes what is buffered and returns `null`: when a checkpoint
 *   is taken, every record it covers has been acknowledged by the broker. `commit`
 *   does nothing.
 * - After a crash the job replays from its last checkpoint, so records published
 *   after it are published again, with the same id: consumers (or the broker, for
 *   JetStream's `Nats-Msg-Id` within the stream's duplicate window) drop the repeats.
 * - A failed publish is retried (transient errors, the whole batch again); an error
 *   that remains rejects with a {@link PublishError} and the writer is unusable.
 * - `close` waits for publishes in progress, drops the buffer and closes the connection.
 */
export class PublishingSink<T> implements Sink<T> {
  readonly description: string;
  readonly #options: PublishingSinkOptions<T>;

  constructor(options: PublishingSinkOptions<T>) {
    const positive = (name: string, v: number | undefined) => {
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) {
        throw new TypeError(
          `${options.description}: \`${name}\` must be a positive integer, got ${v}`,
        );
      }
    };
    positive("bufferMessages", options.bufferMessages);
    if (options.maxDelayMs !== undefined && !(options.maxDelayMs >= 0)) {
      throw new TypeError(`${options.description}: \`maxDelayMs\` must be a number >= 0`);
    }
    this.#options = options;
    this.description = options.description;
  }

  async open(_context: SinkContext): Promise<SinkWriter<T>> {
    const publisher = await this.#options.connect();
    return new PublishingWriter(this.#options, publisher);
  }
}

class PublishingWriter<T> implements SinkWriter<T> {
  readonly #options: PublishingSinkOptions<T>;
  readonly #publisher: MessagePublisher;
  readonly #bufferMessages: number;
  readonly #now: () => number;
  #buffer: OutboundMessage[] = [];
  #firstAt = 0;
  readonly #queue = new SerialQueue(
    (cause) =>
      new PublishError(
        `${this.#options.description}: an earlier publish failed; the sink is unusable`,
        { cause },
      ),
  );
  #closed = false;

  constructor(options: PublishingSinkOptions<T>, publisher: MessagePublisher) {
    this.#options = options;
    this.#publisher = publisher;
    this.#bufferMessages = options.bufferMessages ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  get needsFlush(): boolean {
    const n = this.#buffer.length;
    if (n >= this.#bufferMessages) return true;
    const delay = this.#options.maxDelayMs;
    return delay !== undefined && n > 0 && this.#now() - this.#firstAt >= delay;
  }

  write(batch: Batch<T>): void {
    if (this.#closed) throw new PublishError(`${this.#options.description}: write after close`);
    this.#queue.check();
    const { values } = batch;
    if (values.length > 0 && this.#buffer.length === 0) this.#firstAt = this.#now();
    for (let i = 0; i < values.length; i++) {
      try {
        this.#buffer.push(this.#options.message(values[i] as T));
      } catch (error) {
        throw new PublishError(
          `${this.#options.description}: cannot build the message of record ${i} of a batch`,
          {
            cause: error,
          },
        );
      }
    }
  }

  flush(): Promise<void> {
    if (this.#closed) return this.#rejectClosed("flush");
    const messages = this.#take();
    return this.#queue.run(() => this.#publish(messages));
  }

  prepareCommit(_checkpointId: number): Promise<unknown> {
    if (this.#closed) return this.#rejectClosed("prepareCommit");
    const messages = this.#take();
    return this.#queue.run(() => this.#publish(messages)).then(() => null);
  }

  commit(_checkpointId: number, _progress: unknown): Promise<void> {
    if (this.#closed) return this.#rejectClosed("commit");
    return this.#queue.run(async () => {});
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer = [];
    await this.#queue.idle();
    await this.#publisher.close();
  }

  #take(): OutboundMessage[] {
    const messages = this.#buffer;
    this.#buffer = [];
    return messages;
  }

  async #publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    let tries = 0;
    try {
      await withRetry(
        () => {
          tries++;
          return this.#publisher.publish(messages);
        },
        {
          ...(this.#options.retry ?? {}),
          isTransient: (e) => this.#publisher.isTransient(e),
          stopped: () => this.#closed,
        },
      );
    } catch (error) {
      throw new PublishError(
        `${this.#publisher.description}: publishing ${messages.length} messages failed${tries > 1 ? ` after ${tries} tries` : ""}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  #rejectClosed(operation: string): Promise<never> {
    return Promise.reject(
      new PublishError(`${this.#options.description}: ${operation} after close`),
    );
  }
}
