/**
 * The base of operators with keyed state. Every key's state lives in one entry
 * that knows its partition, so the state of a partition can be snapshotted and
 * restored on its own.
 */
import { type Key, partitionOf } from "../partition.js";
import { memoIndex, memoOf } from "../state/record-memo.js";
import { type KeyEntry, KeyedEntries } from "./keyed-entries.js";
import { type KeyDelta, Operator, type StepDelta, type StepSnapshot } from "./operator.js";

export type { KeyEntry } from "./keyed-entries.js";

/**
 * The `state` of a captured key's `KeyDelta`, whose state is in `json` only: not
 * `null` (which would be a tombstone), and holding nothing.
 */
export const CAPTURED = true;

/** One key's state in a snapshot. */
export interface KeySnapshot {
  readonly key: Key;
  readonly state: unknown;
}

export abstract class KeyedOperator<E extends KeyEntry> extends Operator {
  protected readonly entries = new KeyedEntries<E>();

  constructor(
    step: string,
    kind: string,
    inputs: number,
    protected readonly keyOf: (value: unknown) => Key,
  ) {
    super(step, kind, inputs);
  }

  /** The entry of `key`, created empty on first use. */
  protected entry(key: Key): E {
    let e = this.entries.get(key);
    if (e === undefined) {
      e = this.createEntry(key, partitionOf(key, this.context.partitions));
      this.entries.set(key, e);
    }
    return e;
  }

  /**
   * The entry of `key`, the key of `record`: `entry(key)`, without the lookup when the
   * previous record had the same key, or when the record carries a memo (see
   * `RECORD_MEMO`) in which an earlier record of its entity left the entry of that key.
   */
  protected entryFor(key: Key, record: unknown): E {
    // Records of one key often come in a row (the sensors of a machine, read together).
    const last = this.#last;
    if (last !== null && last.key === key && last.detached !== true) {
      this.entries.touch(last);
      return last;
    }
    const e = this.#memoEntry(key, record);
    this.#last = e;
    return e;
  }

  #memoEntry(key: Key, record: unknown): E {
    const memo = memoOf(record);
    if (memo === undefined) return this.entry(key);
    const i = memoIndex(memo, this, this.#memoHint);
    if (i >= 0) {
      this.#memoHint = i;
      const known = memo[i] as E;
      if (known.key === key && known.detached !== true) {
        this.entries.touch(known);
        return known;
      }
      const e = this.entry(key);
      memo[i] = e;
      return e;
    }
    const e = this.entry(key);
    memo.push(this, e);
    this.#memoHint = memo.length - 1;
    return e;
  }

  /** The entry `entryFor` returned last. */
  #last: E | null = null;
  /** Where this step's entry was in the last record memo it used (see `memoIndex`). */
  #memoHint = 1;

  protected abstract createEntry(key: Key, partition: number): E;
  protected abstract snapshotEntry(entry: E): unknown;
  /** Rebuilds an entry (and its timers) from `snapshotEntry`'s output. */
  protected abstract restoreEntry(key: Key, partition: number, state: unknown): void;

  /**
   * The keys changed since the previous delta, captured copy-on-write: the call
   * only lists them (and tombstones the deleted ones); each key's state is
   * serialised by `complete` or just before the key changes again.
   */
  override snapshotDelta(): StepDelta {
    const { changed, deleted } = this.entries.takeChanges();
    const keys: KeyDelta[] = [];
    for (const key of deleted) {
      keys.push({ partition: partitionOf(key, this.context.partitions), key, state: null });
    }
    this.entries.beginCapture(changed, (e) => {
      // Only the JSON is kept: a copy waits in `keys` until the job hands it to the
      // store, and when a push changes many keys at once (a slide of windows closing)
      // the state objects as well would take as much memory again.
      keys.push({
        partition: e.partition,
        key: e.key,
        state: CAPTURED,
        json: JSON.stringify(this.snapshotEntry(e)),
      });
    });
    return {
      keys,
      shared: this.snapshotShared(),
      complete: (limit) => this.entries.captureSome(limit),
    };
  }

  override snapshotState(): StepSnapshot {
    const partitions = new Map<number, KeySnapshot[]>();
    for (const e of this.entries.values()) {
      let list = partitions.get(e.partition);
      if (!list) {
        list = [];
        partitions.set(e.partition, list);
      }
      list.push({ key: e.key, state: this.snapshotEntry(e) });
    }
    return { partitions, shared: this.snapshotShared() };
  }

  override restoreState(snapshot: StepSnapshot): void {
    for (const [partition, list] of snapshot.partitions) {
      for (const { key, state } of list as KeySnapshot[]) this.restoreEntry(key, partition, state);
    }
    if (snapshot.shared !== undefined) this.restoreShared(snapshot.shared);
  }

  /** State that belongs to no key; by default the step's watermark. */
  protected snapshotShared(): unknown {
    return { watermark: Number.isFinite(this.watermark) ? this.watermark : null };
  }

  protected restoreShared(shared: unknown): void {
    const w = (shared as { watermark?: number | null }).watermark;
    if (typeof w === "number") {
      this.watermark = w;
      this.inputWatermarks.fill(w);
    }
  }

  override stateSize(): number {
    return this.entries.size;
  }
}
