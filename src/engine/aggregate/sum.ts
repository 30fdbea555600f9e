/** The `sum` aggregator: the total of a numeric field. */
import type { Aggregator, NumberField } from "./aggregator.js";
import {
  addCompensated,
  type CompensatedSum,
  compensatedValue,
  mergeCompensated,
} from "./compensated-sum.js";
import { readNumber, readObject } from "./read-snapshot.js";

/** The accumulator of {@link sum}: a compensated running sum. */
export type SumAcc = CompensatedSum;

/**
 * Sums `field` over the records. Non-finite values (NaN, ±Infinity, or a missing
 * field read as `undefined`) are skipped, as SQL skips NULL.
 *
 * Result: the sum; `0` when empty or when every value was skipped. Uses compensated
 * (Neumaier) summation, so the result does not depend on the order of the records or
 * on how a window was split into panes, to within about one rounding.
 */
export function sum<In>(field: NumberField<In>): Aggregator<In, SumAcc, number> {
  return {
    create: () => ({ sum: 0, compensation: 0 }),
    add(acc, record) {
      const value = field(record);
      if (Number.isFinite(value)) addCompensated(acc, value);
      return acc;
    },
    merge(into, from) {
      mergeCompensated(into, from);
      return into;
    },
    result: compensatedValue,
    snapshot: (acc) => ({ sum: acc.sum, compensation: acc.compensation }),
    restore(snapshot) {
      const s = readObject(snapshot, "sum");
      return {
        sum: readNumber(s.sum, "sum", "sum"),
        compensation: readNumber(s.compensation, "sum", "compensation"),
      };
    },
  };
}
