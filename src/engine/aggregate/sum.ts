/** The `sum` aggregator: the total of a numeric field. */
import type { Aggregator, NumberField } from "./aggregator.js";
import {
  addCompensated,
  addCompensatedAt,
  type CompensatedSum,
  compensatedValue,
  compensatedValueAt,
  mergeCompensated,
  mergeCompensatedAt,
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
  const restore = (snapshot: unknown): SumAcc => {
    const s = readObject(snapshot, "sum");
    return {
      sum: readNumber(s.sum, "sum", "sum"),
      compensation: readNumber(s.compensation, "sum", "compensation"),
    };
  };
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
    restore,
    // In place: the sum, then its compensation.
    packed: {
      numbers: 2,
      refs: 0,
      init(n, i) {
        n[i] = 0;
        n[i + 1] = 0;
      },
      add(n, i, _r, _j, record) {
        const value = field(record);
        if (Number.isFinite(value)) addCompensatedAt(n, i, value);
      },
      merge(n, i, _r, _j, fn, fi) {
        mergeCompensatedAt(n, i, fn, fi);
      },
      result: (n, i) => compensatedValueAt(n, i),
      snapshot: (n, i) => ({ sum: n[i]!, compensation: n[i + 1]! }),
      restore(snapshot, n, i) {
        const acc = restore(snapshot);
        n[i] = acc.sum;
        n[i + 1] = acc.compensation;
      },
    },
  };
}
