/**
 * Keyed session window aggregation.
 *
 * Each key keeps its open sessions in a short array sorted by start, each with one
 * accumulator. A record either extends a session, bridges several into one (their
 * accumulators are merged), or opens a new one. Each key has at most one pending
 * timer: the earliest time at which one of its sessions must fire or be dropped.
 */
import type { AnyAggregator } from "../aggregate/aggregator.js";
import type { Batch } from "../batch.js";
import { SnapshotError } from "../errors.js";
import type { Key } from "../partition.js";
import { KeyTimers } from "../runtime/key-timers.js";
import { type KeyEntry, KeyedOperator } from "../runtime/keyed-operator.js";
import type { StepSnapshot } from "../runtime/operator.js";
import { type WindowEmission, type WindowOptions, windowId } from "../window/window-result.js";
import type { SessionWindows } from "../window/window-spec.js";

interface Session {
  start: number;
  /** Event time of the latest record in the session. */
  last: number;
  /** `min(last + gap, start + maxLength)`. */
  end: number;
  acc: unknown;
  /** The current content was emitted as `final` or `update`; only dropping is left. */
  fired: boolean;
  /** A result of this session (or of one merged into it) was emitted: the next is an `update`. */
  emitted: boolean;
  /** Changed since the last `early` emission. */
  dirty: boolean;
}

interface SessionEntry extends KeyEntry {
  /** Sorted by start. */
  readonly sessions: Session[];
  timer: number;
}

interface SessionSnapshot {
  readonly start: number;
  readonly last: number;
  readonly acc: unknown;
  readonly fired: boolean;
  readonly emitted: boolean;
  readonly dirty: boolean;
}

interface SessionEntrySnapshot {
  readonly sessions: SessionSnapshot[];
}

const POS = Number.POSITIVE_INFINITY;
const NEG = Number.NEGATIVE_INFINITY;
const NO_SESSIONS: readonly Session[] = Object.freeze([]);

function compareDue(a: SessionEntry, b: SessionEntry): number {
  if (a.timer !== b.timer) return a.timer - b.timer;
  const ka = String(a.key);
  const kb = String(b.key);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Per-key session windows: records of a key less than `gap` ms apart (in event
 * time) form one session `[start, end)`, where `start` is its earliest record time
 * and `end` is its latest record time plus `gap`, capped at `start + maxLength`.
 *
 * Assignment of a record at `t`: the record alone would span `[t, t + gap)`; it
 * merges with every session it strictly overlaps (`s.start < t + gap && t < s.end`),
 * so a session whose end equals `t` is not joined. Accumulators are merged in start
 * order with `aggregator.merge`. With `maxLength`, the record times of a session
 * always span less than `maxLength` (so a record at `t >= start + maxLength` starts
 * a new session). When merging every overlapping session would break that, the
 * record joins only the earliest overlapping session it can join without breaking
 * it, else it opens a session of its own; the sessions it bridged stay apart, and
 * with out-of-order records two sessions of a key may then overlap in time. Which
 * session a record lands in can then depend on arrival order.
 *
 * Emissions are `WindowResult`s with event time `end - 1` and id
 * `windowId(step, key, start)`:
 * - `final` once the watermark reaches `end`;
 * - `update`, after the batch, when a record within the allowed lateness `L`
 *   changed a session already emitted (`end <= watermark < end + L`). A record that
 *   moves the end of an emitted session past the watermark reopens it, and its next
 *   emission (when the watermark reaches the new end) is an `update`. When a late
 *   record moves a session's start (it is earlier than the session, or it bridges
 *   into an earlier session), the id changes: the new result supersedes the ones
 *   emitted under the ids of the sessions merged into it, which receive no
 *   retraction;
 * - `early`, every `earlyUpdates` ms of processing time, for open sessions changed
 *   since the last early emission.
 *
 * A session is dropped once the watermark reaches `end + L`. A record whose session
 * (after merging) would have `end + L <= watermark` goes to the late output with
 * reason `window-closed` and changes nothing. A record more than `L` behind the
 * watermark may still open a fresh session if `t + gap` is ahead of it (sessions
 * it would have merged with are gone), as in Flink.
 *
 * Results released by one watermark come key by key, in order of the earliest end
 * (or drop time) due in each key, then key (as text); within a key, by session
 * start. That depends on state alone, so a job restored from a snapshot emits the
 * same sequence as an uninterrupted one.
 *
 * Records whose event time is not a finite number go to the dead-letter output
 * with reason `invalid-timestamp`; a key function that throws sends the record
 * there with reason `step-error`.
 */
