/**
 * The base of every running step. The runtime pushes batches, watermarks and
 * processing-time ticks into operators synchronously; an operator collects its
 * output while it works and the base class hands it downstream afterwards, so
 * that watermarks always follow the records they cover and each step's timing
 * excludes its downstream.
 */
import { type Batch, MIXED_CHANNEL } from "../batch.js";
import type { Clock } from "../clock.js";
import { DEAD_LETTERS, type DeadLetter, type LateReason, type LateRecord } from "../output-tag.js";
import { StepMetrics, type StepProgress } from "../metrics/step-metrics.js";
import type { Key } from "../partition.js";

/** A connection from an operator's output to an input of another. */
export interface Edge {
  readonly target: Operator;
  readonly input: number;
}

/** What operators may use of the runtime. */
export interface OperatorContext {
  readonly clock: Clock;
  /** Number of key partitions of the dataflow. */
  readonly partitions: number;
}

/** State of one step: keyed state per partition, plus state that belongs to no key. */
export interface StepSnapshot {
  readonly partitions: ReadonlyMap<number, unknown>;
  readonly shared?: unknown;
}

/**
 * One key's state in a checkpoint delta; `state: null` means the key has no state
 * any more. `json`, when present, is the state already serialised (captured before
 * the key changed again), and then it is what a checkpoint writes: `state` is only a
 * non-null placeholder (keyed steps keep no object copy of a captured key).
 */
export interface KeyDelta {
  readonly partition: number;
  readonly key: Key;
  readonly state: unknown;
  readonly json?: string;
}

/**
 * What changed in a step since its previous delta, plus its shared state in full.
 * With `complete`, `keys` is still filling in: call `complete(limit)` until it
 * returns true (it captures up to `limit` more keys per call); keys are also
 * captured on their own just before they change.
 */
export interface StepDelta {
  /** Keys captured so far; the job takes them out (`splice`) as it writes them. */
  readonly keys: KeyDelta[];
  readonly shared?: unknown;
  readonly complete?: (limit: number) => boolean;
}

/** Tag id of the late output of windows and joins. */
export const LATE_OUTPUT = "late";

const MAIN = "";

class OutputBuffer {
  values: unknown[] = [];
  times: number[] = [];
}

/** A running step. Subclasses implement `processBatch` and may override the hooks. */
export abstract class Operator {
  readonly metrics: StepMetrics;
  /** Output watermark: no record older than this will be emitted any more. */
  watermark = Number.NEGATIVE_INFINITY;
  protected readonly inputWatermarks: number[];
  protected context!: OperatorContext;
  readonly #edges = new Map<string, Edge[]>();
  #main = new OutputBuffer();
  #side = new Map<string, OutputBuffer>();
  #passed: Batch<unknown> | null = null;

  constructor(
    readonly step: string,
    kind: string,
    inputs: number,
  ) {
    this.metrics = new StepMetrics(step, kind);
    this.inputWatermarks = new Array<number>(inputs).fill(Number.NEGATIVE_INFINITY);
  }

  /** Connects output `tag` (`""` for the main output) to `target`'s input `input`. */
  connect(tag: string, target: Operator, input: number): void {
    const list = this.#edges.get(tag) ?? [];
    list.push({ target, input });
    this.#edges.set(tag, list);
  }

  /** Called once before any data, with the runtime's services. */
  open(context: OperatorContext): void {
    this.context = context;
  }

  /** Entry point of a batch from upstream. */
  receiveBatch(batch: Batch<unknown>, input: number): void {
    const started = performance.now();
    this.metrics.recordsIn += batch.values.length;
    this.processBatch(batch, input);
    this.metrics.recordBatch(performance.now() - started);
    this.flush(batch.channel);
  }

  /** Entry point of a watermark from upstream; the output watermark is the minimum over inputs. */
  receiveWatermark(time: number, input: number): void {
    const current = this.inputWatermarks[input] ?? Number.NEGATIVE_INFINITY;
    if (time <= current) return;
    this.inputWatermarks[input] = time;
    let min = Number.POSITIVE_INFINITY;
    for (const w of this.inputWatermarks) if (w < min) min = w;
    if (min > this.watermark) this.advanceWatermark(min);
  }

  /** Entry point of a processing-time tick. */
  tick(now: number): void {
    this.onProcessingTime(now);
    this.flush(MIXED_CHANNEL);
  }

  /** Progress of this step. */
  progress(): StepProgress {
    return this.metrics.read(this.watermark, this.stateSize());
  }

