/**
 * The small consumer interface the Kafka source drives: what it needs from a Kafka
 * client in a consumer group, and nothing more. `platformatic-kafka-port.ts` implements
 * it with `@platformatic/kafka`; the tests implement it in memory, so the source's
 * bookkeeping (positions, revoke and assign, commits) is tested without a broker.
 */

/** A partition of a topic. */
export interface KafkaTopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A partition with an offset: for commits, the offset of the next record to read. */
export interface KafkaPartitionOffset extends KafkaTopicPartition {
  readonly offset: bigint;
}

/** One record as the client fetched it. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** Record timestamp, epoch ms. */
  readonly timestamp: number;
}

/** What the consumer tells the source while it runs. */
export interface KafkaConsumerListener {
  /**
   * The group changed this member's assignment: `assigned` is every partition it now
   * owns, `revoked` those it owned and lost. The consumer fetches nothing of a newly
   * assigned partition before the returned promise resolves, so the listener can
   * `seek` first.
   */
  rebalanced(
    assigned: readonly KafkaTopicPartition[],
    revoked: readonly KafkaTopicPartition[],
  ): Promise<void>;
  /** Records fetched, in offset order within each partition. */
  records(records: readonly KafkaRecord[]): void;
  /** A failure the consumer will not recover from. */
  failed(error: Error): void;
}

/** A Kafka consumer in a group, as the source uses it. */
export interface KafkaConsumerPort {
  /** Partitions per topic, from the cluster's metadata; rejects naming a topic that does not exist. */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
  /** The group's committed offsets (next offset to read) of `partitions`; absent when none. */
  committed(partitions: readonly KafkaTopicPartition[]): Promise<Map<string, bigint>>;
  /**
   * Joins the group for `topics` and starts fetching. An assigned partition starts at
   * `start.offsets` (by `topic:partition`) or at a later `seek`, else at
   * `start.fallback`. Resolves once the first assignment has been handled.
   */
  subscribe(
    topics: readonly string[],
    start: {
      readonly fallback: "earliest" | "latest";
      readonly offsets: ReadonlyMap<string, bigint>;
    },
    listener: KafkaConsumerListener,
  ): Promise<void>;
  /** Makes the next fetch of an assigned partition start at `offset`. */
  seek(partition: KafkaTopicPartition, offset: bigint): void;
  /** Stops fetching until `resume` (backpressure). */
  pause(): void;
  resume(): void;
  /** Commits offsets to the group. */
  commit(offsets: readonly KafkaPartitionOffset[]): Promise<void>;
  /** Records behind the end of each assigned partition, when known. */
  lag(): number | null;
  /** Connection state for `status()`, with the last error. */
  state(): { readonly state: "connected" | "reconnecting" | "error"; readonly detail?: string };
  /** Leaves the group and disconnects. */
  close(): Promise<void>;
}

/** `topic:partition`, the key of maps over partitions. */
export function partitionKey(tp: KafkaTopicPartition): string {
  return `${tp.topic}:${tp.partition}`;
}
