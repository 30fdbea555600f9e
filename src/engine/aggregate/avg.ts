/** The `avg` aggregator: the arithmetic mean of a numeric field. */
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
  const restore = (snapshot: unknown): AvgAcc => {
    const s = readObject(snapshot, "avg");
    return {
      n: readCount(s.n, "avg", "n"),
      sum: readNumber(s.sum, "avg", "sum"),
      compensation: readNumber(s.compensation, "avg", "compensation"),
    };
  };
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
    restore,
    // In place: n, the sum, its compensation.
    packed: {
      numbers: 3,
      refs: 0,
      init(n, i) {
        n[i] = 0;
        n[i + 1] = 0;
        n[i + 2] = 0;
      },
      add(n, i, _r, _j, record) {
        const value = field(record);
        if (Number.isFinite(value)) {
          n[i] = n[i]! + 1;
          addCompensatedAt(n, i + 1, value);
        }
      },
      merge(n, i, _r, _j, fn, fi) {
        n[i] = n[i]! + fn[fi]!;
        mergeCompensatedAt(n, i + 1, fn, fi + 1);
      },
      result: (n, i) => (n[i] === 0 ? null : compensatedValueAt(n, i + 1) / n[i]!),
      snapshot: (n, i) => ({ n: n[i]!, sum: n[i + 1]!, compensation: n[i + 2]! }),
      restore(snapshot, n, i) {
        const acc = restore(snapshot);
        n[i] = acc.n;
        n[i + 1] = acc.sum;
        n[i + 2] = acc.compensation;
      },
    },
  };
}
