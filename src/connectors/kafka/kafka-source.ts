/**
 * A replayable Kafka source in a consumer group: engine partition = Kafka partition
 * (the partition count comes from the topics' metadata), positions = next offsets,
 * offsets committed to the group only once the checkpoint covering them has
 * committed, revoke and assign handled. See docs/connectors-kafka.md.
 */
import type {
  Source,
  SourceContext,
  SourcePoll,
  SourceReader,
  SourceStatus,
} from "../../engine/index.js";
import type { InboundMessage } from "../inbound-message.js";
import { DEFAULT_MAX_MESSAGE_BYTES, decodePayload } from "../inbound-payload.js";
import { KafkaSourceError } from "./errors.js";
import {
  type KafkaConsumerPort,
  type KafkaRecord,
  type KafkaTopicPartition,
  partitionKey,
} from "./kafka-consumer-port.js";
import { KafkaPartitionMap, KafkaPartitionTracker } from "./kafka-partition-tracker.js";

const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_BUFFER_SIZE = 20_000;
const MAX_IDLE_WAIT_MS = 100;

/** Options of {@link KafkaSource}. */
export interface KafkaSourceOptions {
  /** The topics to read; their partitions become the source partitions, topic after topic. */
  readonly topics: readonly string[];
  /** Makes the consumer (one per `open`). `kafkaConsumer(...)` builds one on `@platformatic/kafka`. */
  readonly consumer: () => KafkaConsumerPort;
  /** Where a partition without a checkpoint position or committed offset starts. Default `earliest`. */
  readonly startAt?: "earliest" | "latest";
  /** Most records per batch. Default 1000. */
  readonly batchSize?: number;
  /** Records buffered before fetching pauses. Default 20,000. */
  readonly bufferSize?: number;
  /** Larger record values become dead letters (see `decodePayload`). Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Description for logs and metrics. Default `kafka:<topics>`. */
  readonly description?: string;
  /** Clock for `receivedAt`. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Reads Kafka topics as one consumer of a group.
 *
 * - **Partitions.** Source partition `i` is the `i`-th partition of the topics listed
 *   (see `KafkaPartitionMap`); the count is fixed when the source opens. A member
 *   reads only the partitions the group assigns it; the others stay idle in this job.
 * - **Positions** are the next offset to read, as decimal strings, of the partitions
 *   this member owns. After a restart each partition resumes from the checkpoint's
 *   position, else from the group's committed offset, else from `startAt`.
 * - **Commits.** Nothing is committed when read: `acknowledge`, called once a
 *   checkpoint holding the positions has committed, commits them to the group. A
 *   crash before that makes the job restart from its checkpoint: no record lost or
 *   counted twice.
 * - **Rebalance.** Records of a revoked partition not yet returned are dropped, and
 *   the offset its last committed checkpoint covered is committed again; the new
 *   owner starts there, so records returned since that checkpoint are read again by
 *   the new owner (at-least-once across a rebalance, as the engine cannot move state
 *   between processes). A partition assigned later starts at the group's committed
 *   offset.
 * - **Records** are {@link InboundMessage}s: payload (value as UTF-8; a null, invalid
 *   or oversize value gets a payload saying so), origin
 *   `kafka:<topic>/<partition>@<offset>`, topic, receivedAt.
 * - A topic missing from the cluster fails `open` with a {@link KafkaSourceError}
 *   naming it.
 */
export class KafkaSource implements Source<InboundMessage> {
  readonly description: string;
  readonly #options: KafkaSourceOptions;

  constructor(options: KafkaSourceOptions) {
    if (!Array.isArray(options.topics) || options.topics.length === 0) {
      throw new TypeError("KafkaSource: `topics` must list at least one topic");
    }
    if (new Set(options.topics).size !== options.topics.length) {
      throw new TypeError("KafkaSource: a topic is listed twice");
    }
    for (const [name, value] of [
      ["batchSize", options.batchSize],
      ["bufferSize", options.bufferSize],
    ] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
        throw new RangeError(`KafkaSource: \`${name}\` must be a positive integer, got ${value}`);
      }
    }
    this.#options = options;
    this.description = options.description ?? `kafka:${options.topics.join(",")}`;
  }

  async open(context: SourceContext): Promise<SourceReader<InboundMessage>> {
    const o = this.#options;
    const port = o.consumer();
    try {
      let counts: Map<string, number>;
      try {
        counts = await port.partitionCounts(o.topics);
      } catch (error) {
        throw new KafkaSourceError(o.topics.join(", "), (error as Error).message, { cause: error });
      }
      const map = new KafkaPartitionMap(o.topics, counts);
      let tracker: KafkaPartitionTracker;
      try {
        tracker = new KafkaPartitionTracker(map, context.resumeFrom);
      } catch (error) {
        throw new KafkaSourceError(o.topics.join(", "), (error as Error).message, { cause: error });
      }
      // Where each partition starts if assigned now: the checkpoint's position, else
      // the group's committed offset (the tracker decides the same at the first assignment).
      const all = Array.from({ length: map.size }, (_, i) => map.topicPartition(i));
      const offsets = new Map(await port.committed(all));
      for (const [index, position] of context.resumeFrom ?? []) {
        offsets.set(partitionKey(map.topicPartition(index)), BigInt(position as string));
      }
      const reader = new KafkaReader(port, tracker, o);
      await port.subscribe(
        o.topics,
        { fallback: o.startAt ?? "earliest", offsets },
        reader.listener,
      );
      return reader;
    } catch (error) {
      await port.close().catch(() => undefined);
      throw error;
    }
  }
}

