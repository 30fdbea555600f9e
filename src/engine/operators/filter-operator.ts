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
    const out: unknown[] = values.slice(0, i);
    const outTimes: number[] = times.slice(0, i);
    i++; // dropped, or dead-lettered above
    while (i < n) {
      try {
        for (; i < n; i++) {
          if (predicate(values[i])) {
            out.push(values[i]);
            outTimes.push(times[i]!);
          }
        }
      } catch (error) {
        this.deadLetter("step-error", error, values[i], times[i]!);
        i++;
      }
    }
    this.pass({ values: out, times: outTimes, channel: batch.channel });
  }
}
