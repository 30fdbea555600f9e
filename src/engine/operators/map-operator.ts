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
    const outTimes = new Array<number>(n);
    const fn = this.fn;
    let j = 0;
    for (let i = 0; i < n; ) {
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
    outTimes.length = j;
    this.pass({ values: out, times: outTimes, channel: batch.channel });
  }
}
