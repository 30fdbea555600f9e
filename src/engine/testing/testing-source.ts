/**
 * A replayable in-memory source for tests: a script of records, watermarks and
 * clock moves, delivered in order.
 */
import type { ManualClock } from "../clock.js";
import type { Source, SourceContext, SourcePoll, SourceReader } from "../source.js";

/** One step of a testing source's script. */
export type TestingItem<T> =
  | {
      readonly kind: "record";
      readonly value: T;
      readonly time: number;
      readonly partition: number;
    }
  | { readonly kind: "watermark"; readonly time: number; readonly partition: number }
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "idle" };

/** A record with event time `time` on source partition `partition`. */
export function record<T>(value: T, time: number, partition = 0): TestingItem<T> {
  return { kind: "record", value, time, partition };
}

/** An explicit watermark: `partition` will deliver nothing older than `time`. */
export function watermark(time: number, partition = 0): TestingItem<never> {
  return { kind: "watermark", time, partition };
}

/** Moves the testing source's `ManualClock` forward by `ms`; the runtime then ticks. */
export function advanceClock(ms: number): TestingItem<never> {
  return { kind: "advance", ms };
}

/** One poll that returns nothing (the runtime ticks, as it would when input is quiet). */
export function idle(): TestingItem<never> {
  return { kind: "idle" };
}

export interface TestingSourceOptions {
  /** Source partitions; default: one more than the highest partition in the script. */
  readonly partitions?: number;
  /** Most records per batch; consecutive records of one partition are batched. Default 100. */
  readonly batchSize?: number;
  /** The clock that `advanceClock` items move. Required when the script has any. */
  readonly clock?: ManualClock;
  /** Stop before `end` and return `idle` forever (like a live source), until `stop()`. */
  readonly endless?: boolean;
}

/**
 * Delivers its script in order. Its position is the index of the next item, so
 * it is replayable: a job restored from a snapshot resumes after the last item
 * delivered, not at any of the same items.
 */
export class TestingSource<T> implements Source<T> {
  readonly description = "testing";
  readonly #items: readonly TestingItem<T>[];
  readonly #options: TestingSourceOptions;
  #stopped = false;
  #drained: (() => void) | null = null;
  readonly #whenDrained: Promise<void>;

  constructor(items: Iterable<TestingItem<T>>, options: TestingSourceOptions = {}) {
    this.#items = [...items];
    this.#options = options;
    this.#whenDrained = new Promise((resolve) => {
      this.#drained = resolve;
    });
    if (!options.clock && this.#items.some((i) => i.kind === "advance")) {
      throw new TypeError("TestingSource: advanceClock items need the `clock` option");
    }
  }

  /**
   * Resolves once an `endless` source has delivered its whole script and the job
   * has processed it (the job is polling again): the moment to take a snapshot.
   */
  whenDrained(): Promise<void> {
    return this.#whenDrained;
  }

  /** Makes an `endless` source end. */
  stop(): void {
    this.#stopped = true;
  }

  async open(context: SourceContext): Promise<SourceReader<T>> {
    const items = this.#items;
    const options = this.#options;
    let partitions = options.partitions ?? 1;
    for (const item of items) {
      if ((item.kind === "record" || item.kind === "watermark") && item.partition >= partitions) {
        partitions = item.partition + 1;
      }
    }
    const batchSize = options.batchSize ?? 100;
    const resume = context.resumeFrom?.get(0);
    let next = typeof resume === "number" ? resume : 0;
    const source = this;
    return {
      partitions,
      async poll(): Promise<SourcePoll<T>> {
        const item = items[next];
        if (item === undefined) {
          source.#drained?.();
          if (!options.endless || source.#stopped) return { kind: "end" };
          await new Promise((resolve) => setImmediate(resolve));
          return { kind: "idle" };
        }
        next++;
        switch (item.kind) {
          case "advance":
            options.clock!.advance(item.ms);
            return { kind: "idle" };
          case "idle":
            return { kind: "idle" };
          case "watermark":
            return item;
          case "record": {
            const values: T[] = [item.value];
            const times: number[] = [item.time];
            for (;;) {
              const more = items[next];
              if (more?.kind !== "record" || more.partition !== item.partition) break;
              if (values.length >= batchSize) break;
              values.push(more.value);
              times.push(more.time);
              next++;
            }
            return { kind: "batch", partition: item.partition, values, times };
          }
        }
      },
      positions: () => new Map([[0, next]]),
      async close() {},
    };
  }
}
