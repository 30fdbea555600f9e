/**
 * Runs a keyed process function: per-key value and map state with TTL, event-time
 * and processing-time timers, main and side outputs.
 */
import type { Batch } from "../batch.js";
import type { Key } from "../partition.js";
import type { OutputTag } from "../output-tag.js";
import { type KeyEntry, KeyedOperator } from "../runtime/keyed-operator.js";
import type {
  KeyedProcessFunction,
  MapState,
  TimerContext,
  ValueState,
} from "../state/keyed-process-function.js";
import type { StateDescriptor } from "../state/state-descriptor.js";
import { TimerQueue } from "../time/timer-queue.js";

/** One entry of a map state, with its write time (each entry has its own TTL). */
interface ValueSlot {
  value: unknown;
  written: number;
}

/**
 * A key's state. Every key of the step has one, so it is kept small: the first state
 * (most functions have one) is held in the entry itself, the others in arrays exactly as
 * long as the step's states (an array grown by a write past its end keeps room for 16
 * more), and its timers are a short array of times rather than a set.
 */
interface ProcessEntry extends KeyEntry {
  /**
   * The state of descriptor 0: a value state's value (`undefined`: unset), a map
   * state's map; and, of a value state, the time it was written (read by TTL and
   * snapshots).
   */
  first: unknown;
  firstWritten: number;
  /** The same for descriptors 1…, at index − 1; `null` while the step has one state. */
  slots: unknown[] | null;
  written: number[] | null;
  /**
   * The key's pending timers, kept beside the queues so a key's snapshot needs no
   * search: `null` while it has none (most keys never have processing-time timers),
   * the time itself while it has one (most keys with timers: no array of their own), an
   * array of times while it has few, a set once it has many (see `addTime`).
   */
  eventTimers: Times;
  processingTimers: Times;
}

/** Pending timer times of a key in one time domain (see `ProcessEntry`). */
type Times = number | number[] | Set<number> | null;

/** Timers of a key kept in an array (searched on every change) before they go in a set. */
const FEW_TIMES = 8;

/** `times` with `time` added (not already there). */
function addTime(times: Times, time: number): Times {
  if (times === null) return time;
  if (typeof times === "number") return [times, time];
  if (!Array.isArray(times)) return times.add(time);
  if (times.length >= FEW_TIMES) return new Set(times).add(time);
  return times.concat([time]);
}

/** `times` without `time`. */
function deleteTime(times: Times, time: number): Times {
  if (times === null) return null;
  if (typeof times === "number") return times === time ? null : times;
  if (!Array.isArray(times)) {
    times.delete(time);
    return times;
  }
  const k = times.indexOf(time);
  if (k < 0) return times;
  if (times.length === 1) return null;
  if (times.length === 2) return times[1 - k]!;
  const out = times.slice(0, times.length - 1);
  for (let i = k; i < out.length; i++) out[i] = times[i + 1]!;
  return out;
}

function timeCount(times: Times): number {
  if (times === null) return 0;
  if (typeof times === "number") return 1;
  return Array.isArray(times) ? times.length : times.size;
}

function timeList(times: Times): number[] {
  if (times === null) return [];
  return typeof times === "number" ? [times] : [...times];
}

/** A copy of `a`, `length` long: `new Array(n)` is exactly `n` long (unset slots read `undefined`). */
function resized<T>(a: readonly T[], length: number): T[] {
  const out = new Array<T>(length);
  for (let i = 0; i < a.length; i++) {
    // Unset stays unset: an `undefined` stored in an array of numbers would box them all.
    const v = a[i];
    if (v !== undefined) out[i] = v;
  }
  return out;
}

interface ProcessEntrySnapshot {
  readonly state: Record<
    string,
    { value: unknown; written: number } | [unknown, unknown, number][]
  >;
  readonly eventTimers: number[];
  readonly processingTimers: number[];
}

const SWEEP_PER_WATERMARK = 1000;

/** The context object, whose fields the operator sets before each call. */
type MutableContext = {
  -readonly [K in keyof TimerContext<Key, unknown>]: TimerContext<Key, unknown>[K];
};

export class KeyedProcessOperator extends KeyedOperator<ProcessEntry> {
  readonly #descriptors: StateDescriptor[] = [];
  readonly #accessors = new Map<
    StateDescriptor,
    ValueState<unknown> | MapState<unknown, unknown>
  >();
  readonly #eventTimers = new TimerQueue();
  readonly #processingTimers = new TimerQueue();
  readonly #context: MutableContext;
  #current: ProcessEntry | null = null;
  #sweep: IterableIterator<ProcessEntry> | null = null;

