/**
 * `union`: merges streams of the same type; its watermark is the minimum of its inputs'.
 */
import type { Batch } from "../batch.js";
import { Operator } from "../runtime/operator.js";

export class UnionOperator extends Operator {
  constructor(step: string, inputs: number) {
    super(step, "union", inputs);
  }

  protected processBatch(batch: Batch<unknown>): void {
    this.pass(batch);
  }
}
