/**
 * The pipeline API. A `Stream<T>` is an immutable value: every method returns a
 * new stream and leaves the old one usable, so a definition can branch (one parsed
 * stream feeding detectors, dashboards and an archive) and be reused in tests.
 * Every step has a name; names key state in checkpoints and label metrics, so
 * keep them stable.
 */
import type { Aggregator } from "../aggregate/aggregator.js";
import { PipelineDefinitionError } from "../errors.js";
import { DEAD_LETTERS, type DeadLetter, type LateRecord, OutputTag } from "../output-tag.js";
import type { Key } from "../partition.js";
import { LATE_OUTPUT } from "../runtime/operator.js";
import type { Sink } from "../sink.js";
import type { Source } from "../source.js";
import type { KeyedProcessFunction } from "../state/keyed-process-function.js";
import type { LookupTable } from "../state/lookup-table.js";
import type { WatermarkOptions } from "../time/watermark-options.js";
import type { WindowOptions, WindowResult } from "../window/window-result.js";
import type { WindowSpec } from "../window/window-spec.js";
import type { StreamNode } from "./stream-node.js";

const LATE = new OutputTag<LateRecord<unknown>>(LATE_OUTPUT);

function checkName(name: string): string {
  if (typeof name !== "string" || name.trim() === "") {
    throw new PipelineDefinitionError(
      `every step needs a non-empty name, got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/** The end of a branch: records written to a sink. Pass it to `dataflow`. */
export class SinkStep {
  constructor(readonly node: StreamNode & { kind: "sink" }) {
    Object.freeze(this);
  }
}

/** A stream of records of type `T` with event times. */
export class Stream<T> {
  constructor(readonly node: StreamNode) {
    Object.freeze(this);
  }

  /** Transforms each record; a thrown error sends the record to the dead-letter output. */
  map<U>(name: string, fn: (value: T) => U): Stream<U> {
    return new Stream({ kind: "map", name: checkName(name), parent: this.node, fn: fn as never });
  }

  /** Keeps the records for which `predicate` is true. */
  filter<S extends T>(name: string, predicate: (value: T) => value is S): Stream<S>;
  filter(name: string, predicate: (value: T) => boolean): Stream<T>;
  filter(name: string, predicate: (value: T) => boolean): Stream<T> {
    return new Stream({
      kind: "filter",
      name: checkName(name),
      parent: this.node,
      fn: predicate as never,
    });
  }

  /** Zero or more records per record, each with the input's event time. */
  flatMap<U>(name: string, fn: (value: T) => Iterable<U>): Stream<U> {
    return new Stream({
      kind: "flatMap",
      name: checkName(name),
      parent: this.node,
      fn: fn as never,
    });
  }

  /**
   * Re-stamps records with event times and generates watermarks per source
   * partition, replacing upstream watermarks (use it after parsing raw input).
   */
  withEventTime(name: string, options: WatermarkOptions<T>): Stream<T> {
    return new Stream({
      kind: "withEventTime",
      name: checkName(name),
      parent: this.node,
      options: options as WatermarkOptions<unknown>,
    });
  }

  /** Merges this stream with others of the same type; the watermark is their minimum. */
  union(name: string, ...others: Stream<T>[]): Stream<T> {
    return new Stream({
      kind: "union",
      name: checkName(name),
      parents: [this.node, ...others.map((o) => o.node)],
    });
  }

  /** Partitions the stream by key, for windows, keyed process functions and joins. */
  keyBy<K extends Key>(key: (value: T) => K): KeyedStream<T, K> {
    return new KeyedStream(this, key);
  }

  /**
   * Joins each record with the row of `table` under `lookupKey(record)` (or
   * `undefined` when the table has none), as the table is at that moment.
   */
  enrich<TK extends Key, R, U>(
    name: string,
    table: LookupTable<TK, R>,
    lookupKey: (value: T) => TK,
    combine: (value: T, row: R | undefined) => U,
  ): Stream<U> {
    return new Stream({
      kind: "enrich",
      name: checkName(name),
      parent: this.node,
      table: table as LookupTable<Key, unknown>,
      lookupKey: lookupKey as never,
      combine: combine as never,
    });
  }

  /** The records this stream's step wrote to side output `tag`. */
  sideOutput<S>(tag: OutputTag<S>): Stream<S> {
    if (this.node.kind === "side" || this.node.kind === "sink") {
      throw new PipelineDefinitionError(`"${this.node.name}" has no side outputs`);
    }
    return new Stream({
      kind: "side",
      name: `${this.node.name}.${tag.id}`,
      parent: this.node,
      tag: tag.id,
    });
  }

  /** Records this step could not process, with the reason. */
  deadLetters(): Stream<DeadLetter> {
    return this.sideOutput(DEAD_LETTERS);
  }

  /** Writes the stream to `sink`. */
  to(name: string, sink: Sink<T>): SinkStep {
    return new SinkStep({
      kind: "sink",
      name: checkName(name),
      parent: this.node,
      sink: sink as Sink<unknown>,
    });
  }
}

/** The output of a window or join step, which also has a late output. */
export class LateAwareStream<T, In> extends Stream<T> {
  /** Records that arrived after every window (or join bound) they belonged to had closed. */
  late(): Stream<LateRecord<In>> {
    return this.sideOutput(LATE) as Stream<LateRecord<In>>;
  }
}

/** A stream partitioned by key. */
export class KeyedStream<T, K extends Key> {
  constructor(
    readonly stream: Stream<T>,
    readonly key: (value: T) => K,
  ) {
    Object.freeze(this);
  }

  /** Aggregates each key's records over event-time windows. */
  window<R>(
    name: string,
    spec: WindowSpec,
    // biome-ignore lint/suspicious/noExplicitAny: the accumulator type is the aggregator's own
    aggregator: Aggregator<T, any, R>,
    options: WindowOptions = {},
  ): LateAwareStream<WindowResult<K, R>, T> {
    if (options.allowedLateness !== undefined && !(options.allowedLateness >= 0)) {
      throw new PipelineDefinitionError(`step "${name}": allowedLateness must be >= 0 ms`);
    }
    if (options.earlyUpdates !== undefined && !(options.earlyUpdates > 0)) {
      throw new PipelineDefinitionError(`step "${name}": earlyUpdates must be > 0 ms`);
    }
    return new LateAwareStream({
      kind: "window",
      name: checkName(name),
      parent: this.stream.node,
      key: this.key as never,
      spec,
      aggregator,
      options,
    });
  }

  /** Runs a stateful function per record of each key, with state and timers. */
  process<Out>(name: string, fn: KeyedProcessFunction<K, T, Out>): Stream<Out> {
    return new Stream({
      kind: "process",
      name: checkName(name),
      parent: this.stream.node,
      key: this.key as never,
      fn: fn as never,
    });
  }

  /**
   * Pairs each record of this stream at time t with every record of `other` of
   * the same key whose time lies in `[t + lower, t + upper]`. Buffered records are
   * dropped once the watermark makes a match impossible.
   */
  intervalJoin<U, Out>(
    name: string,
    other: KeyedStream<U, K>,
    bounds: { lower: number; upper: number },
    combine: (left: T, right: U, key: K) => Out,
  ): LateAwareStream<Out, T | U> {
    if (!(bounds.lower <= bounds.upper)) {
      throw new PipelineDefinitionError(
        `step "${name}": interval join lower bound ${bounds.lower} exceeds upper bound ${bounds.upper}`,
      );
    }
    return new LateAwareStream({
      kind: "intervalJoin",
      name: checkName(name),
      parents: [this.stream.node, other.stream.node],
      keys: [this.key as never, other.key as never],
      lower: bounds.lower,
      upper: bounds.upper,
      combine: combine as never,
    });
  }
}

/** Starts a pipeline: records from `source`, with event times as `options` say. */
export function source<T>(
  name: string,
  src: Source<T>,
  options: WatermarkOptions<T> = {},
): Stream<T> {
  return new Stream({
    kind: "source",
    name: checkName(name),
    source: src as Source<unknown>,
    options: options as WatermarkOptions<unknown>,
  });
}
