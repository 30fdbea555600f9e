/** The `avg` aggregator: the arithmetic mean of a numeric field. */
import type { Aggregator, NumberField } from "./aggregator.js";
import {
  addCompensated,
  type CompensatedSum,
  compensatedValue,
  mergeCompensated,
} from "./compensated-sum.js";
import { readCount, readNumber, readObject } from "./read-snapshot.js";

/** The accumulator of {@link avg}: how many values were added and their compensated sum. */
export interface AvgAcc extends CompensatedSum {
  n: number;
}

/**
 * The mean of `field` over the records. Non-finite values (NaN, ±Infinity, or a
 * missing field read as `undefined`) are skipped and do not count towards `n`.
 *
 * Result: the mean; `null` when no value was added. The sum is compensated (see
 * {@link sum}), so merged panes agree with one-by-one aggregation to about one rounding.
 */
export function avg<In>(field: NumberField<In>): Aggregator<In, AvgAcc, number | null> {
  return {
    create: () => ({ n: 0, sum: 0, compensation: 0 }),
    add(acc, record) {
      const value = field(record);
      if (Number.isFinite(value)) {
        acc.n += 1;
        addCompensated(acc, value);
      }
      return acc;
    },
    merge(into, from) {
      into.n += from.n;
      mergeCompensated(into, from);
      return into;
    },
    result: (acc) => (acc.n === 0 ? null : compensatedValue(acc) / acc.n),
    snapshot: (acc) => ({ n: acc.n, sum: acc.sum, compensation: acc.compensation }),
    restore(snapshot) {
      const s = readObject(snapshot, "avg");
      return {
        n: readCount(s.n, "avg", "n"),
        sum: readNumber(s.sum, "avg", "sum"),
        compensation: readNumber(s.compensation, "avg", "compensation"),
      };
    },
  };
}