export class SessionWindowOperator extends KeyedOperator<SessionEntry> {
  readonly #gap: number;
  readonly #maxLength: number;
  readonly #lateness: number;
  readonly #earlyEvery: number;
  readonly #timers = new KeyTimers<SessionEntry>(this.entries);
  readonly #pending = new Set<Key>();
  readonly #dirty = new Set<Key>();
  readonly #hits: number[] = [];
  #nextEarly = NEG;

  constructor(
    step: string,
    keyOf: (value: unknown) => Key,
    spec: SessionWindows,
    private readonly aggregator: AnyAggregator<unknown>,
    options: WindowOptions,
  ) {
    super(step, "sessionWindow", 1, keyOf);
    this.#gap = spec.gap;
    this.#maxLength = spec.maxLength;
    this.#lateness = options.allowedLateness ?? 0;
    this.#earlyEvery = options.earlyUpdates ?? 0;
  }

  protected createEntry(key: Key, partition: number): SessionEntry {
    return {
      changed: false,
      key,
      partition,
      sessions: [],
      timer: POS,
    };
  }

  protected processBatch(batch: Batch<unknown>): void {
    const { values, times } = batch;
    const n = values.length;
    const keyOf = this.keyOf;
    for (let i = 0; i < n; i++) {
      const value = values[i];
      const t = times[i]!;
      if (!Number.isFinite(t)) {
        this.deadLetter("invalid-timestamp", `event time is ${t}`, value, t);
        continue;
      }
      let key: Key;
      try {
        key = keyOf(value);
      } catch (error) {
        this.deadLetter("step-error", error, value, t);
        continue;
      }
      this.#add(key, value, t);
    }
    if (this.#pending.size > 0) this.#emitPending();
  }

  #add(key: Key, value: unknown, t: number): void {
    const gap = this.#gap;
    const maxLength = this.#maxLength;
    const lateness = this.#lateness;
    const watermark = this.watermark;
    const existing = this.entries.get(key);
    const sessions = existing === undefined ? NO_SESSIONS : existing.sessions;
    const hits = this.#hits;
    hits.length = 0;
    let start = t;
    let last = t;
    for (let j = 0; j < sessions.length; j++) {
      const s = sessions[j]!;
      if (s.start >= t + gap) break;
      if (t < s.end) {
        hits.push(j);
        if (s.start < start) start = s.start;
        if (s.last > last) last = s.last;
      }
    }
    let target = -1;
    const mergeAll = hits.length > 0 && last - start < maxLength;
    if (mergeAll) {
      target = hits[0]!;
    } else {
      start = t;
      last = t;
      for (let h = 0; h < hits.length; h++) {
        const s = sessions[hits[h]!]!;
        const first = Math.min(s.start, t);
        const latest = Math.max(s.last, t);
        if (latest - first < maxLength) {
          target = hits[h]!;
          start = first;
          last = latest;
          break;
        }
      }
    }
    const end = Math.min(last + gap, start + maxLength);
    if (end + lateness <= watermark) {
      this.lateRecord(value, t, "window-closed");
      return;
    }

    const e = existing ?? this.entry(key);
    const list = e.sessions;
    const agg = this.aggregator;
    let s: Session;
    let at: number;
    if (target < 0) {
      s = { start, last, end, acc: agg.create(), fired: false, emitted: false, dirty: false };
      at = list.length;
      while (at > 0 && list[at - 1]!.start > start) at--;
      list.splice(at, 0, s);
    } else {
      s = list[target]!;
      at = target;
      if (mergeAll && hits.length > 1) {
        for (let h = 1; h < hits.length; h++) {
          const other = list[hits[h]!]!;
          s.acc = agg.merge(s.acc, other.acc);
          if (other.emitted) s.emitted = true;
        }
        for (let h = hits.length - 1; h >= 1; h--) list.splice(hits[h]!, 1);
      }
      s.start = start;
      s.last = last;
      s.end = end;
      while (at > 0 && list[at - 1]!.start > start) {
        list[at] = list[at - 1]!;
        at--;
      }
      list[at] = s;
    }
    s.acc = agg.add(s.acc, value, t);
    s.fired = false;
    if (this.#earlyEvery > 0) {
      s.dirty = true;
      this.#dirty.add(key);
    }
    let wake = end;
    if (end <= watermark) {
      this.#pending.add(key);
      wake = end + lateness;
    }
    if (wake < e.timer) this.#setTimer(e, wake);
  }

