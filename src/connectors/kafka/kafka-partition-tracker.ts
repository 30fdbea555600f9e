/**
 * The Kafka source's bookkeeping, free of I/O: how Kafka partitions map onto the
 * engine's fixed source partitions, which partitions this member owns, where each
 * starts after an assignment, which fetched records are still wanted, the positions
 * a checkpoint stores and the offsets committed to the group.
 */
import {
  type KafkaPartitionOffset,
  type KafkaRecord,
  type KafkaTopicPartition,
  partitionKey,
} from "./kafka-consumer-port.js";

/**
 * Engine partition ↔ Kafka partition: the topics' partitions one after another, in
 * the order the topics are listed (topic A with 3 partitions, then B with 2: engine
 * partitions 0–2 are A/0–2, 3–4 are B/0–1).
 */
export class KafkaPartitionMap {
  readonly size: number;
  readonly #first = new Map<string, number>();
  readonly #all: KafkaTopicPartition[] = [];

  constructor(topics: readonly string[], counts: ReadonlyMap<string, number>) {
    for (const topic of topics) {
      const count = counts.get(topic);
      if (count === undefined || count < 1)
        throw new RangeError(`no partition count for topic ${topic}`);
      this.#first.set(topic, this.#all.length);
      for (let p = 0; p < count; p++) this.#all.push({ topic, partition: p });
    }
    this.size = this.#all.length;
  }

  /** The engine partition of `tp`, or undefined for a partition outside the map. */
  index(tp: KafkaTopicPartition): number | undefined {
    const first = this.#first.get(tp.topic);
    if (first === undefined) return undefined;
    const index = first + tp.partition;
    const at = this.#all[index];
    return at !== undefined && at.topic === tp.topic ? index : undefined;
  }

  /** The Kafka partition of engine partition `index`. */
  topicPartition(index: number): KafkaTopicPartition {
    const tp = this.#all[index];
    if (tp === undefined)
      throw new RangeError(`engine partition ${index} is outside 0…${this.size - 1}`);
    return tp;
  }
}

/** Reads a checkpointed position: the next offset as a decimal string. */
export function parseKafkaPosition(value: unknown): bigint | null {
  return typeof value === "string" && /^\d+$/.test(value) ? BigInt(value) : null;
}

/** What to do after a rebalance. */
export interface RebalancePlan {
  /** Where newly assigned partitions start (partitions absent here start at the fallback). */
  readonly seeks: readonly KafkaPartitionOffset[];
  /** Offsets to commit for revoked partitions: what the last committed checkpoint covers. */
  readonly commits: readonly KafkaPartitionOffset[];
  /** Engine partitions revoked: records of them not yet returned are dropped. */
  readonly revoked: readonly number[];
}

/**
 * Ownership and offsets per engine partition.
 *
 * - **Where an assigned partition starts.** At the first assignment after `open`,
 *   from the position being restored (the job's own checkpoint), else the group's
 *   committed offset, else the fallback. At later assignments (the partition came
 *   back from another member), from the group's committed offset first: the other
 *   member committed what its checkpoints covered.
 * - **Positions** are the next offset to read (decimal strings) of owned partitions
 *   that have one; revoked partitions are left out, so a restart resumes them from
 *   the group's committed offset.
 * - **Commits**: `acknowledge` commits the positions of owned partitions; a revoke
 *   commits again the last acknowledged offset of each revoked partition.
 */
export class KafkaPartitionTracker {
  readonly map: KafkaPartitionMap;
  readonly #resume = new Map<number, bigint>();
  readonly #owned = new Set<number>();
  /** Next offset after the last record returned by `poll`. */
  readonly #position = new Map<number, bigint>();
  /** Next offset expected from the fetcher (older records are stale). */
  readonly #expected = new Map<number, bigint>();
  readonly #acknowledged = new Map<number, bigint>();
  #assignments = 0;

  constructor(map: KafkaPartitionMap, resumeFrom?: ReadonlyMap<number, unknown>) {
    this.map = map;
    for (const [index, value] of resumeFrom ?? []) {
      if (!Number.isInteger(index) || index < 0 || index >= map.size) {
        throw new RangeError(
          `the checkpoint has a position for partition ${index}, but the topics have ${map.size} partitions`,
        );
      }
      const offset = parseKafkaPosition(value);
      if (offset === null) {
        throw new RangeError(
          `invalid position ${JSON.stringify(value)} for partition ${index}: expected an offset as a decimal string`,
        );
      }
      this.#resume.set(index, offset);
    }
  }

  /** Applies a new assignment; `committed` holds the group's offsets of the newly assigned partitions. */
  rebalance(
    assigned: readonly KafkaTopicPartition[],
    revoked: readonly KafkaTopicPartition[],
    committed: ReadonlyMap<string, bigint>,
  ): RebalancePlan {
    const first = this.#assignments++ === 0;
    const commits: KafkaPartitionOffset[] = [];
    const revokedIndexes: number[] = [];
    for (const tp of revoked) {
      const index = this.map.index(tp);
      if (index === undefined || !this.#owned.delete(index)) continue;
      revokedIndexes.push(index);
      const acked = this.#acknowledged.get(index);
      if (acked !== undefined) commits.push({ ...tp, offset: acked });
      this.#position.delete(index);
      this.#expected.delete(index);
    }
    const seeks: KafkaPartitionOffset[] = [];
    for (const tp of assigned) {
      const index = this.map.index(tp);
      if (index === undefined || this.#owned.has(index)) continue;
      this.#owned.add(index);
      const group = committed.get(partitionKey(tp));
      const resume = this.#resume.get(index);
      const start = first ? (resume ?? group) : (group ?? resume);
      if (start === undefined) continue;
      seeks.push({ ...tp, offset: start });
      this.#position.set(index, start);
      this.#expected.set(index, start);
    }
    return { seeks, commits, revoked: revokedIndexes };
  }

  /** True when `index` is owned now. */
  owns(index: number): boolean {
    return this.#owned.has(index);
  }

  /**
   * The engine partition of a fetched record, or `null` when it is unwanted: its
   * partition is not owned, or it lies before where the partition (re)started.
   */
  accept(record: KafkaRecord): number | null {
    const index = this.map.index(record);
    if (index === undefined || !this.#owned.has(index)) return null;
    const expected = this.#expected.get(index);
    if (expected !== undefined && record.offset < expected) return null;
    this.#expected.set(index, record.offset + 1n);
    return index;
  }

  /** `poll` returned records of `index` up to `lastOffset`. */
  returned(index: number, lastOffset: bigint): void {
    this.#position.set(index, lastOffset + 1n);
  }

  /** Positions of owned partitions that have one. */
  positions(): Map<number, unknown> {
    const positions = new Map<number, unknown>();
    for (const index of [...this.#owned].sort((a, b) => a - b)) {
      const position = this.#position.get(index);
      if (position !== undefined) positions.set(index, position.toString());
    }
    return positions;
  }

  /** A checkpoint holding `positions` committed: the offsets to commit to the group. */
  acknowledge(positions: ReadonlyMap<number, unknown>): KafkaPartitionOffset[] {
    const commits: KafkaPartitionOffset[] = [];
    for (const [index, value] of positions) {
      const offset = parseKafkaPosition(value);
      if (offset === null || !this.#owned.has(index)) continue;
      this.#acknowledged.set(index, offset);
      commits.push({ ...this.map.topicPartition(index), offset });
    }
    return commits;
  }
}
