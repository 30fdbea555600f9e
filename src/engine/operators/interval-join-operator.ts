/**
 * Keyed interval join of two streams (Flink's interval join).
 *
 * Each key buffers the records of both inputs in arrays sorted by event time. An
 * arriving record is joined against the other input's buffer by binary search,
 * then buffered itself if a future record of the other input could still match
 * it. Each key has at most one pending timer: the earliest time at which the
 * watermark makes its oldest buffered record useless.
 */
import type { Batch } from "../batch.js";
import { SnapshotError } from "../errors.js";
import type { Key } from "../partition.js";
import { KeyTimers } from "../runtime/key-timers.js";
import { type KeyEntry, KeyedOperator } from "../runtime/keyed-operator.js";
import type { StepSnapshot } from "../runtime/operator.js";

/** Records of one input for one key, sorted by time (arrival order among equal times). */
interface Buffer {
  readonly times: number[];
  readonly values: unknown[];
}

interface JoinEntry extends KeyEntry {
  readonly left: Buffer;
  readonly right: Buffer;
  timer: number;
}

interface BufferSnapshot {
  readonly times: number[];
  readonly values: unknown[];
}

interface JoinEntrySnapshot {
  readonly left: BufferSnapshot;
  readonly right: BufferSnapshot;
}

const POS = Number.POSITIVE_INFINITY;