  /** Emits the sessions changed by this batch whose end the watermark has passed. */
  #emitPending(): void {
    const watermark = this.watermark;
    for (const key of this.#pending) {
      const e = this.entries.get(key);
      if (e === undefined) continue;
      for (const s of e.sessions) {
        if (!s.fired && s.end <= watermark) this.#fire(e, s);
      }
    }
    this.#pending.clear();
  }

  #fire(e: SessionEntry, s: Session): void {
    this.#emit(e, s, s.emitted ? "update" : "final");
    s.fired = true;
    s.emitted = true;
  }

  #emit(e: SessionEntry, s: Session, kind: WindowEmission): void {
    const { start, end } = s;
    const value = this.aggregator.result(s.acc);
    this.collect(
      { id: windowId(this.step, e.key, start), key: e.key, start, end, value, kind },
      end - 1,
    );
  }

  #setTimer(e: SessionEntry, time: number): void {
    this.#timers.set(e, time);
  }

  /**
   * A key's timer may be earlier than needed (it is only ever moved earlier while
   * records arrive), so the due keys are ordered by their exact next wake-up, which
   * depends on state alone.
   */
  protected override onWatermark(watermark: number): void {
    const due = this.#timers.takeDue(watermark);
    if (due.length === 0) return;
    let n = 0;
    for (const e of due) {
      const next = this.#nextWake(e);
      if (next > watermark) {
        this.#setTimer(e, next);
      } else {
        e.timer = next;
        due[n++] = e;
      }
    }
    due.length = n;
    if (n > 1) due.sort(compareDue);
    for (const e of due) {
      e.timer = POS;
      this.#wake(e, watermark);
    }
  }

  /** Fires the due sessions of `e`, drops those past their lateness, schedules the next wake-up. */
  #wake(e: SessionEntry, watermark: number): void {
    const lateness = this.#lateness;
    const list = e.sessions;
    let kept = 0;
    for (let j = 0; j < list.length; j++) {
      const s = list[j]!;
      if (s.end <= watermark) {
        if (!s.fired) this.#fire(e, s);
        if (s.end + lateness <= watermark) continue;
      }
      list[kept++] = s;
    }
    list.length = kept;
    if (kept === 0) {
      this.entries.delete(e.key);
      this.#dirty.delete(e.key);
      return;
    }
    this.#schedule(e);
  }

  /** When `e` must next fire a session or drop one. */
  #nextWake(e: SessionEntry): number {
    const lateness = this.#lateness;
    let next = POS;
    for (const s of e.sessions) {
      const wake = s.fired ? s.end + lateness : s.end;
      if (wake < next) next = wake;
    }
    return next;
  }

  #schedule(e: SessionEntry): void {
    this.#setTimer(e, this.#nextWake(e));
  }

  protected override onProcessingTime(now: number): void {
    if (this.#earlyEvery <= 0 || now < this.#nextEarly) return;
    this.#nextEarly = now + this.#earlyEvery;
    const watermark = this.watermark;
    for (const key of this.#dirty) {
      const e = this.entries.get(key);
      if (e === undefined) continue;
      for (const s of e.sessions) {
        if (!s.dirty) continue;
        s.dirty = false;
        if (s.end > watermark) this.#emit(e, s, "early");
      }
    }
    this.#dirty.clear();
  }

  protected snapshotEntry(e: SessionEntry): SessionEntrySnapshot {
    const agg = this.aggregator;
    const sessions: SessionSnapshot[] = [];
    for (const s of e.sessions) {
      sessions.push({
        start: s.start,
        last: s.last,
        acc: agg.snapshot(s.acc),
        fired: s.fired,
        emitted: s.emitted,
        dirty: s.dirty,
      });
    }
    return { sessions };
  }

  protected restoreEntry(key: Key, partition: number, state: unknown): void {
    const sessions = (state as Partial<SessionEntrySnapshot> | null)?.sessions;
    if (!Array.isArray(sessions)) {
      throw new SnapshotError(
        `step "${this.step}": session state of key ${key} has no sessions array`,
      );
    }
    const old = this.entries.peek(key);
    if (old !== undefined) this.#setTimer(old, POS);
    const e = this.createEntry(key, partition);
    const gap = this.#gap;
    const maxLength = this.#maxLength;
    let dirty = false;
    for (const s of sessions as SessionSnapshot[]) {
      if (typeof s?.start !== "number" || typeof s.last !== "number") {
        throw new SnapshotError(`step "${this.step}": malformed session of key ${key}`);
      }
      e.sessions.push({
        start: s.start,
        last: s.last,
        end: Math.min(s.last + gap, s.start + maxLength),
        acc: this.aggregator.restore(s.acc),
        fired: s.fired === true,
        emitted: s.emitted === true,
        dirty: s.dirty === true,
      });
      if (s.dirty === true) dirty = true;
    }
    e.sessions.sort((a, b) => a.start - b.start);
    this.entries.restore(key, e);
    if (dirty) this.#dirty.add(key);
    else this.#dirty.delete(key);
  }

  override restoreState(snapshot: StepSnapshot): void {
    super.restoreState(snapshot);
    for (const e of this.entries.values()) {
      if (e.sessions.length === 0) this.entries.delete(e.key);
      else this.#schedule(e);
    }
  }
}
