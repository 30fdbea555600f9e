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

interface ValueSlot {
  value: unknown;
  written: number;
}

type Slot = ValueSlot | Map<unknown, ValueSlot>;

interface ProcessEntry extends KeyEntry {
  slots: (Slot | undefined)[];
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

export class KeyedProcessOperator extends KeyedOperator<ProcessEntry> {
  readonly #descriptors: StateDescriptor[] = [];
  readonly #accessors = new Map<
    StateDescriptor,
    ValueState<unknown> | MapState<unknown, unknown>
  >();
  readonly #eventTimers = new TimerQueue();
  readonly #processingTimers = new TimerQueue();
  readonly #context: TimerContext<Key, unknown>;
  #current: ProcessEntry | null = null;
  #timestamp = 0;
  #now = 0;
  #domain: "event" | "processing" = "event";
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
    this.#context = {
      get key() {
        return op.#current!.key;
      },
      get timestamp() {
        return op.#timestamp;
      },
      get watermark() {
        return op.watermark;
      },
      get processingTime() {
        return op.#now;
      },
      get timeDomain() {
        return op.#domain;
      },
      timers,
      state: ((descriptor: StateDescriptor) => op.#accessor(descriptor)) as TimerContext<
        Key,
        unknown
      >["state"],
      emit(value: unknown, time?: number) {
        op.collect(value, time ?? op.#timestamp);
      },
      output<S>(tag: OutputTag<S>, value: S, time?: number) {
        op.collectSide(tag.id, value, time ?? op.#timestamp);
      },
    };
  }

  protected createEntry(key: Key, partition: number): ProcessEntry {
    return {
      changed: false,
      key,
      partition,
      slots: [],
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
    this.#now = this.context.clock.now();
    this.#domain = "event";
    for (let i = 0; i < n; i++) {
      const value = values[i];
      const t = times[i]!;
      try {
        this.#current = this.entry(keyOf(value));
        this.#timestamp = t;
        fn.processElement(value, context);
      } catch (error) {
        this.deadLetter("step-error", error, value, t);
      }
    }
    this.#current = null;
  }

  protected override onWatermark(watermark: number): void {
    this.#now = this.context.clock.now();
    this.#fire(this.#eventTimers, watermark, "event");
    this.#sweepExpired(watermark);
  }

  protected override onProcessingTime(now: number): void {
    this.#now = now;
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
      this.#timestamp = time;
      this.#domain = domain;
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
    const now = ttl.timeDomain === "processing" ? this.#now : this.watermark;
    return now >= written + ttl.ttl;
  }

  #writeTime(descriptor: StateDescriptor): number {
    return descriptor.ttl?.timeDomain === "processing" ? this.#now : this.#timestamp;
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
        const slots = op.#current!.slots;
        const slot = slots[index] as ValueSlot | undefined;
        if (slot === undefined) return undefined;
        if (op.#expired(descriptor, slot.written)) {
          slots[index] = undefined;
          return undefined;
        }
        return slot.value;
      },
      set(value: unknown) {
        const slots = op.#current!.slots;
        const slot = slots[index] as ValueSlot | undefined;
        const written = op.#writeTime(descriptor);
        if (slot === undefined) slots[index] = { value, written };
        else {
          slot.value = value;
          slot.written = written;
        }
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
        if (slot instanceof Map) {
          for (const [k, s] of slot) if (this.#expired(d, s.written)) slot.delete(k);
          if (slot.size === 0) e.slots[i] = undefined;
          else live++;
        } else if (this.#expired(d, slot.written)) e.slots[i] = undefined;
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
      if (slot instanceof Map) {
        for (const s of slot.values()) if (this.#expired(d, s.written)) return true;
      } else if (this.#expired(d, slot.written)) return true;
      live++;
    }
    return live === 0 && !hasTimers(e);
  }

  protected snapshotEntry(e: ProcessEntry): ProcessEntrySnapshot {
    const state: ProcessEntrySnapshot["state"] = {};
    e.slots.forEach((slot, i) => {
      if (slot === undefined) return;
      const name = this.#descriptors[i]!.name;
      if (slot instanceof Map) {
        state[name] = [...slot].map(([k, s]) => [k, s.value, s.written]);
      } else {
        state[name] = { value: slot.value, written: slot.written };
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
      e.slots[index] = Array.isArray(value)
        ? new Map(value.map(([k, v, written]) => [k, { value: v, written }]))
        : { value: value.value, written: value.written };
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
