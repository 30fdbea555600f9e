/**
 * Keyed process functions: the building block of stateful detectors, equipment
 * tracking and alarm lifecycles. One function instance serves every key; the
 * context tells which key is current and gives that key's state and timers.
 */
import type { Key } from "../partition.js";
import type { OutputTag } from "../output-tag.js";
import type { MapStateDescriptor, ValueStateDescriptor } from "./state-descriptor.js";

/** One key's single value. `get` returns `undefined` when unset or expired. */
export interface ValueState<T> {
  get(): T | undefined;
  set(value: T): void;
  clear(): void;
}

/** One key's map. Expired entries are invisible. */
export interface MapState<MK, MV> {
  get(key: MK): MV | undefined;
  set(key: MK, value: MV): void;
  delete(key: MK): boolean;
  has(key: MK): boolean;
  entries(): IterableIterator<[MK, MV]>;
  readonly size: number;
  clear(): void;
}

/** Timers of the current key. Registering the same time twice registers one timer. */
export interface TimerService {
  /** Fires once the watermark reaches `time` (every record earlier than `time` has been seen). */
  registerEventTime(time: number): void;
  deleteEventTime(time: number): void;
  /** Fires on the first runtime tick at or after `time` on the injected clock. */
  registerProcessingTime(time: number): void;
  deleteProcessingTime(time: number): void;
}

/** What a process function sees while it handles a record or a timer. */
export interface ProcessContext<K extends Key, Out> {
  readonly key: K;
  /** Event time of the current record, or the time of the firing timer. */
  readonly timestamp: number;
  /** The step's current watermark. */
  readonly watermark: number;
  /** The injected clock's current time. */
  readonly processingTime: number;
  readonly timers: TimerService;
  state<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  state<MK, MV>(descriptor: MapStateDescriptor<MK, MV>): MapState<MK, MV>;
  /** Emits on the main output, with event time `time` (default: the context's timestamp). */
  emit(value: Out, time?: number): void;
  /** Emits on side output `tag`. */
  output<S>(tag: OutputTag<S>, value: S, time?: number): void;
}

/** The context of a firing timer. */
export interface TimerContext<K extends Key, Out> extends ProcessContext<K, Out> {
  readonly timeDomain: "event" | "processing";
}

/**
 * A keyed process function. `processElement` runs for every record of a key;
 * `onTimer` when one of the key's timers fires. Errors thrown by either send the
 * record (or timer) to the step's dead-letter output; they never stop the job.
 */
export interface KeyedProcessFunction<K extends Key, In, Out> {
  processElement(value: In, context: ProcessContext<K, Out>): void;
  onTimer?(time: number, context: TimerContext<K, Out>): void;
}
