/**
 * Keyed tumbling and sliding window aggregation over panes.
 *
 * Time is cut into panes of gcd(size, slide) ms. A record is added to exactly one
 * pane accumulator of its key, whatever size/slide is; a window's result is the
 * merge of its panes, computed once when the window fires. Each key has at most
 * one pending timer: the next window end (or pane clean-up time) that concerns it.
 * A key's panes are one sorted array of numbers (each pane's start and its packed
 * accumulator, see `PackedAccumulator`) and, for aggregators that keep more than
 * numbers, one array of refs; the pane of the previous record is remembered, so the
 * common case touches no hash table beyond the key's. A pane's accumulator is not an
 * object of its own: with many keys, the panes are most of the step's memory.
 *
 * A watermark that closes windows of many keys (every key of a slide at once) fires
 * them in slices of `FIRE_SLICE` keys, in timer order: the push that brings the
 * watermark fires the first slice, the runtime calls `continueWork` for the next ones
 * between pushes, and the step's output watermark waits until the last slice, so
 * nothing downstream sees a result as late. A record for a key still waiting to fire
 * fires that key first (its windows exactly as they were when the watermark closed
 * them), and records are judged late against the watermark received, so the results
 * are those of firing everything at once; only the order of results of different keys
 * differs. A checkpoint taken between two slices records the watermark received and
 * the one emitted, and a restored step fires the rest. The end of input (+∞) fires
 * everything at once.
 */

import type { AnyAggregator, PackedAccumulator } from "../aggregate/aggregator.js";
import { newDoubles, packedOf, spliceDoubles, spliceValues } from "../aggregate/packed.js";
import { type Batch, MIXED_CHANNEL } from "../batch.js";
import type { Key } from "../partition.js";
import { KeyTimers } from "../runtime/key-timers.js";
import { type KeyEntry, KeyedOperator } from "../runtime/keyed-operator.js";
import type { StepSnapshot } from "../runtime/operator.js";
import { type WindowEmission, type WindowOptions, windowId } from "../window/window-result.js";
import type { SlidingWindows, TumblingWindows } from "../window/window-spec.js";

interface PaneEntry extends KeyEntry {
  /**
   * The key's panes, by ascending start: each pane's start, then the numbers of its
   * accumulator (packed, see `PackedAccumulator`). Exactly as long as the panes need:
   * a key holds only a handful, and every key of a step holds them.
   */
  nums: number[];
  /** Each pane's accumulator refs, side by side; `NO_REFS` when the aggregator keeps none. */
  refs: unknown[];
  /** Index of the pane the key's previous record went to, −1 for none. */
  last: number;
  firedUpTo: number;
  timer: number;
  /**
   * The time of the timer a firing in progress took from this key and has not woken
   * yet (see `FIRE_SLICE`); +∞ for none.
   */
  due: number;
  dirty: boolean;
  /** What allowed lateness needs to remember; `null` until the key needs it. */
  late: LateWindows | null;
}

interface LateWindows {
  /** Ends of the first and last window to re-emit after the batch (+∞, −∞: none). */
  lo: number;
  hi: number;
  /**
   * Ends of windows already emitted that are still within the allowed lateness;
   * `null` without allowed lateness (or before the first such window).
   */
  emitted: Set<number> | null;
}

interface PaneEntrySnapshot {
  readonly panes: [number, unknown][];
  readonly firedUpTo: number | null;
  readonly emitted: number[];
}

/**
 * Keys woken per slice when a watermark closes the windows of many keys: the push
 * that brings the watermark, and then each `continueWork`, fires at most this many.
 */
export const FIRE_SLICE = 500;

