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

interface ProcessEntry extends KeyEntry {
  /** By descriptor index: a value state's value (`undefined`: unset), a map state's map. */
  slots: unknown[];
  /** By descriptor index: the write time of a value state's value (read by TTL and snapshots). */
  written: number[];
  /**
   * The key's pending timers, kept beside the queues so a key's snapshot needs no
   * search; `null` until the key first has one (most keys never have processing-time
   * timers, and an empty set costs more than the rest of the entry).
   */
  eventTimers: Set<number> | null;
  processingTimers: Set<number> | null;
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
    return {
      changed: false,
      key,
      partition,
      slots: [],
      written: [],
      eventTimers: null,
      processingTimers: null,
    };
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
        const e = this.entry(keyOf(value));
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
      (domain === "event" ? e.eventTimers : e.processingTimers)?.delete(time);
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
    if (queue.add(time, e.key)) this.#timersOf(e, queue).add(time);
  }

  #deleteTimer(queue: TimerQueue, time: number): void {
    const e = this.#current!;
    if (queue.delete(time, e.key)) this.#timersOf(e, queue).delete(time);
  }

  #timersOf(e: ProcessEntry, queue: TimerQueue): Set<number> {
    if (queue === this.#eventTimers) {
      e.eventTimers ??= new Set();
      return e.eventTimers;
    }
    e.processingTimers ??= new Set();
    return e.processingTimers;
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
        const value = e.slots[index];
        if (value === undefined) return undefined;
        if (descriptor.ttl !== undefined && op.#expired(descriptor, e.written[index]!)) {
          e.slots[index] = undefined;
          return undefined;
        }
        return value;
      },
      set(value: unknown) {
        const e = op.#current!;
        e.slots[index] = value;
        e.written[index] = op.#writeTime(descriptor);
      },
      clear() {
        op.#current!.slots[index] = undefined;
      },
    };
  }

  #mapAccessor(descriptor: StateDescriptor, index: number): MapState<unknown, unknown> {
    const op = this;
    const map = (create: boolean): Map<unknown, ValueSlot> | undefined => {
      const slots = op.#current!.slots;
      let m = slots[index] as Map<unknown, ValueSlot> | undefined;
      if (m === undefined && create) {
        m = new Map();
        slots[index] = m;
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
        op.#current!.slots[index] = undefined;
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
      e.slots.forEach((slot, i) => {
        if (slot === undefined) return;
        const d = this.#descriptors[i]!;
        if (d.kind === "map") {
          const m = slot as Map<unknown, ValueSlot>;
          for (const [k, s] of m) if (this.#expired(d, s.written)) m.delete(k);
          if (m.size === 0) e.slots[i] = undefined;
          else live++;
        } else if (this.#expired(d, e.written[i]!)) e.slots[i] = undefined;
        else live++;
      });
      if (live === 0 && !hasTimers(e)) {
        this.entries.delete(e.key);
      }
    }
  }

  #hasExpired(e: ProcessEntry): boolean {
    let live = 0;
    for (let i = 0; i < e.slots.length; i++) {
      const slot = e.slots[i];
      if (slot === undefined) continue;
      const d = this.#descriptors[i]!;
      if (d.kind === "map") {
        for (const s of (slot as Map<unknown, ValueSlot>).values()) {
          if (this.#expired(d, s.written)) return true;
        }
      } else if (this.#expired(d, e.written[i]!)) return true;
      live++;
    }
    return live === 0 && !hasTimers(e);
  }

  protected snapshotEntry(e: ProcessEntry): ProcessEntrySnapshot {
    const state: ProcessEntrySnapshot["state"] = {};
    e.slots.forEach((slot, i) => {
      if (slot === undefined) return;
      const d = this.#descriptors[i]!;
      if (d.kind === "map") {
        state[d.name] = [...(slot as Map<unknown, ValueSlot>)].map(([k, s]) => [
          k,
          s.value,
          s.written,
        ]);
      } else {
        state[d.name] = { value: slot, written: e.written[i]! };
      }
    });

    return {
      state,
      eventTimers: e.eventTimers === null ? [] : [...e.eventTimers],
      processingTimers: e.processingTimers === null ? [] : [...e.processingTimers],
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
        e.slots[index] = new Map(value.map(([k, v, written]) => [k, { value: v, written }]));
      } else {
        e.slots[index] = value.value;
        e.written[index] = value.written;
      }
    }
    for (const t of s.eventTimers) {
      if (this.#eventTimers.add(t, key)) this.#timersOf(e, this.#eventTimers).add(t);
    }
    for (const t of s.processingTimers) {
      if (this.#processingTimers.add(t, key)) {
        this.#timersOf(e, this.#processingTimers).add(t);
      }
    }
    this.entries.restore(key, e);
  }
}

function hasTimers(e: ProcessEntry): boolean {
  return (e.eventTimers?.size ?? 0) > 0 || (e.processingTimers?.size ?? 0) > 0;
}
