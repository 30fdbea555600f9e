/**
 * Keyed tumbling and sliding window aggregation over panes.
 *
 * Time is cut into panes of gcd(size, slide) ms. A record is added to exactly one
 * pane accumulator of its key, whatever size/slide is; a window's result is the
 * merge of its panes, computed once when the window fires. Each key has at most
 * one pending timer: the next window end (or pane clean-up time) that concerns it.
 * A key's panes are two small sorted arrays, and the pane of the previous record
 * is remembered, so the common case touches no hash table beyond the key's.
 */
import type { Batch } from "../batch.js";
import type { AnyAggregator } from "../aggregate/aggregator.js";
import type { Key } from "../partition.js";
import { KeyTimers } from "../runtime/key-timers.js";
import { type KeyEntry, KeyedOperator } from "../runtime/keyed-operator.js";
import type { StepSnapshot } from "../runtime/operator.js";
import { type WindowEmission, type WindowOptions, windowId } from "../window/window-result.js";
import type { SlidingWindows, TumblingWindows } from "../window/window-spec.js";

interface PaneEntry extends KeyEntry {
  /** Pane starts, ascending, and their accumulators: a key holds only a handful. */
  readonly starts: number[];
  readonly accs: unknown[];
  /** Index of the pane the key's previous record went to. */
  last: number;
  firedUpTo: number;
  timer: number;
  dirty: boolean;
  lateLo: number;
  lateHi: number;
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

const NEG = Number.NEGATIVE_INFINITY;
const POS = Number.POSITIVE_INFINITY;

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
  readonly #timers = new KeyTimers<PaneEntry>(this.entries);
  readonly #pendingUpdates = new Set<Key>();
  readonly #dirty = new Set<Key>();
  #nextEarly = NEG;