class KafkaReader implements SourceReader<InboundMessage> {
  readonly partitions: number;
  readonly listener;
  readonly #port: KafkaConsumerPort;
  readonly #tracker: KafkaPartitionTracker;
  readonly #queues: KafkaRecord[][];
  readonly #batchSize: number;
  readonly #capacity: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #topics: string;
  #buffered = 0;
  #paused = false;
  #next = 0;
  #failure: Error | null = null;
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(port: KafkaConsumerPort, tracker: KafkaPartitionTracker, o: KafkaSourceOptions) {
    this.#port = port;
    this.#tracker = tracker;
    this.partitions = tracker.map.size;
    this.#queues = Array.from({ length: this.partitions }, () => []);
    this.#batchSize = o.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#capacity = o.bufferSize ?? DEFAULT_BUFFER_SIZE;
    this.#maxBytes = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#now = o.now ?? Date.now;
    this.#topics = o.topics.join(", ");
    this.listener = {
      rebalanced: (
        assigned: readonly KafkaTopicPartition[],
        revoked: readonly KafkaTopicPartition[],
      ) => this.#rebalanced(assigned, revoked),
      records: (records: readonly KafkaRecord[]) => this.#records(records),
      failed: (error: Error) => {
        this.#failure = error;
        this.#signal();
      },
    };
  }

  async #rebalanced(
    assigned: readonly KafkaTopicPartition[],
    revoked: readonly KafkaTopicPartition[],
  ): Promise<void> {
    const fresh = assigned.filter((tp) => {
      const index = this.#tracker.map.index(tp);
      return index !== undefined && !this.#tracker.owns(index);
    });
    const committed =
      fresh.length > 0 ? await this.#port.committed(fresh) : new Map<string, bigint>();
    const plan = this.#tracker.rebalance(assigned, revoked, committed);
    for (const index of plan.revoked) {
      this.#buffered -= this.#queues[index]!.length;
      this.#queues[index] = [];
    }
    for (const seek of plan.seeks) this.#port.seek(seek, seek.offset);
    if (plan.commits.length > 0) await this.#port.commit(plan.commits);
  }

  #records(records: readonly KafkaRecord[]): void {
    for (const record of records) {
      const index = this.#tracker.accept(record);
      if (index === null) continue;
      this.#queues[index]!.push(record);
      this.#buffered++;
    }
    if (this.#buffered >= this.#capacity && !this.#paused) {
      this.#paused = true;
      this.#port.pause();
    }
    this.#signal();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async poll(): Promise<SourcePoll<InboundMessage>> {
    const batch = this.#take();
    if (batch !== null) return batch;
    if (!this.#closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, MAX_IDLE_WAIT_MS);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
    return this.#take() ?? { kind: "idle" };
  }

  #take(): SourcePoll<InboundMessage> | null {
    if (this.#failure !== null && !this.#closed) {
      throw new KafkaSourceError(this.#topics, `the consumer failed: ${this.#failure.message}`, {
        cause: this.#failure,
      });
    }
    const n = this.partitions;
    for (let k = 0; k < n; k++) {
      const index = (this.#next + k) % n;
      const queue = this.#queues[index]!;
      if (queue.length === 0) continue;
      const taken = queue.splice(0, this.#batchSize);
      this.#buffered -= taken.length;
      if (this.#paused && this.#buffered <= this.#capacity / 2) {
        this.#paused = false;
        this.#port.resume();
      }
      const receivedAt = this.#now();
      const values = taken.map(
        (r): InboundMessage => ({
          payload:
            r.value === null
              ? `empty message: the record at offset ${r.offset} has no value`
              : decodePayload(r.value, this.#maxBytes),
          origin: `kafka:${r.topic}/${r.partition}@${r.offset}`,
          topic: r.topic,
          receivedAt,
        }),
      );
      this.#tracker.returned(index, taken.at(-1)!.offset);
      this.#next = (index + 1) % n;
      return { kind: "batch", partition: index, values };
    }
    return null;
  }

  positions(): Map<number, unknown> {
    return this.#tracker.positions();
  }

  async acknowledge(positions: ReadonlyMap<number, unknown>): Promise<void> {
    const commits = this.#tracker.acknowledge(positions);
    if (commits.length > 0) await this.#port.commit(commits);
  }

  status(): SourceStatus {
    if (this.#closed) return { state: "closed", lag: null };
    const { state, detail } = this.#port.state();
    const lag = this.#port.lag();
    const total = lag === null ? null : lag + this.#buffered;
    return detail !== undefined && state !== "connected"
      ? { state, detail, lag: total }
      : { state, lag: total };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal();
    await this.#port.close();
  }
}
