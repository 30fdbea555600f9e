/**
 * An in-memory source for benchmarks: hands over batches that were cut before the
 * clock started, so a benchmark measures the engine, not the producer of its input.
 */
import type { Source, SourcePoll, SourceReader } from "../src/engine/index.js";

/** One pre-cut batch: records and their event times. */
export interface MemoryBatch<T> {
  readonly values: readonly T[];
  readonly times: readonly number[];
}

/**
 * Delivers `batches` in order on partition 0, then ends. Not replayable: it reports no
 * positions. Each `open` starts from the first batch again, so one source can serve
 * several runs.
 */
export class MemorySource<T> implements Source<T> {
  readonly description = "memory";

  constructor(private readonly batches: readonly MemoryBatch<T>[]) {}

  async open(): Promise<SourceReader<T>> {
    const batches = this.batches;
    let next = 0;
    return {
      partitions: 1,
      async poll(): Promise<SourcePoll<T>> {
        const batch = batches[next++];
        if (batch === undefined) return { kind: "end" };
        return { kind: "batch", partition: 0, values: batch.values, times: batch.times };
      },
      async close() {},
    };
  }
}

/** Cuts parallel arrays of records and times into batches of `size`. */
export function cutBatches<T>(values: readonly T[], times: readonly number[], size: number) {
  const batches: MemoryBatch<T>[] = [];
  for (let i = 0; i < values.length; i += size) {
    batches.push({ values: values.slice(i, i + size), times: times.slice(i, i + size) });
  }
  return batches;
}
