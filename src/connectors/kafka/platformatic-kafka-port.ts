/**
 * `KafkaConsumerPort` on `@platformatic/kafka` (1.x): a group consumer reading in
 * MANUAL offset mode, so that where each partition starts is the source's decision
 * (checkpoint position or committed offset), with auto-commit off.
 *
 * Written against the client's documented API and types; no Kafka broker can run on
 * the machines this was built on, so this file is not exercised against a broker by
 * the tests (see docs/connectors-kafka.md).
 */
import { readFileSync } from "node:fs";
import type { Consumer, ConsumerOptions, Message, MessagesStream } from "@platformatic/kafka";
import {
  type KafkaConsumerListener,
  type KafkaConsumerPort,
  type KafkaPartitionOffset,
  type KafkaTopicPartition,
  partitionKey,
} from "./kafka-consumer-port.js";
import { kafkaLibrary } from "./kafka-library.js";

/** How to reach the cluster and which group to join. */
export interface KafkaConnectionOptions {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** The consumer group. */
  readonly groupId: string;
  /** Client id shown by the brokers. Default `millstream`. */
  readonly clientId?: string;
  /** SASL credentials. */
  readonly sasl?: {
    readonly mechanism: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";
    readonly username: string;
    readonly password: string;
  };
  /** TLS: `true` for the system's CAs, or PEM files. */
  readonly tls?: boolean | KafkaTlsOptions;
  /** Group session timeout, ms. Default the client's (30,000). */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat interval, ms. Default the client's (3,000). */
  readonly heartbeatIntervalMs?: number;
  /** Connection timeout, ms. Default 10,000. */
  readonly connectTimeoutMs?: number;
  /** How often the consumer lag is read from the brokers, ms. Default 5000. */
  readonly lagIntervalMs?: number;
}

/** TLS files (PEM) for Kafka. */
export interface KafkaTlsOptions {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly rejectUnauthorized?: boolean;
}