  constructor(
    step: string,
    keyOf: (value: unknown) => Key,
    spec: TumblingWindows | SlidingWindows,
    private readonly aggregator: AnyAggregator<unknown>,
    options: WindowOptions,
  ) {
    super(step, spec.kind === "tumbling" ? "tumblingWindow" : "slidingWindow", 1, keyOf);
    this.#size = spec.size;
    this.#slide = spec.kind === "tumbling" ? spec.size : spec.slide;
    this.#offset = spec.offset;
    this.#pane = gcd(this.#size, this.#slide);
    this.#lateness = options.allowedLateness ?? 0;
    this.#earlyEvery = options.earlyUpdates ?? 0;
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
      key,
      partition,
      starts: [],
      accs: [],
      last: -1,
      firedUpTo: NEG,
      timer: POS,
      dirty: false,
      lateLo: POS,
      lateHi: NEG,
      emitted: null,
    };
  }

  protected processBatch(batch: Batch<unknown>): void {
    const { values, times } = batch;
    const n = values.length;
    const agg = this.aggregator;
    const keyOf = this.keyOf;
    const pane = this.#pane;
    const lateness = this.#lateness;
    const early = this.#earlyEvery > 0;
    for (let i = 0; i < n; i++) {
      const value = values[i];
      const t = times[i]!;
      const ps = this.#floor(t, pane);
      const watermark = this.watermark;
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
      const e = this.entry(key);
      let p = e.last;
      if (p < 0 || e.starts[p] !== ps) {
        p = this.#paneIndex(e, ps);
        e.last = p;
        const next = this.#endAfter(behind ? watermark : ps);
        if (next <= lastEnd && next < e.timer) this.#setTimer(e, next);
      }
      e.accs[p] = agg.add(e.accs[p], value, t);
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
    if (lo < e.lateLo) e.lateLo = lo;
    if (hi > e.lateHi) e.lateHi = hi;
    this.#pendingUpdates.add(e.key);
    if (lastEnd + lateness < e.timer) this.#setTimer(e, lastEnd + lateness);
  }

  /** Index of the pane starting at `ps`, inserted (empty) in order when missing. */
  #paneIndex(e: PaneEntry, ps: number): number {
    const starts = e.starts;
    let i = starts.length;
    while (i > 0 && starts[i - 1]! > ps) i--;
    if (i > 0 && starts[i - 1] === ps) return i - 1;
    if (i === starts.length) {
      starts.push(ps);
      e.accs.push(this.aggregator.create());
    } else {
      starts.splice(i, 0, ps);
      e.accs.splice(i, 0, this.aggregator.create());
    }
    return i;
  }

  #setTimer(e: PaneEntry, time: number): void {
    this.#timers.set(e, time);
  }

  #emitLateUpdates(): void {
    for (const key of this.#pendingUpdates) {
      const e = this.entries.get(key);
      if (!e) continue;
      for (let end = e.lateLo; end <= e.lateHi; end += this.#slide) {
        this.#emitWindow(e, end, e.emitted?.has(end) ? "update" : "final");
      }
      if (e.lateHi > e.firedUpTo) e.firedUpTo = e.lateHi;
      e.lateLo = POS;
      e.lateHi = NEG;
    }
    this.#pendingUpdates.clear();
  }

  /**
   * Emits the window ending at `end` if any of its panes holds data, merging its
   * panes from index `from` on (the caller may know where they begin).
   */
  #emitWindow(e: PaneEntry, end: number, kind: WindowEmission, from = 0): void {
    const start = end - this.#size;
    const agg = this.aggregator;
    const { starts, accs } = e;
    let i = from;
    while (i < starts.length && starts[i]! < start) i++;
    if (i >= starts.length || starts[i]! >= end) return;
    let acc = agg.create();
    for (; i < starts.length && starts[i]! < end; i++) acc = agg.merge(acc, accs[i]);
    if (this.#lateness > 0) {
      e.emitted ??= new Set();
      e.emitted.add(end);
    }
    const value = agg.result(acc);
    this.collect(
      { id: windowId(this.step, e.key, start), key: e.key, start, end, value, kind },
      end - 1,
    );
  }

  protected override onWatermark(watermark: number): void {
    this.#timers.fire(watermark, (e, time) => this.#wake(e, time));
  }

  /**
   * Fires the windows of `e` that end at or before `time` (its timer), evicts panes
   * past their lateness, and schedules the next wake-up. Waking per timer rather
   * than per watermark keeps results in window-end order across keys.
   */
  #wake(e: PaneEntry, time: number): void {
    const { starts, accs } = e;
    const size = this.#size;
    let end = this.#endAfter(Math.max(e.firedUpTo, starts[0]!));
    let i = 0;
    while (end <= time) {
      while (i < starts.length && starts[i]! < end - size) i++;
      if (i >= starts.length) break;
      if (starts[i]! >= end) {
        end = this.#endAfter(starts[i]!);
        continue;
      }
      this.#emitWindow(e, end, "final", i);
      end += this.#slide;
    }
    if (time > e.firedUpTo) e.firedUpTo = time;
    let evict = 0;
    while (evict < starts.length && this.#lastEnd(starts[evict]!) + this.#lateness <= time) evict++;
    if (evict > 0) {
      starts.splice(0, evict);
      accs.splice(0, evict);
      e.last = -1;
    }
    if (this.#lateness > 0) {
      const emitted = e.emitted;
      if (emitted !== null) {
        for (const done of emitted) if (done + this.#lateness <= time) emitted.delete(done);
      }
    }
    if (starts.length === 0) {
      this.entries.delete(e.key);
      this.#dirty.delete(e.key);
      return;
    }
    this.#schedule(e, time);
  }

  /**
   * Sets `e`'s timer to its next window end after `after`, or, with allowed
   * lateness, the clean-up time of its oldest pane if that comes first. Panes are
   * sorted, so the first pane with a window ending after `after` decides.
   */
  #schedule(e: PaneEntry, after: number): void {
    const starts = e.starts;
    let next = POS;
    for (const ps of starts) {
      const last = this.#lastEnd(ps);
      if (last <= after) continue;
      next = this.#endAfter(Math.max(ps, after));
      break;
    }
    if (this.#lateness > 0 && starts.length > 0) {
      next = Math.min(next, this.#lastEnd(starts[0]!) + this.#lateness);
    }
    this.#setTimer(e, next);
  }

  protected override onProcessingTime(now: number): void {
    if (this.#earlyEvery <= 0 || now < this.#nextEarly) return;
    this.#nextEarly = now + this.#earlyEvery;
    const watermark = this.watermark;
    for (const key of this.#dirty) {
      const e = this.entries.get(key);
      if (!e) continue;
      e.dirty = false;
      const { starts } = e;
      if (starts.length === 0) continue;
      const lastEnd = this.#lastEnd(starts[starts.length - 1]!);
      for (
        let end = this.#endAfter(Math.max(watermark, starts[0]!));
        end <= lastEnd;
        end += this.#slide
      ) {
        this.#emitWindow(e, end, "early");
      }
    }
    this.#dirty.clear();
  }

  protected snapshotEntry(e: PaneEntry): PaneEntrySnapshot {
    const agg = this.aggregator;
    const panes: [number, unknown][] = [];
    e.starts.forEach((ps, i) => {
      panes.push([ps, agg.snapshot(e.accs[i])]);
    });
    return {
      panes,
      firedUpTo: Number.isFinite(e.firedUpTo) ? e.firedUpTo : null,
      emitted: e.emitted === null ? [] : [...e.emitted],
    };
  }

  protected restoreEntry(key: Key, partition: number, state: unknown): void {
    const s = state as PaneEntrySnapshot;
    const e = this.createEntry(key, partition);
    for (const [ps, acc] of [...s.panes].sort((a, b) => a[0] - b[0])) {
      e.starts.push(ps);
      e.accs.push(this.aggregator.restore(acc));
    }
    e.firedUpTo = s.firedUpTo ?? NEG;
    if (s.emitted.length > 0) e.emitted = new Set(s.emitted);
    this.entries.restore(key, e);
  }

  override restoreState(snapshot: StepSnapshot): void {
    super.restoreState(snapshot);
    for (const e of this.entries.values()) this.#schedule(e, this.watermark);
  }
}
