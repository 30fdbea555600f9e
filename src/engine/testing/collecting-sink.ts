/**
 * A sink for tests that keeps everything written to it, in order.
 */
import type { Batch } from "../batch.js";
import type { Sink, SinkWriter } from "../sink.js";

/** A collected record with its event time. */
export interface Collected<T> {
  readonly value: T;
  readonly time: number;
}

/** Collects every record; `values` and `records` are readable during and after the run. */
export class CollectingSink<T> implements Sink<T> {
  readonly description = "collecting";
  readonly records: Collected<T>[] = [];
  flushes = 0;
  closed = false;

  get values(): T[] {
    return this.records.map((r) => r.value);
  }

  async open(): Promise<SinkWriter<T>> {
    this.closed = false;
    return {
      write: (batch: Batch<T>) => {
        for (let i = 0; i < batch.values.length; i++) {
          this.records.push({ value: batch.values[i] as T, time: batch.times[i]! });
        }
      },
      flush: async () => {
        this.flushes++;
      },
      close: async () => {
        this.closed = true;
      },
    };
  }
}
