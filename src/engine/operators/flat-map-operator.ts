/**
 * `flatMap`: zero or more output records per input record, each with the input's
 * event time.
 */
import type { Batch } from "../batch.js";
import { Operator } from "../runtime/operator.js";

export class FlatMapOperator extends Operator {
  constructor(
    step: string,
    private readonly fn: (value: unknown) => Iterable<unknown>,
  ) {
    super(step, "flatMap", 1);
  }

  protected processBatch(batch: Batch<unknown>): void {
    const { values, times } = batch;
    const n = values.length;
    const out: unknown[] = [];
    const outTimes: number[] = [];
    const fn = this.fn;
    for (let i = 0; i < n; i++) {
      const t = times[i]!;
      try {
        const produced = fn(values[i]);
        if (Array.isArray(produced)) {
          for (const v of produced) {
            out.push(v);
            outTimes.push(t);
          }
        } else {
          for (const v of produced) {
            out.push(v);
            outTimes.push(t);
          }
        }
      } catch (error) {
        this.deadLetter("step-error", error, values[i], t);
      }
    }
    this.pass({ values: out, times: outTimes, channel: batch.channel });
  }
}
