/**
 * `filter`: keeps the records for which a predicate holds.
 */
import type { Batch } from "../batch.js";
import { Operator } from "../runtime/operator.js";

export class FilterOperator extends Operator {
  constructor(
    step: string,
    private readonly predicate: (value: unknown) => boolean,
  ) {
    super(step, "filter", 1);
  }

  protected processBatch(batch: Batch<unknown>): void {
    const { values, times } = batch;
    const n = values.length;
    const predicate = this.predicate;
    // Most batches keep every record: find the first one dropped before copying anything.
    let i = 0;
    try {
      while (i < n && predicate(values[i])) i++;
    } catch (error) {
      this.deadLetter("step-error", error, values[i], times[i]!);
    }
    if (i === n) {
      this.pass(batch);
      return;
    }
    // Records `[0, j)` are kept. Once a record after the first dropped one is kept,
    // copies as long as the batch are made and the kept records moved to their front,
    // then cut to length: one allocation each, where pushing would grow them step by
    // step (and none at all when nothing more is kept).
    let j = i;
    let out: unknown[] | null = null;
    let outTimes: number[] | null = null;
    i++; // dropped, or dead-lettered above
    while (i < n) {
      try {
        for (; i < n; i++) {
          if (predicate(values[i])) {
            if (out === null) {
              out = values.slice();
              outTimes = times.slice();
            }
            out[j] = values[i];
            outTimes![j++] = times[i]!;
          }
        }
      } catch (error) {
        this.deadLetter("step-error", error, values[i], times[i]!);
        i++;
      }
    }
    if (out === null || outTimes === null) {
      out = values.slice(0, j);
      outTimes = times.slice(0, j);
    }
    out.length = j;
    outTimes.length = j;
    this.pass({ values: out, times: outTimes, channel: batch.channel });
  }
}