/** The `@platformatic/kafka` consumer options for `options` (files are read here). */
export function platformaticConsumerOptions(
  options: KafkaConnectionOptions,
): ConsumerOptions<Buffer, Buffer, Buffer, Buffer> {
  if (options.brokers.length === 0)
    throw new TypeError("Kafka: `brokers` must list at least one broker");
  const tls =
    options.tls === undefined || options.tls === false
      ? undefined
      : options.tls === true
        ? {}
        : {
            ...(options.tls.caFile ? { ca: readFileSync(options.tls.caFile) } : {}),
            ...(options.tls.certFile ? { cert: readFileSync(options.tls.certFile) } : {}),
            ...(options.tls.keyFile ? { key: readFileSync(options.tls.keyFile) } : {}),
            rejectUnauthorized: options.tls.rejectUnauthorized ?? true,
          };
  return {
    clientId: options.clientId ?? "millstream",
    bootstrapBrokers: [...options.brokers],
    groupId: options.groupId,
    autocommit: false,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    ...(options.sessionTimeoutMs !== undefined ? { sessionTimeout: options.sessionTimeoutMs } : {}),
    ...(options.heartbeatIntervalMs !== undefined
      ? { heartbeatInterval: options.heartbeatIntervalMs }
      : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(options.sasl !== undefined
      ? {
          sasl: {
            mechanism: options.sasl.mechanism,
            username: options.sasl.username,
            password: options.sasl.password,
          },
        }
      : {}),
  };
}

/** A consumer factory for `KafkaSource` on `@platformatic/kafka`. */
export function kafkaConsumer(options: KafkaConnectionOptions): () => KafkaConsumerPort {
  return () => new PlatformaticKafkaPort(options);
}

/**
 * One group member. The stream is created once the first assignment is known. The
 * client library is loaded with the first member; until then, and if it cannot load,
 * each method waits for it (and fails with its error).
 */
class PlatformaticKafkaPort implements KafkaConsumerPort {
  readonly #options: KafkaConnectionOptions;
  readonly #consumer: Promise<Consumer<Buffer, Buffer, Buffer, Buffer>>;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  #assigned: KafkaTopicPartition[] = [];
  /** Seeks asked for before the stream exists. */
  readonly #pending = new Map<string, bigint>();
  #rebalancing: Promise<void> = Promise.resolve();
  #state: "connected" | "reconnecting" | "error" = "connected";
  #detail: string | undefined;
  #lag: number | null = null;
  #paused = false;

  constructor(options: KafkaConnectionOptions) {
    this.#options = options;
    // Checked (and TLS files read) now: a bad option fails at once, as it always has.
    const consumerOptions = platformaticConsumerOptions(options);
    this.#consumer = kafkaLibrary().then(({ Consumer }) => {
      const consumer = new Consumer(consumerOptions);
      consumer.on("client:broker:disconnect", () => {
        this.#state = "reconnecting";
        this.#detail = "disconnected from a broker";
      });
      consumer.on("client:broker:connect", () => {
        this.#state = "connected";
        this.#detail = undefined;
      });
      consumer.on("consumer:heartbeat:error", ({ error }) => {
        this.#detail = error.message;
      });
      consumer.on("consumer:lag", (offsets) => {
        let lag = 0;
        for (const tp of this.#assigned) lag += Number(offsets.get(tp.topic)?.[tp.partition] ?? 0n);
        this.#lag = lag;
      });
      return consumer;
    });
    this.#consumer.catch(() => {}); // reported by the methods that need it
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    let metadata: Awaited<ReturnType<Consumer["metadata"]>>;
    try {
      const consumer = await this.#consumer;
      metadata = await consumer.metadata({ topics: [...topics], autocreateTopics: false });
    } catch (error) {
      throw new Error(
        `cannot read the metadata of ${topics.join(", ")} from ${this.#options.brokers.join(", ")}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const counts = new Map<string, number>();
    for (const topic of topics) {
      const found = metadata.topics.get(topic);
      if (found === undefined) throw new Error(`topic ${topic} does not exist`);
      counts.set(topic, found.partitionsCount);
    }
    return counts;
  }

  async committed(partitions: readonly KafkaTopicPartition[]): Promise<Map<string, bigint>> {
    const byTopic = new Map<string, number[]>();
    for (const tp of partitions)
      byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    const consumer = await this.#consumer;
    const offsets = await consumer.listCommittedOffsets({
      topics: [...byTopic].map(([topic, list]) => ({ topic, partitions: list })),
    });
    const found = new Map<string, bigint>();
    for (const tp of partitions) {
      const offset = offsets.get(tp.topic)?.[tp.partition];
      if (offset !== undefined && offset >= 0n) found.set(partitionKey(tp), offset);
    }
    return found;
  }

  async subscribe(
    topics: readonly string[],
    start: {
      readonly fallback: "earliest" | "latest";
      readonly offsets: ReadonlyMap<string, bigint>;
    },
    listener: KafkaConsumerListener,
  ): Promise<void> {
    const consumer = await this.#consumer;
    const { MessagesStreamFallbackModes, MessagesStreamModes } = await kafkaLibrary();
    // Registered before consume() joins the group, and before the stream's own
    // listener: the stream is paused while the listener decides where partitions start.
    consumer.on("consumer:group:join", ({ assignments }) => {
      const next = (assignments ?? []).flatMap((a) =>
        a.partitions.map((partition) => ({ topic: a.topic, partition })),
      );
      const keys = new Set(next.map(partitionKey));
      const revoked = this.#assigned.filter((tp) => !keys.has(partitionKey(tp)));
      this.#assigned = next;
      const stream = this.#stream;
      stream?.pause();
      this.#rebalancing = listener
        .rebalanced(next, revoked)
        .catch((error: Error) => listener.failed(error))
        .finally(() => {
          if (stream !== null && !this.#paused) stream.resume();
        });
    });
    const offsets = [...start.offsets].map(([key, offset]) => {
      const at = key.lastIndexOf(":");
      return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)), offset };
    });
    const stream = await consumer.consume({
      topics: [...topics],
      mode: MessagesStreamModes.MANUAL,
      offsets,
      fallbackMode:
        start.fallback === "earliest"
          ? MessagesStreamFallbackModes.EARLIEST
          : MessagesStreamFallbackModes.LATEST,
      autocommit: false,
    });
    this.#stream = stream;
    await this.#rebalancing;
    for (const [key, offset] of this.#pending) stream.offsetsToFetch.set(key, offset);
    this.#pending.clear();
    stream.on("data", (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
      listener.records([
        {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          key: message.key ?? null,
          value: message.value ?? null,
          timestamp: Number(message.timestamp),
        },
      ]);
    });
    stream.on("error", (error: Error) => {
      this.#state = "error";
      this.#detail = error.message;
      listener.failed(error);
    });
    consumer.startLagMonitoring({ topics: [...topics] }, this.#options.lagIntervalMs ?? 5000);
  }

  seek(tp: KafkaTopicPartition, offset: bigint): void {
    if (this.#stream === null) this.#pending.set(partitionKey(tp), offset);
    else this.#stream.offsetsToFetch.set(partitionKey(tp), offset);
  }

  pause(): void {
    this.#paused = true;
    this.#stream?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#stream?.resume();
  }

  async commit(offsets: readonly KafkaPartitionOffset[]): Promise<void> {
    const consumer = await this.#consumer;
    await consumer.commit({
      offsets: offsets.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: o.offset,
        leaderEpoch: -1,
      })),
    });
  }

  lag(): number | null {
    return this.#lag;
  }

  state(): { readonly state: "connected" | "reconnecting" | "error"; readonly detail?: string } {
    return this.#detail !== undefined
      ? { state: this.#state, detail: this.#detail }
      : { state: this.#state };
  }

  async close(): Promise<void> {
    const consumer = await this.#consumer.catch(() => null);
    if (consumer === null) return; // the library never loaded: nothing was opened
    consumer.stopLagMonitoring();
    await this.#stream?.close().catch(() => undefined);
    await consumer.close();
  }
}
