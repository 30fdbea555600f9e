/**
 * An in-memory stand-in for a Kafka cluster with consumer groups, implementing the
 * source's own `KafkaConsumerPort` (not Kafka's protocol): topics of partitioned
 * logs, group membership with round-robin assignment and rebalances on join and
 * leave, committed offsets, seek, pause and fetching in the background. Test files only.
 */
import {
  type KafkaConsumerListener,
  type KafkaConsumerPort,
  type KafkaPartitionOffset,
  type KafkaRecord,
  type KafkaTopicPartition,
  partitionKey,
} from "./kafka-consumer-port.js";

interface Group {
  readonly members: MemoryKafkaConsumer[];
  readonly committed: Map<string, bigint>;
}

/** Topics and groups shared by the consumers made with {@link consumer}. */
export class MemoryKafkaCluster {
  readonly topics = new Map<string, { value: Uint8Array | null; timestamp: number }[][]>();
  readonly groups = new Map<string, Group>();
  /** Every commit made, in order (for assertions). */
  readonly commits: { group: string; offsets: KafkaPartitionOffset[] }[] = [];

  createTopic(name: string, partitions: number): void {
    this.topics.set(
      name,
      Array.from({ length: partitions }, () => []),
    );
  }

  /** Appends a record; returns its offset. */
  produce(
    topic: string,
    partition: number,
    value: string | Uint8Array | null,
    timestamp = 0,
  ): bigint {
    const log = this.topics.get(topic)?.[partition];
    if (log === undefined) throw new Error(`no partition ${topic}/${partition}`);
    log.push({ value: typeof value === "string" ? Buffer.from(value) : value, timestamp });
    return BigInt(log.length - 1);
  }

  consumer(groupId: string): MemoryKafkaConsumer {
    return new MemoryKafkaConsumer(this, groupId);
  }

  group(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = { members: [], committed: new Map() };
      this.groups.set(groupId, group);
    }
    return group;
  }

  /** Reassigns the subscribed partitions round-robin over the members, in join order. */
  async rebalance(groupId: string): Promise<void> {
    const { members } = this.group(groupId);
    if (members.length === 0) return;
    const topics = [...new Set(members.flatMap((m) => m.subscribed))].sort();
    const all: KafkaTopicPartition[] = [];
    for (const topic of topics) {
      const count = this.topics.get(topic)?.length ?? 0;
      for (let partition = 0; partition < count; partition++) all.push({ topic, partition });
    }
    const plan = members.map(() => [] as KafkaTopicPartition[]);
    for (const [i, tp] of all.entries()) plan[i % members.length]!.push(tp);
    await Promise.all(members.map((m, i) => m.assign(plan[i]!)));
  }
}

/** One member of a group. */
export class MemoryKafkaConsumer implements KafkaConsumerPort {
  readonly #cluster: MemoryKafkaCluster;
  readonly #groupId: string;
  subscribed: readonly string[] = [];
  #listener: KafkaConsumerListener | null = null;
  #fallback: "earliest" | "latest" = "earliest";
  #start: ReadonlyMap<string, bigint> = new Map();
  #joins = 0;
  #assigned: KafkaTopicPartition[] = [];
  readonly #fetch = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  #rebalancing: Promise<void> = Promise.resolve();
  paused = false;
  closed = false;
  /** Records handed over per fetch at most. */
  fetchSize = 50;

  constructor(cluster: MemoryKafkaCluster, groupId: string) {
    this.#cluster = cluster;
    this.#groupId = groupId;
  }

  get assigned(): readonly KafkaTopicPartition[] {
    return this.#assigned;
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const topic of topics) {
      const partitions = this.#cluster.topics.get(topic);
      if (partitions === undefined) throw new Error(`topic ${topic} does not exist`);
      counts.set(topic, partitions.length);
    }
    return counts;
  }

  async committed(partitions: readonly KafkaTopicPartition[]): Promise<Map<string, bigint>> {
    const committed = this.#cluster.group(this.#groupId).committed;
    const found = new Map<string, bigint>();
    for (const tp of partitions) {
      const offset = committed.get(partitionKey(tp));
      if (offset !== undefined) found.set(partitionKey(tp), offset);
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
    this.subscribed = [...topics];
    this.#fallback = start.fallback;
    this.#start = start.offsets;
    this.#listener = listener;
    this.#cluster.group(this.#groupId).members.push(this);
    await this.#cluster.rebalance(this.#groupId);
    this.#timer = setInterval(() => this.#deliver(), 2);
  }

  /** Called by the cluster: the new assignment. */
  async assign(partitions: KafkaTopicPartition[]): Promise<void> {
    const keys = new Set(partitions.map(partitionKey));
    const revoked = this.#assigned.filter((tp) => !keys.has(partitionKey(tp)));
    const owned = new Set(this.#assigned.map(partitionKey));
    const fresh = partitions.filter((tp) => !owned.has(partitionKey(tp)));
    for (const tp of revoked) this.#fetch.delete(partitionKey(tp));
    this.#assigned = partitions;
    const first = this.#joins++ === 0;
    for (const tp of fresh) {
      const log = this.#cluster.topics.get(tp.topic)![tp.partition]!;
      const start = first ? this.#start.get(partitionKey(tp)) : undefined;
      this.#fetch.set(
        partitionKey(tp),
        start !== undefined ? Number(start) : this.#fallback === "earliest" ? 0 : log.length,
      );
    }
    this.#rebalancing = this.#listener!.rebalanced(partitions, revoked);
    await this.#rebalancing;
  }

  seek(tp: KafkaTopicPartition, offset: bigint): void {
    this.#fetch.set(partitionKey(tp), Number(offset));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  async commit(offsets: readonly KafkaPartitionOffset[]): Promise<void> {
    if (this.closed) throw new Error("commit after close");
    const group = this.#cluster.group(this.#groupId);
    for (const o of offsets) group.committed.set(partitionKey(o), o.offset);
    this.#cluster.commits.push({ group: this.#groupId, offsets: [...offsets] });
  }

  lag(): number {
    let lag = 0;
    for (const tp of this.#assigned) {
      const log = this.#cluster.topics.get(tp.topic)![tp.partition]!;
      lag += log.length - (this.#fetch.get(partitionKey(tp)) ?? 0);
    }
    return lag;
  }

  state(): { state: "connected" } {
    return { state: "connected" };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    const group = this.#cluster.group(this.#groupId);
    const at = group.members.indexOf(this);
    if (at !== -1) {
      group.members.splice(at, 1);
      await this.#cluster.rebalance(this.#groupId);
    }
  }

  #deliver(): void {
    if (this.paused || this.closed || this.#listener === null) return;
    void this.#rebalancing.then(() => {
      if (this.paused || this.closed) return;
      const records: KafkaRecord[] = [];
      for (const tp of this.#assigned) {
        const key = partitionKey(tp);
        const log = this.#cluster.topics.get(tp.topic)![tp.partition]!;
        let at = this.#fetch.get(key) ?? 0;
        const end = Math.min(log.length, at + this.fetchSize);
        for (; at < end; at++) {
          const r = log[at]!;
          records.push({
            ...tp,
            offset: BigInt(at),
            key: null,
            value: r.value,
            timestamp: r.timestamp,
          });
        }
        this.#fetch.set(key, at);
      }
      if (records.length > 0) this.#listener!.records(records);
    });
  }
}