  constructor(
    step: string,
    keyOf: (value: unknown) => Key,
    private readonly fn: KeyedProcessFunction<Key, unknown, unknown>,
  ) {
    super(step, "process", 1, keyOf);
    const op = this;
    const timers = {
      registerEventTime(time: number) {
        op.#addTimer(op.#eventTimers, time);
      },
      deleteEventTime(time: number) {
        op.#deleteTimer(op.#eventTimers, time);
      },
      registerProcessingTime(time: number) {
        op.#addTimer(op.#processingTimers, time);
      },
      deleteProcessingTime(time: number) {
        op.#deleteTimer(op.#processingTimers, time);
      },
    };
    // Plain data properties, refreshed before each call: reading them is a field load,
    // where getters would be calls (and box every number they return).
    const context: MutableContext = {
      key: "",
      timestamp: 0,
      watermark: Number.NEGATIVE_INFINITY,
      processingTime: 0,
      timeDomain: "event",
      timers,
      state: ((descriptor: StateDescriptor) => op.#accessor(descriptor)) as TimerContext<
        Key,
        unknown
      >["state"],
      emit(value: unknown, time?: number) {
        op.collect(value, time ?? context.timestamp);
      },
      output<S>(tag: OutputTag<S>, value: S, time?: number) {
        op.collectSide(tag.id, value, time ?? context.timestamp);
      },
    };
    this.#context = context;
  }

  protected createEntry(key: Key, partition: number): ProcessEntry {
    const more = this.#descriptors.length - 1;
    return {
      changed: false,
      // In the literal, so that setting it for a checkpoint changes no entry's shape.
      pending: false,
      detached: false,
      key,
      // An int: a number computed as a double would be stored boxed, in every entry.
      partition: partition | 0,
      first: undefined,
      firstWritten: 0,
      slots: more > 0 ? new Array<unknown>(more) : null,
      written: more > 0 ? new Array<number>(more) : null,
      eventTimers: null,
      processingTimers: null,
    };
  }

  /** The state of descriptor `index` in `e` (`undefined`: unset). */
  #slot(e: ProcessEntry, index: number): unknown {
    if (index === 0) return e.first;
    const slots = e.slots;
    return slots === null ? undefined : slots[index - 1];
  }