  /** Keyed state and shared state of this step, or `undefined` when it keeps none. */
  snapshotState(): StepSnapshot | undefined {
    return undefined;
  }

  /**
   * What changed since the previous call (or since the start, or the restore): the
   * keys to write and the keys to delete, and the shared state in full. This is
   * what incremental checkpoints are made of.
   */
  snapshotDelta(): StepDelta | undefined {
    const full = this.snapshotState();
    if (full === undefined) return undefined;
    const keys: KeyDelta[] = [];
    for (const [partition, list] of full.partitions) {
      for (const { key, state } of list as { key: Key; state: unknown }[]) {
        keys.push({ partition, key, state });
      }
    }
    return { keys, shared: full.shared };
  }

  /** Restores what `snapshotState` returned (possibly only some partitions). */
  restoreState(_snapshot: StepSnapshot): void {}

  /** Number of keys or entries in state. */
  stateSize(): number {
    return 0;
  }

  /**
   * True while the step has work left over from a push that it does in slices (a
   * window step firing a closing slide a few hundred keys at a time), holding its
   * output watermark back meanwhile. The runtime then calls `continueWork` between
   * pushes, never while a checkpoint's barrier holds the dataflow.
   */
  hasPendingWork(): boolean {
    return false;
  }

  /** Does the next slice of the pending work and emits its output (and, at the end, the watermark). */
  continueWork(): void {}

  protected abstract processBatch(batch: Batch<unknown>, input: number): void;

  /** Called when the input watermark advances, before it is passed downstream. */
  protected onWatermark(_time: number): void {}

  /** Called on every processing-time tick of the runtime. */
  protected onProcessingTime(_now: number): void {}

  /** Sets the watermark to `time`, runs `onWatermark`, emits its output, then forwards the watermark. */
  protected advanceWatermark(time: number): void {
    this.watermark = time;
    this.onWatermark(time);
    this.flush(MIXED_CHANNEL);
    const edges = this.#edges.get(MAIN);
    if (edges) for (const e of edges) e.target.receiveWatermark(time, e.input);
    for (const [tag, list] of this.#edges) {
      if (tag === MAIN) continue;
      for (const e of list) e.target.receiveWatermark(time, e.input);
    }
  }

  /** Emits one record on the main output after the current call returns. */
  protected collect(value: unknown, time: number): void {
    this.#main.values.push(value);
    this.#main.times.push(time);
  }

  /** Emits a whole batch on the main output (instead of `collect`). */
  protected pass(batch: Batch<unknown>): void {
    this.#passed = batch;
  }

  /** Emits one record on side output `tag`. */
  protected collectSide(tag: string, value: unknown, time: number): void {
    let buffer = this.#side.get(tag);
    if (!buffer) {
      buffer = new OutputBuffer();
      this.#side.set(tag, buffer);
    }
    buffer.values.push(value);
    buffer.times.push(time);
  }

  /** Sends a record this step could not process to its dead-letter output, counted. */
  protected deadLetter(reason: string, error: unknown, value: unknown, time: number): void {
    this.metrics.deadLetters++;
    const message = error instanceof Error ? error.message : String(error);
    const letter: DeadLetter = { step: this.step, reason, message, value, time };
    this.collectSide(DEAD_LETTERS.id, letter, time);
  }

  /** Sends a record that arrived too late to the late output, counted. */
  protected lateRecord(value: unknown, time: number, reason: LateReason): void {
    this.metrics.lateRecords++;
    const late: LateRecord<unknown> = {
      step: this.step,
      reason,
      value,
      time,
      watermark: this.watermark,
    };
    this.collectSide(LATE_OUTPUT, late, time);
  }

  #emit(tag: string, batch: Batch<unknown>): void {
    const edges = this.#edges.get(tag);
    if (!edges) return;
    for (const e of edges) e.target.receiveBatch(batch, e.input);
  }

  protected flush(channel: number): void {
    const passed = this.#passed;
    if (passed !== null) {
      this.#passed = null;
      if (passed.values.length > 0) {
        this.metrics.recordsOut += passed.values.length;
        this.#emit(MAIN, passed);
      }
    }
    const main = this.#main;
    if (main.values.length > 0) {
      this.#main = new OutputBuffer();
      this.metrics.recordsOut += main.values.length;
      this.#emit(MAIN, { values: main.values, times: main.times, channel });
    }
    if (this.#side.size > 0) {
      const side = this.#side;
      this.#side = new Map();
      for (const [tag, buffer] of side) {
        this.#emit(tag, { values: buffer.values, times: buffer.times, channel });
      }
    }
  }
}