/** Inserts after any records with the same time, so equal times keep arrival order. */
function insert(buffer: Buffer, t: number, value: unknown): void {
  const times = buffer.times;
  let lo = 0;
  let hi = times.length;
  if (hi === 0 || times[hi - 1]! <= t) {
    times.push(t);
    buffer.values.push(value);
    return;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  times.splice(lo, 0, t);
  buffer.values.splice(lo, 0, value);
}

/** Removes the first `n` records. */
function dropFirst(buffer: Buffer, n: number): void {
  if (n === 0) return;
  if (n === buffer.times.length) {
    buffer.times.length = 0;
    buffer.values.length = 0;
  } else {
    buffer.times.splice(0, n);
    buffer.values.splice(0, n);
  }
}

function copyBuffer(b: Buffer): BufferSnapshot {
  return { times: b.times.slice(), values: b.values.slice() };
}

/**
 * Joins each left record at `tl` with every right record at `tr` of the same key
 * such that `tl + lower <= tr <= tl + upper` (bounds inclusive, either may be
 * negative). Each matching pair is emitted exactly once, as
 * `combine(left, right, key)` with event time `max(tl, tr)`, when the second of the
 * two arrives; pairs found by one record come in time order of the other input,
 * then arrival order. Input 0 is left (keyed by `leftKey`), input 1 is right
 * (keyed by `rightKey`).
 *
 * The watermark `W` (the minimum of both inputs) bounds the state: a left record is
 * kept while `tl + upper >= W` and a right record while `tr - lower >= W`, which
 * is exactly as long as a record at or after `W` could still match it; keys with
 * nothing buffered are deleted. A record that arrives at or after `W` is always
 * joined against the buffer, but not buffered when no future record could match
 * it.
 *
 * A record with event time `t < W` is late: partners it should have met may
 * already be gone, so joining it would silently give part of its pairs. As Flink
 * does, it is not joined nor buffered; unlike Flink, it is not dropped silently but
 * sent to the late output with reason `join-expired`. Records whose event time is
 * not a finite number go to the dead-letter output (`invalid-timestamp`); a key
 * function or `combine` that throws sends the record (for `combine`, the pair
 * `{ left, right }`) there with reason `step-error`.
 */
export class IntervalJoinOperator extends KeyedOperator<JoinEntry> {
  readonly #timers = new KeyTimers<JoinEntry>(this.entries);

  constructor(
    step: string,
    leftKey: (value: unknown) => Key,
    private readonly rightKey: (value: unknown) => Key,
    private readonly lower: number,
    private readonly upper: number,
    private readonly combine: (left: unknown, right: unknown, key: Key) => unknown,
  ) {
    super(step, "intervalJoin", 2, leftKey);
    if (!(lower <= upper)) {
      throw new RangeError(
        `step "${step}": interval join lower bound ${lower} exceeds upper bound ${upper}`,
      );
    }
  }

  protected createEntry(key: Key, partition: number): JoinEntry {
    return {
      changed: false,
      key,
      partition,
      left: { times: [], values: [] },
      right: { times: [], values: [] },
      timer: POS,
    };
  }

  protected processBatch(batch: Batch<unknown>, input: number): void {
    const { values, times } = batch;
    const n = values.length;
    const isLeft = input === 0;
    const keyOf = isLeft ? this.keyOf : this.rightKey;
    const lower = this.lower;
    const upper = this.upper;
    const watermark = this.watermark;
    for (let i = 0; i < n; i++) {
      const value = values[i];
      const t = times[i]!;
      if (!Number.isFinite(t)) {
        this.deadLetter("invalid-timestamp", `event time is ${t}`, value, t);
        continue;
      }
      if (t < watermark) {
        this.lateRecord(value, t, "join-expired");
        continue;
      }
      let key: Key;
      try {
        key = keyOf(value);
      } catch (error) {
        this.deadLetter("step-error", error, value, t);
        continue;
      }
      let e = this.entries.get(key);
      if (e !== undefined) {
        if (isLeft) this.#joinLeft(e, value, t);
        else this.#joinRight(e, value, t);
      }
      const expiry = isLeft ? t + upper : t - lower;
      if (expiry < watermark) continue;
      if (e === undefined) e = this.entry(key);
      insert(isLeft ? e.left : e.right, t, value);
      if (expiry < e.timer) this.#setTimer(e, expiry);
    }
  }

  /** Pairs a left record at `tl` with the buffered right records in `[tl + lower, tl + upper]`. */
  #joinLeft(e: JoinEntry, value: unknown, tl: number): void {
    const { times, values } = e.right;
    const from = tl + this.lower;
    const to = tl + this.upper;
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    for (let j = lo; j < times.length; j++) {
      const tr = times[j]!;
      if (tr > to) break;
      this.#emit(value, values[j], e.key, Math.max(tl, tr));
    }
  }

  /** Pairs a right record at `tr` with the buffered left records in `[tr - upper, tr - lower]`. */
  #joinRight(e: JoinEntry, value: unknown, tr: number): void {
    const { times, values } = e.left;
    const lower = this.lower;
    const upper = this.upper;
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid]! + upper < tr) lo = mid + 1;
      else hi = mid;
    }
    for (let j = lo; j < times.length; j++) {
      const tl = times[j]!;
      if (tl + lower > tr) break;
      this.#emit(values[j], value, e.key, Math.max(tl, tr));
    }
  }

  #emit(left: unknown, right: unknown, key: Key, time: number): void {
    let out: unknown;
    try {
      out = this.combine(left, right, key);
    } catch (error) {
      this.deadLetter("step-error", error, { left, right }, time);
      return;
    }
    this.collect(out, time);
  }

  #setTimer(e: JoinEntry, time: number): void {
    this.#timers.set(e, time);
  }

  /**
   * Evicts what the watermark made useless. Timers fire when `W >= expiry` but a
   * record goes only when `expiry < W`, so a key may be rescheduled at exactly `W`;
   * rescheduling after the due keys are taken keeps that timer for the next watermark.
   */
  protected override onWatermark(watermark: number): void {
    for (const e of this.#timers.takeDue(watermark)) this.#evict(e, watermark);
  }

  #evict(e: JoinEntry, watermark: number): void {
    const upper = this.upper;
    const lower = this.lower;
    const left = e.left.times;
    let n = 0;
    while (n < left.length && left[n]! + upper < watermark) n++;
    dropFirst(e.left, n);
    const right = e.right.times;
    n = 0;
    while (n < right.length && right[n]! - lower < watermark) n++;
    dropFirst(e.right, n);
    if (left.length === 0 && right.length === 0) {
      this.entries.delete(e.key);
      return;
    }
    this.#schedule(e);
  }

  #schedule(e: JoinEntry): void {
    let next = POS;
    const left = e.left.times;
    const right = e.right.times;
    if (left.length > 0) next = left[0]! + this.upper;
    if (right.length > 0 && right[0]! - this.lower < next) next = right[0]! - this.lower;
    this.#setTimer(e, next);
  }

  protected snapshotEntry(e: JoinEntry): JoinEntrySnapshot {
    return { left: copyBuffer(e.left), right: copyBuffer(e.right) };
  }

  protected restoreEntry(key: Key, partition: number, state: unknown): void {
    const s = state as Partial<JoinEntrySnapshot> | null;
    const old = this.entries.peek(key);
    if (old !== undefined) this.#setTimer(old, POS);
    const e = this.createEntry(key, partition);
    this.#restoreBuffer(e.left, s?.left, key);
    this.#restoreBuffer(e.right, s?.right, key);
    this.entries.restore(key, e);
  }

  #restoreBuffer(into: Buffer, from: BufferSnapshot | undefined, key: Key): void {
    if (
      !Array.isArray(from?.times) ||
      !Array.isArray(from.values) ||
      from.times.length !== from.values.length
    ) {
      throw new SnapshotError(`step "${this.step}": malformed join buffer of key ${key}`);
    }
    for (let i = 0; i < from.times.length; i++) {
      const t = from.times[i];
      if (typeof t !== "number") {
        throw new SnapshotError(`step "${this.step}": malformed join buffer of key ${key}`);
      }
      insert(into, t, from.values[i]);
    }
  }

  override restoreState(snapshot: StepSnapshot): void {
    super.restoreState(snapshot);
    for (const e of this.entries.values()) {
      if (e.left.times.length === 0 && e.right.times.length === 0) this.entries.delete(e.key);
      else this.#schedule(e);
    }
  }
}