const NEG = Number.NEGATIVE_INFINITY;
const POS = Number.POSITIVE_INFINITY;
/** The refs of every key of an aggregator without refs: never written. */
const NO_REFS: unknown[] = [];

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class SlidingWindowOperator extends KeyedOperator<PaneEntry> {
  readonly #size: number;
  readonly #slide: number;
  readonly #offset: number;
  readonly #pane: number;
  readonly #lateness: number;
  readonly #earlyEvery: number;
  readonly #packed: PackedAccumulator<unknown, unknown>;
  /** Numbers per pane in `nums`: its start, then its accumulator's. */
  readonly #stride: number;
  /** Refs per pane in `refs`. */
  readonly #refs: number;
  /** The accumulator a window's panes are merged into when it fires. */
  readonly #scratchNums: number[];
  readonly #scratchRefs: unknown[];
  readonly #timers = new KeyTimers<PaneEntry>(this.entries);
  readonly #pendingUpdates = new Set<Key>();
  readonly #dirty = new Set<Key>();
  #nextEarly = NEG;
  /**
   * The watermark received: records are judged late against it. The output watermark
   * (`watermark`) is behind it while a firing is in progress.
   */
  #input = NEG;
  /** The watermark a firing in progress fires up to; −∞ when none is. */
  #firingTo = NEG;
  /** Keys the firing in progress took from the timers, in timer order, and the next to wake. */
  #firing: PaneEntry[] = [];
  #firingAt = 0;

  constructor(
    step: string,
    keyOf: (value: unknown) => Key,
    spec: TumblingWindows | SlidingWindows,
    aggregator: AnyAggregator<unknown>,
    options: WindowOptions,
  ) {
    super(step, spec.kind === "tumbling" ? "tumblingWindow" : "slidingWindow", 1, keyOf);
    this.#size = spec.size;
    this.#slide = spec.kind === "tumbling" ? spec.size : spec.slide;
    this.#offset = spec.offset;
    this.#pane = gcd(this.#size, this.#slide);
    this.#lateness = options.allowedLateness ?? 0;
    this.#earlyEvery = options.earlyUpdates ?? 0;
    const packed = packedOf(aggregator);
    this.#packed = packed;
    this.#stride = 1 + packed.numbers;
    this.#refs = packed.refs;
    this.#scratchNums = newDoubles(packed.numbers);
    this.#scratchRefs = new Array<unknown>(packed.refs).fill(null);
  }

  /** The start of the window-aligned slot of length `unit` holding `t`. */
  #floor(t: number, unit: number): number {
    return Math.floor((t - this.#offset) / unit) * unit + this.#offset;
  }

  /** The smallest window end strictly greater than `t`. */
  #endAfter(t: number): number {
    return this.#floor(t - this.#size, this.#slide) + this.#slide + this.#size;
  }

  /** The end of the last window that contains the pane starting at `paneStart`. */
  #lastEnd(paneStart: number): number {
    return this.#floor(paneStart, this.#slide) + this.#size;
  }

  protected createEntry(key: Key, partition: number): PaneEntry {
    return {
      changed: false,
      // In the literal, so that setting it for a checkpoint changes no entry's shape.
      pending: false,
      detached: false,
      key,
      // An int: a number computed as a double would be stored boxed, in every entry.
      partition: partition | 0,
      nums: newDoubles(0),
      refs: NO_REFS,
      last: -1,
      firedUpTo: NEG,
      timer: POS,
      due: POS,
      dirty: false,
      late: null,
    };
  }

  protected processBatch(batch: Batch<unknown>): void {
    const { values, times } = batch;
    const n = values.length;
    const packed = this.#packed;
    const stride = this.#stride;
    const refs = this.#refs;
    const keyOf = this.keyOf;
    const pane = this.#pane;
    const lateness = this.#lateness;
    const early = this.#earlyEvery > 0;
    for (let i = 0; i < n; i++) {
      const value = values[i];
      const t = times[i]!;
      const ps = this.#floor(t, pane);
      const watermark = this.#input;
      // Only a record whose pane starts before the watermark can touch a window that has ended.
      const behind = ps < watermark;
      const lastEnd = behind ? this.#lastEnd(ps) : POS;
      if (behind && lastEnd + lateness <= watermark) {
        this.lateRecord(value, t, "window-closed");
        continue;
      }
      let key: Key;
      try {
        key = keyOf(value);
      } catch (error) {
        this.deadLetter("step-error", error, value, t);
        continue;
      }
      let e = this.entryFor(key, value);
      if (e.due !== POS || e.timer <= this.#firingTo) {
        // The key waits for a firing in progress: its windows fire before the record changes them.
        this.#fireKey(e);
        if (e.detached === true) e = this.entryFor(key, value);
      }
      let p = e.last;
      if (p < 0 || e.nums[p * stride] !== ps) {
        p = this.#paneIndex(e, ps);
        e.last = p;
        const next = this.#endAfter(behind ? watermark : ps);
        if (next <= lastEnd && next < e.timer) this.#setTimer(e, next);
      }
      packed.add(e.nums, p * stride + 1, e.refs, p * refs, value, t);
      if (behind) this.#touchEnded(e, ps, lastEnd, watermark);
      if (early && !e.dirty) {
        e.dirty = true;
        this.#dirty.add(key);
      }
    }
    if (this.#pendingUpdates.size > 0) this.#emitLateUpdates();
  }

  /**
   * A record went to pane `ps` that starts before the watermark: windows past their
   * end but within the allowed lateness are re-emitted after the batch; windows past
   * the lateness too are closed and left alone.
   */
  #touchEnded(e: PaneEntry, ps: number, lastEnd: number, watermark: number): void {
    const firstEnd = this.#endAfter(ps);
    if (firstEnd > watermark) return;
    const lateness = this.#lateness;
    const stillOpen = this.#endAfter(watermark - lateness);
    // Windows that closed before this record arrived are done for this key.
    if (stillOpen - this.#slide > e.firedUpTo) e.firedUpTo = stillOpen - this.#slide;
    const lo = Math.max(firstEnd, stillOpen);
    const lastDue = this.#endAfter(watermark) - this.#slide;
    const hi = Math.min(lastEnd, lastDue);
    if (lo > hi) return;
    const late = this.#late(e);
    if (lo < late.lo) late.lo = lo;
    if (hi > late.hi) late.hi = hi;
    this.#pendingUpdates.add(e.key);
    if (lastEnd + lateness < e.timer) this.#setTimer(e, lastEnd + lateness);
  }

  #late(e: PaneEntry): LateWindows {
    e.late ??= { lo: POS, hi: NEG, emitted: null };
    return e.late;
  }

  /** Index of the pane starting at `ps`, inserted (empty) in order when missing. */
  #paneIndex(e: PaneEntry, ps: number): number {
    const stride = this.#stride;
    const refs = this.#refs;
    const nums = e.nums;
    let i = nums.length / stride;
    while (i > 0 && nums[(i - 1) * stride]! > ps) i--;
    if (i > 0 && nums[(i - 1) * stride] === ps) return i - 1;
    // A new pane is rare (once per pane length per key): the arrays are copied, so
    // that they stay exactly as long as their panes.
    const grown = spliceDoubles(nums, i * stride, 0, stride);
    grown[i * stride] = ps;
    e.nums = grown;
    if (refs > 0) e.refs = spliceValues(e.refs, i * refs, 0, refs);
    this.#packed.init(grown, i * stride + 1, e.refs, i * refs);
    return i;
  }

  #setTimer(e: PaneEntry, time: number): void {
    this.#timers.set(e, time);
  }

  #emitLateUpdates(): void {
    for (const key of this.#pendingUpdates) {
      const e = this.entries.get(key);
      const late = e?.late;
      if (!e || !late) continue;
      for (let end = late.lo; end <= late.hi; end += this.#slide) {
        this.#emitWindow(e, end, late.emitted?.has(end) ? "update" : "final");
      }
      if (late.hi > e.firedUpTo) e.firedUpTo = late.hi;
      late.lo = POS;
      late.hi = NEG;
    }
    this.#pendingUpdates.clear();
  }

  /**
   * Emits the window ending at `end` if any of its panes holds data, merging its
   * panes from index `from` on (the caller may know where they begin).
   */
  #emitWindow(e: PaneEntry, end: number, kind: WindowEmission, from = 0): void {
    const start = end - this.#size;
    const packed = this.#packed;
    const stride = this.#stride;
    const refs = this.#refs;
    const { nums } = e;
    const count = nums.length / stride;
    let i = from;
    while (i < count && nums[i * stride]! < start) i++;
    if (i >= count || nums[i * stride]! >= end) return;
    const acc = this.#scratchNums;
    const accRefs = this.#scratchRefs;
    packed.init(acc, 0, accRefs, 0);
    for (; i < count && nums[i * stride]! < end; i++) {
      packed.merge(acc, 0, accRefs, 0, nums, i * stride + 1, e.refs, i * refs);
    }
    if (this.#lateness > 0) {
      const late = this.#late(e);
      late.emitted ??= new Set();
      late.emitted.add(end);
    }
    const value = packed.result(acc, 0, accRefs, 0);
    // Hold on to nothing of the merged window.
    if (refs > 0) accRefs.fill(null);
    this.collect(
      { id: windowId(this.step, e.key, start), key: e.key, start, end, value, kind },
      end - 1,
    );
  }

  /**
   * Fires the keys whose windows `time` closes (the first `FIRE_SLICE` of them unless
   * `time` is the end of input) and forwards the watermark once all have fired.
   */
  protected override advanceWatermark(time: number): void {
    this.#input = time;
    this.#fireSome(time, time === POS ? POS : FIRE_SLICE);
    if (this.#firingTo === NEG) super.advanceWatermark(time);
    else this.flush(MIXED_CHANNEL);
  }

  override hasPendingWork(): boolean {
    return this.#firingTo !== NEG;
  }

  override continueWork(): void {
    if (this.#firingTo === NEG) return;
    this.#fireSome(this.#firingTo, FIRE_SLICE);
    if (this.#firingTo === NEG) super.advanceWatermark(this.#input);
    else this.flush(MIXED_CHANNEL);
  }

  /**
   * Wakes up to `budget` keys whose timers are at or before `limit`, in timer order;
   * `#firingTo` is −∞ afterwards when none is left.
   */
  #fireSome(limit: number, budget: number): void {
    this.#firingTo = limit;
    let woken = 0;
    for (;;) {
      const firing = this.#firing;
      while (this.#firingAt < firing.length) {
        if (woken >= budget) return;
        const e = firing[this.#firingAt++]!;
        // Fired already (a record came for it), or gone.
        if (e.due === POS || e.detached === true) continue;
        this.entries.touch(e);
        this.#fireKey(e);
        woken++;
      }
      // Timers are taken without marking their keys changed: a key is marked (and
      // copied first, if a checkpoint waits for it) when its slice wakes it.
      const next: PaneEntry[] = [];
      this.#timers.takeDueQuietly(limit, (e, time) => {
        e.due = time;
        next.push(e);
      });
      this.#firing = next;
      this.#firingAt = 0;
      if (next.length === 0) {
        this.#firingTo = NEG;
        return;
      }
    }
  }

  /**
   * Wakes `e` (touched already) for the timer the firing took from it and for every
   * timer of it at or before the firing's watermark, as firing everything at once would.
   */
  #fireKey(e: PaneEntry): void {
    if (e.due !== POS) {
      const time = e.due;
      e.due = POS;
      this.#wake(e, time);
    }
    while (e.detached !== true && e.timer <= this.#firingTo) {
      const time = e.timer;
      this.#setTimer(e, POS);
      this.#wake(e, time);
    }
  }

  /**
   * Fires the windows of `e` that end at or before `time` (its timer), evicts panes
   * past their lateness, and schedules the next wake-up. Waking per timer rather
   * than per watermark keeps results in window-end order across keys.
   */
  #wake(e: PaneEntry, time: number): void {
    const stride = this.#stride;
    const nums = e.nums;
    const count = nums.length / stride;
    const size = this.#size;
    let end = this.#endAfter(Math.max(e.firedUpTo, nums[0]!));
    let i = 0;
    while (end <= time) {
      while (i < count && nums[i * stride]! < end - size) i++;
      if (i >= count) break;
      if (nums[i * stride]! >= end) {
        end = this.#endAfter(nums[i * stride]!);
        continue;
      }
      this.#emitWindow(e, end, "final", i);
      end += this.#slide;
    }
    if (time > e.firedUpTo) e.firedUpTo = time;
    let evict = 0;
    while (evict < count && this.#lastEnd(nums[evict * stride]!) + this.#lateness <= time) {
      evict++;
    }
    if (evict === count) {
      this.entries.delete(e.key);
      this.#dirty.delete(e.key);
      return;
    }
    if (evict > 0) {
      e.nums = nums.slice(evict * stride);
      if (this.#refs > 0) e.refs = e.refs.slice(evict * this.#refs);
      e.last = -1;
    }
    const emitted = e.late?.emitted;
    if (this.#lateness > 0 && emitted) {
      for (const done of emitted) if (done + this.#lateness <= time) emitted.delete(done);
    }
    this.#schedule(e, time);
  }

  /**
   * Sets `e`'s timer to its next window end after `after`, or, with allowed
   * lateness, the clean-up time of its oldest pane if that comes first. Panes are
   * sorted, so the first pane with a window ending after `after` decides.
   */
  #schedule(e: PaneEntry, after: number): void {
    const stride = this.#stride;
    const nums = e.nums;
    let next = POS;
    for (let i = 0; i < nums.length; i += stride) {
      const ps = nums[i]!;
      const last = this.#lastEnd(ps);
      if (last <= after) continue;
      next = this.#endAfter(Math.max(ps, after));
      break;
    }
    if (this.#lateness > 0 && nums.length > 0) {
      next = Math.min(next, this.#lastEnd(nums[0]!) + this.#lateness);
    }
    this.#setTimer(e, next);
  }

  protected override onProcessingTime(now: number): void {
    if (this.#earlyEvery <= 0 || now < this.#nextEarly) return;
    this.#nextEarly = now + this.#earlyEvery;
    const watermark = this.#input;
    const stride = this.#stride;
    for (const key of this.#dirty) {
      const e = this.entries.get(key);
      if (!e) continue;
      e.dirty = false;
      const { nums } = e;
      if (nums.length === 0) continue;
      const lastEnd = this.#lastEnd(nums[nums.length - stride]!);
      for (
        let end = this.#endAfter(Math.max(watermark, nums[0]!));
        end <= lastEnd;
        end += this.#slide
      ) {
        this.#emitWindow(e, end, "early");
      }
    }
    this.#dirty.clear();
  }

  protected snapshotEntry(e: PaneEntry): PaneEntrySnapshot {
    const packed = this.#packed;
    const stride = this.#stride;
    const refs = this.#refs;
    const { nums } = e;
    const panes: [number, unknown][] = [];
    for (let p = 0; p * stride < nums.length; p++) {
      panes.push([nums[p * stride]!, packed.snapshot(nums, p * stride + 1, e.refs, p * refs)]);
    }
    const emitted = e.late?.emitted;
    return {
      panes,
      firedUpTo: Number.isFinite(e.firedUpTo) ? e.firedUpTo : null,
      emitted: emitted ? [...emitted] : [],
    };
  }

  protected restoreEntry(key: Key, partition: number, state: unknown): void {
    const s = state as PaneEntrySnapshot;
    const packed = this.#packed;
    const stride = this.#stride;
    const refs = this.#refs;
    const e = this.createEntry(key, partition);
    const panes = [...s.panes].sort((a, b) => a[0] - b[0]);
    e.nums = newDoubles(panes.length * stride);
    if (refs > 0) e.refs = new Array<unknown>(panes.length * refs).fill(null);
    panes.forEach(([ps, acc], p) => {
      e.nums[p * stride] = ps;
      packed.restore(acc, e.nums, p * stride + 1, e.refs, p * refs);
    });
    e.firedUpTo = s.firedUpTo ?? NEG;
    if (s.emitted.length > 0) this.#late(e).emitted = new Set(s.emitted);
    this.entries.restore(key, e);
  }

  /**
   * The watermark received, and while a firing is in progress (`fired`) the
   * watermark emitted: the keys' windows up to it have all fired.
   */
  protected override snapshotShared(): unknown {
    const finite = (w: number) => (Number.isFinite(w) ? w : null);
    if (this.#firingTo === NEG) return { watermark: finite(this.#input) };
    return { watermark: finite(this.#input), fired: finite(this.watermark) };
  }

  protected override restoreShared(shared: unknown): void {
    super.restoreShared(shared);
    this.#input = this.watermark;
    const fired = (shared as { fired?: number | null }).fired;
    if (fired !== undefined) {
      // A firing was in progress: what it had not woken fires again, from the timers.
      this.watermark = fired ?? NEG;
      this.#firingTo = this.#input;
    }
  }

  override restoreState(snapshot: StepSnapshot): void {
    super.restoreState(snapshot);
    // From the watermark emitted: windows of keys a firing in progress had not woken yet
    // end after it. (A key it had woken wakes again for nothing it has not emitted.)
    for (const e of this.entries.values()) this.#schedule(e, this.watermark);
  }
}
