/**
 * The step that hands batches to a sink writer.
 */
import type { Batch } from "../batch.js";
import { Operator } from "../runtime/operator.js";
import type { SinkWriter } from "../sink.js";

export class SinkOperator extends Operator {
  writer: SinkWriter<unknown> | null = null;

  constructor(step: string) {
    super(step, "sink", 1);
  }

  protected processBatch(batch: Batch<unknown>): void {
    this.writer!.write(batch);
    this.metrics.recordsOut += batch.values.length;
  }

  protected override onWatermark(time: number): void {
    this.writer?.watermark?.(time);
  }
}
