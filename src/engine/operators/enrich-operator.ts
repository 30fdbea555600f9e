/**
 * `enrich`: joins each record with the current row of a lookup table.
 */
import type { Batch } from "../batch.js";
import type { Key } from "../partition.js";
import { Operator } from "../runtime/operator.js";
import type { LookupTable } from "../state/lookup-table.js";

export class EnrichOperator extends Operator {
  constructor(
    step: string,
    private readonly table: LookupTable<Key, unknown>,
    private readonly lookupKey: (value: unknown) => Key,
    private readonly combine: (value: unknown, row: unknown) => unknown,
  ) {
    super(step, "enrich", 1);
  }

  protected processBatch(batch: Batch<unknown>): void {
    const { values, times } = batch;
    const { table, lookupKey, combine } = this;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      try {
        this.collect(combine(value, table.get(lookupKey(value))), times[i]!);
      } catch (error) {
        this.deadLetter("step-error", error, value, times[i]!);
      }
    }
  }

  override stateSize(): number {
    return this.table.size;
  }
}
