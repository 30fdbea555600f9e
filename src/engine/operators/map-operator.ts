/**
 * `map`: one output record per input record, event time unchanged.
 */
import type { Batch } from "../batch.js";
import { Operator } from "../runtime/operator.js";

export class MapOperator extends Operator {
  constructor(
    step: string,
    private readonly fn: (value: unknown) => unknown,
  ) {
    super(step, "map", 1);
  }

  protected processBatch(batch: Batch<unknown>): void {
    const { values, times } = batch;
    const n = values.length;
    const out = new Array<unknown>(n);
    const fn = this.fn;
    let i = 0;
    let failed = false;
    try {
      for (; i < n; i++) out[i] = fn(values[i]);
    } catch (error) {
      failed = true;
      this.deadLetter("step-error", error, values[i], times[i]!);
    }
    if (!failed) {
      // Every record mapped: the event times are the input's, shared rather than copied.
      this.pass({ values: out, times, channel: batch.channel });
      return;
    }
    // Record `i` failed: map the rest, leaving the failed records out.
    const outTimes = times.slice(0, i);
    let j = i++;
    while (i < n) {
      try {
        for (; i < n; i++) {
          out[j] = fn(values[i]);
          outTimes[j++] = times[i]!;
        }
      } catch (error) {
        this.deadLetter("step-error", error, values[i], times[i]!);
        i++;
      }
    }
    out.length = j;
    this.pass({ values: out, times: outTimes, channel: batch.channel });
  }
}