  /** The write time of the value of descriptor `index` in `e`. */
  #written(e: ProcessEntry, index: number): number {
    if (index === 0) return e.firstWritten;
    return e.written![index - 1]!;
  }

  /** Sets the state of descriptor `index` in `e` (its arrays grown to the descriptors known, exactly). */
  #setSlot(e: ProcessEntry, index: number, value: unknown): void {
    if (index === 0) {
      e.first = value;
      return;
    }
    if (e.slots === null || index > e.slots.length) this.#fit(e);
    e.slots![index - 1] = value;
  }

  #setWritten(e: ProcessEntry, index: number, time: number): void {
    if (index === 0) {
      e.firstWritten = time;
      return;
    }
    if (e.written === null || index > e.written.length) this.#fit(e);
    e.written![index - 1] = time;
  }

  /** Grows `e`'s arrays to the descriptors known (a state declared after the key was made). */
  #fit(e: ProcessEntry): void {
    const more = this.#descriptors.length - 1;
    if (more <= 0) return;
    if (e.slots === null) e.slots = new Array<unknown>(more);
    else if (e.slots.length < more) e.slots = resized(e.slots, more);
    if (e.written === null) e.written = new Array<number>(more);
    else if (e.written.length < more) e.written = resized(e.written, more);
  }

  protected processBatch(batch: Batch<unknown>): void {
    const { values, times } = batch;
    const n = values.length;
    const keyOf = this.keyOf;
    const fn = this.fn;
    const context = this.#context;
    context.processingTime = this.context.clock.now();
    context.timeDomain = "event";
    context.watermark = this.watermark;
    for (let i = 0; i < n; i++) {
      const value = values[i];
      const t = times[i]!;
      try {
        const e = this.entryFor(keyOf(value), value);
        this.#current = e;
        context.key = e.key;
        context.timestamp = t;
        fn.processElement(value, context);
      } catch (error) {
        this.deadLetter("step-error", error, value, t);
      }
    }
    this.#current = null;
  }

  protected override onWatermark(watermark: number): void {
    this.#context.processingTime = this.context.clock.now();
    this.#fire(this.#eventTimers, watermark, "event");
    this.#sweepExpired(watermark);
  }

  protected override onProcessingTime(now: number): void {
    this.#context.processingTime = now;
    this.#fire(this.#processingTimers, now, "processing");
  }

  #fire(queue: TimerQueue, limit: number, domain: "event" | "processing"): void {
    const onTimer = this.fn.onTimer;
    queue.fireUpTo(limit, (time, key) => {
      const e = this.entries.get(key);
      if (!e) return;
      if (domain === "event") e.eventTimers = deleteTime(e.eventTimers, time);
      else e.processingTimers = deleteTime(e.processingTimers, time);
      if (!onTimer) return;
      this.#current = e;
      const context = this.#context;
      context.key = e.key;
      context.timestamp = time;
      context.timeDomain = domain;
      context.watermark = this.watermark;
      try {
        onTimer.call(this.fn, time, this.#context);
      } catch (error) {
        this.deadLetter("step-error", error, { key, timer: time, timeDomain: domain }, time);
      }
    });
    this.#current = null;
  }

  #addTimer(queue: TimerQueue, time: number): void {
    const e = this.#current!;
    if (!queue.add(time, e.key)) return;
    if (queue === this.#eventTimers) e.eventTimers = addTime(e.eventTimers, time);
    else e.processingTimers = addTime(e.processingTimers, time);
  }

  #deleteTimer(queue: TimerQueue, time: number): void {
    const e = this.#current!;
    if (!queue.delete(time, e.key)) return;
    if (queue === this.#eventTimers) e.eventTimers = deleteTime(e.eventTimers, time);
    else e.processingTimers = deleteTime(e.processingTimers, time);
  }

  #expired(descriptor: StateDescriptor, written: number): boolean {
    const ttl = descriptor.ttl;
    if (ttl === undefined) return false;
    const now = ttl.timeDomain === "processing" ? this.#context.processingTime : this.watermark;
    return now >= written + ttl.ttl;
  }

  #writeTime(descriptor: StateDescriptor): number {
    const context = this.#context;
    return descriptor.ttl?.timeDomain === "processing" ? context.processingTime : context.timestamp;
  }

  #accessor(descriptor: StateDescriptor): ValueState<unknown> | MapState<unknown, unknown> {
    const existing = this.#accessors.get(descriptor);
    if (existing) return existing;
    const named = this.#descriptors.findIndex((d) => d.name === descriptor.name);
    if (named >= 0 && this.#descriptors[named]!.kind !== descriptor.kind) {
      throw new TypeError(
        `step "${this.step}": state "${descriptor.name}" is declared twice with different kinds`,
      );
    }
    let index = named;
    if (index >= 0) this.#descriptors[index] = descriptor;
    else index = this.#descriptors.push(descriptor) - 1;
    const accessor =
      descriptor.kind === "value"
        ? this.#valueAccessor(descriptor, index)
        : this.#mapAccessor(descriptor, index);
    this.#accessors.set(descriptor, accessor);
    return accessor;
  }

  #valueAccessor(descriptor: StateDescriptor, index: number): ValueState<unknown> {
    const op = this;
    return {
      get() {
        const e = op.#current!;
        const value = op.#slot(e, index);
        if (value === undefined) return undefined;
        if (descriptor.ttl !== undefined && op.#expired(descriptor, op.#written(e, index))) {
          op.#setSlot(e, index, undefined);
          return undefined;
        }
        return value;
      },
      set(value: unknown) {
        const e = op.#current!;
        op.#setSlot(e, index, value);
        op.#setWritten(e, index, op.#writeTime(descriptor));
      },
      clear() {
        const e = op.#current!;
        if (op.#slot(e, index) !== undefined) op.#setSlot(e, index, undefined);
      },
    };
  }

  #mapAccessor(descriptor: StateDescriptor, index: number): MapState<unknown, unknown> {
    const op = this;
    const map = (create: boolean): Map<unknown, ValueSlot> | undefined => {
      const e = op.#current!;
      let m = op.#slot(e, index) as Map<unknown, ValueSlot> | undefined;
      if (m === undefined && create) {
        m = new Map();
        op.#setSlot(e, index, m);
      }
      return m;
    };
    const live = (m: Map<unknown, ValueSlot>, k: unknown): ValueSlot | undefined => {
      const slot = m.get(k);
      if (slot === undefined) return undefined;
      if (op.#expired(descriptor, slot.written)) {
        m.delete(k);
        return undefined;
      }
      return slot;
    };
    return {
      get(k) {
        const m = map(false);
        return m ? live(m, k)?.value : undefined;
      },
      has(k) {
        const m = map(false);
        return m ? live(m, k) !== undefined : false;
      },
      set(k, value) {
        const m = map(true)!;
        const written = op.#writeTime(descriptor);
        const slot = m.get(k);
        if (slot === undefined) m.set(k, { value, written });
        else {
          slot.value = value;
          slot.written = written;
        }
      },
      delete(k) {
        return map(false)?.delete(k) ?? false;
      },
      *entries() {
        const m = map(false);
        if (!m) return;
        for (const [k, slot] of [...m]) {
          if (op.#expired(descriptor, slot.written)) m.delete(k);
          else yield [k, slot.value];
        }
      },
      get size() {
        const m = map(false);
        if (!m) return 0;
        let n = 0;
        for (const [k, slot] of [...m]) {
          if (op.#expired(descriptor, slot.written)) m.delete(k);
          else n++;
        }
        return n;
      },
      clear() {
        const e = op.#current!;
        if (op.#slot(e, index) !== undefined) op.#setSlot(e, index, undefined);
      },
    };
  }

  /** Incremental clean-up: visits a bounded number of keys per watermark. */
  #sweepExpired(watermark: number): void {
    if (
      this.#descriptors.every((d) => d.ttl === undefined) &&
      watermark !== Number.POSITIVE_INFINITY
    ) {
      return;
    }
    let budget = SWEEP_PER_WATERMARK;
    while (budget-- > 0) {
      this.#sweep ??= this.entries.values();
      const next = this.#sweep.next();
      if (next.done) {
        this.#sweep = null;
        return;
      }
      const e = next.value;
      if (!this.#hasExpired(e)) continue;
      // Through `get`: the key is marked changed, and captured first if a checkpoint wants it.
      this.entries.get(e.key);
      let live = 0;
      for (let i = 0; i < this.#descriptors.length; i++) {
        const slot = this.#slot(e, i);
        if (slot === undefined) continue;
        const d = this.#descriptors[i]!;
        if (d.kind === "map") {
          const m = slot as Map<unknown, ValueSlot>;
          for (const [k, s] of m) if (this.#expired(d, s.written)) m.delete(k);
          if (m.size === 0) this.#setSlot(e, i, undefined);
          else live++;
        } else if (this.#expired(d, this.#written(e, i))) this.#setSlot(e, i, undefined);
        else live++;
      }
      if (live === 0 && !hasTimers(e)) {
        this.entries.delete(e.key);
      }
    }
  }

  #hasExpired(e: ProcessEntry): boolean {
    let live = 0;
    for (let i = 0; i < this.#descriptors.length; i++) {
      const slot = this.#slot(e, i);
      if (slot === undefined) continue;
      const d = this.#descriptors[i]!;
      if (d.kind === "map") {
        for (const s of (slot as Map<unknown, ValueSlot>).values()) {
          if (this.#expired(d, s.written)) return true;
        }
      } else if (this.#expired(d, this.#written(e, i))) return true;
      live++;
    }
    return live === 0 && !hasTimers(e);
  }

  protected snapshotEntry(e: ProcessEntry): ProcessEntrySnapshot {
    const state: ProcessEntrySnapshot["state"] = {};
    for (let i = 0; i < this.#descriptors.length; i++) {
      const slot = this.#slot(e, i);
      if (slot === undefined) continue;
      const d = this.#descriptors[i]!;
      if (d.kind === "map") {
        state[d.name] = [...(slot as Map<unknown, ValueSlot>)].map(([k, s]) => [
          k,
          s.value,
          s.written,
        ]);
      } else {
        state[d.name] = { value: slot, written: this.#written(e, i) };
      }
    }

    return {
      state,
      eventTimers: timeList(e.eventTimers),
      processingTimers: timeList(e.processingTimers),
    };
  }

  protected restoreEntry(key: Key, partition: number, raw: unknown): void {
    const s = raw as ProcessEntrySnapshot;
    const e = this.createEntry(key, partition);
    for (const [name, value] of Object.entries(s.state)) {
      let index = this.#descriptors.findIndex((d) => d.name === name);
      if (index < 0) {
        const kind = Array.isArray(value) ? "map" : "value";
        index = this.#descriptors.push({ kind, name } as StateDescriptor) - 1;
      }
      if (Array.isArray(value)) {
        this.#setSlot(
          e,
          index,
          new Map(value.map(([k, v, written]) => [k, { value: v, written }])),
        );
      } else {
        this.#setSlot(e, index, value.value);
        this.#setWritten(e, index, value.written);
      }
    }
    for (const t of s.eventTimers) {
      if (this.#eventTimers.add(t, key)) e.eventTimers = addTime(e.eventTimers, t);
    }
    for (const t of s.processingTimers) {
      if (this.#processingTimers.add(t, key)) {
        e.processingTimers = addTime(e.processingTimers, t);
      }
    }
    this.entries.restore(key, e);
  }
}

function hasTimers(e: ProcessEntry): boolean {
  return timeCount(e.eventTimers) > 0 || timeCount(e.processingTimers) > 0;
}
