/**
 * The bucket store of a DDSketch: counts per integer bucket index, held densely over
 * the range of non-empty buckets. The range is capped at `maxBuckets` buckets; when a
 * new index would exceed it, the lowest buckets are collapsed into the lowest bucket
 * kept. The final state depends only on the multiset of indices added, not on their
 * order or on how stores were merged, so merging panes is exact.
 */
import { malformedSnapshot, readArray, readCount, readObject } from "./read-snapshot.js";

const EMPTY = new Float64Array(0);
const INITIAL_CAPACITY = 32;

/** A JSON form of a {@link BucketStore}: the counts of buckets `offset`, `offset + 1`, … */
export interface BucketStoreSnapshot {
  offset: number;
  counts: number[];
}

/** Bucket counts over a contiguous range of at most `maxBuckets` indices. */
export class BucketStore {
  /** `counts[i]` is the count of bucket `base + i`; only `[minIndex, maxIndex]` may be non-zero. */
  private counts: Float64Array = EMPTY;
  private base = 0;
  /** Lowest non-empty bucket (meaningless while `total` is 0). */
  minIndex = 0;
  /** Highest non-empty bucket (meaningless while `total` is 0). */
  maxIndex = 0;
  /** Sum of all counts. */
  total = 0;

  constructor(readonly maxBuckets: number) {}

  /** Adds one to bucket `index` (collapsing if the range would exceed `maxBuckets`). */
  add(index: number): void {
    if (this.total === 0) {
      this.ensureRange(index, index);
      this.minIndex = index;
      this.maxIndex = index;
    } else if (index < this.minIndex) {
      const lowest = this.maxIndex - this.maxBuckets + 1;
      if (index < lowest) index = lowest;
      if (index < this.minIndex) {
        this.ensureRange(index, this.maxIndex);
        this.minIndex = index;
      }
    } else if (index > this.maxIndex) {
      this.raiseMax(index);
    }
    this.counts[index - this.base]! += 1;
    this.total += 1;
  }

  /** Adds every count of `other` to this store; `other` is not changed. */
  mergeFrom(other: BucketStore): void {
    if (other.total === 0) return;
    if (this.total === 0) {
      this.ensureRange(other.minIndex, other.maxIndex);
      this.minIndex = other.minIndex;
      this.maxIndex = other.maxIndex;
    } else if (other.maxIndex > this.maxIndex) {
      this.raiseMax(other.maxIndex);
    }
    const lowest = this.maxIndex - this.maxBuckets + 1;
    const low = Math.max(other.minIndex, lowest);
    if (low < this.minIndex) {
      this.ensureRange(low, this.maxIndex);
      this.minIndex = low;
    }
    const counts = this.counts;
    const base = this.base;
    for (let i = other.minIndex; i <= other.maxIndex; i++) {
      const count = other.counts[i - other.base]!;
      if (count !== 0) counts[Math.max(i, lowest) - base]! += count;
    }
    this.total += other.total;
  }

  /**
   * The index of the bucket holding the value of 0-based `rank` among the values in
   * ascending index order (`descending` false) or descending order (`descending` true).
   * `rank` must be below `total`.
   */
  indexAtRank(rank: number, descending: boolean): number {
    const counts = this.counts;
    const base = this.base;
    let seen = 0;
    if (descending) {
      for (let i = this.maxIndex; i > this.minIndex; i--) {
        seen += counts[i - base]!;
        if (seen > rank) return i;
      }
      return this.minIndex;
    }
    for (let i = this.minIndex; i < this.maxIndex; i++) {
      seen += counts[i - base]!;
      if (seen > rank) return i;
    }
    return this.maxIndex;
  }

  /** The counts as JSON, or `null` when empty. */
  snapshot(): BucketStoreSnapshot | null {
    if (this.total === 0) return null;
    const from = this.minIndex - this.base;
    return {
      offset: this.minIndex,
      counts: Array.from(this.counts.subarray(from, from + this.maxIndex - this.minIndex + 1)),
    };
  }

  /**
   * Replaces the contents with a {@link BucketStoreSnapshot} (or `null` for empty) read
   * from `field` of a snapshot of `aggregator`. Leading and trailing zero counts are
   * allowed.
   *
   * @throws SnapshotError if the counts are not non-negative integers, span more than
   * `maxBuckets` buckets between the first and last non-zero count, or total beyond 2^53.
   */
  restore(snapshot: unknown, aggregator: string, field: string): void {
    this.counts = EMPTY;
    this.base = 0;
    this.total = 0;
    if (snapshot === null) return;
    const s = readObject(snapshot, aggregator);
    const offset = s.offset;
    if (typeof offset !== "number" || !Number.isSafeInteger(offset)) {
      throw malformedSnapshot(aggregator, `${field}.offset must be an integer`);
    }
    const counts = readArray(s.counts, aggregator, `${field}.counts`);
    let first = -1;
    let last = -1;
    let total = 0;
    for (let i = 0; i < counts.length; i++) {
      const count = readCount(counts[i], aggregator, `${field}.counts[${i}]`);
      if (count > 0) {
        if (first < 0) first = i;
        last = i;
        total += count;
      }
    }
    if (!Number.isSafeInteger(total)) {
      throw malformedSnapshot(aggregator, `${field} total count exceeds 2^53`);
    }
    if (first < 0) return;
    if (last - first + 1 > this.maxBuckets) {
      throw malformedSnapshot(
        aggregator,
        `${field} spans ${last - first + 1} buckets, above the maximum of ${this.maxBuckets}`,
      );
    }
    this.ensureRange(offset + first, offset + last);
    for (let i = first; i <= last; i++) this.counts[offset + i - this.base] = counts[i] as number;
    this.minIndex = offset + first;
    this.maxIndex = offset + last;
    this.total = total;
  }

  /** Makes `index` the highest bucket, collapsing buckets that fall out of range. */
  private raiseMax(index: number): void {
    const lowest = index - this.maxBuckets + 1;
    if (lowest > this.minIndex) {
      let moved = 0;
      const top = Math.min(this.maxIndex, lowest - 1);
      for (let i = this.minIndex; i <= top; i++) {
        moved += this.counts[i - this.base]!;
        this.counts[i - this.base] = 0;
      }
      this.minIndex = lowest;
      this.ensureRange(lowest, index);
      this.counts[lowest - this.base]! += moved;
    } else {
      this.ensureRange(this.minIndex, index);
    }
    this.maxIndex = index;
  }

  /**
   * Makes the array cover `[low, high]`, keeping the counts of the current non-empty
   * range that fall inside it. Grows to twice the span needed and centres the range,
   * so a drifting range reallocates only occasionally.
   */
  private ensureRange(low: number, high: number): void {
    const old = this.counts;
    const oldBase = this.base;
    if (low >= oldBase && high < oldBase + old.length) return;
    const span = high - low + 1;
    const capacity = Math.max(INITIAL_CAPACITY, old.length, 2 * span);
    const base = low - ((capacity - span) >> 1);
    const counts = new Float64Array(capacity);
    if (this.total > 0) {
      const from = Math.max(this.minIndex, low);
      const to = Math.min(this.maxIndex, high);
      for (let i = from; i <= to; i++) counts[i - base] = old[i - oldBase]!;
    }
    this.counts = counts;
    this.base = base;
  }
}
