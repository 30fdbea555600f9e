/**
 * The `variance` and `stddev` aggregators: sample variance and sample standard
 * deviation of a numeric field, computed with Welford's online update and merged with
 * the parallel formula of Chan, Golub and LeVeque. Both are numerically stable for
 * readings with a large offset and a small spread (e.g. 101325.12 Pa ± 0.05), where the
 * textbook `Σx² − (Σx)²/n` cancels catastrophically.
 */
import type { Aggregator, NumberField } from "./aggregator.js";
import { addMoment, addMomentAt, mergeMoments, mergeMomentsAt } from "./moments.js";
import { malformedSnapshot, readCount, readNumber, readObject } from "./read-snapshot.js";

/**
 * The accumulator of {@link variance} and {@link stddev}: the number of values `n`,
 * their mean and `m2`, the sum of squared differences from the mean.
 */
export interface VarianceAcc {
  n: number;
  mean: number;
  m2: number;
}

/**
 * The sample variance (divisor `n − 1`, as SQL's `var_samp`) of `field` over the
 * records. Non-finite values (NaN, ±Infinity, or a missing field read as `undefined`)
 * are skipped and do not count towards `n`.
 *
 * Result: the variance; `null` when fewer than 2 values were added. Agrees with
 * DuckDB's `var_samp` to 1e-9 relative; merged panes agree with one-by-one
 * aggregation to a few roundings.
 */
export function variance<In>(field: NumberField<In>): Aggregator<In, VarianceAcc, number | null> {
  return moments(field, "variance", false);
}

/**
 * The sample standard deviation (`√variance`, as SQL's `stddev_samp`) of `field` over
 * the records; see {@link variance} for skipped values and accuracy.
 *
 * Result: the standard deviation; `null` when fewer than 2 values were added.
 */
export function stddev<In>(field: NumberField<In>): Aggregator<In, VarianceAcc, number | null> {
  return moments(field, "stddev", true);
}

function moments<In>(
  field: NumberField<In>,
  name: string,
  root: boolean,
): Aggregator<In, VarianceAcc, number | null> {
  const restore = (snapshot: unknown): VarianceAcc => {
    const s = readObject(snapshot, name);
    const m2 = readNumber(s.m2, name, "m2");
    if (m2 < 0) throw malformedSnapshot(name, `m2 must not be negative, got ${m2}`);
    return { n: readCount(s.n, name, "n"), mean: readNumber(s.mean, name, "mean"), m2 };
  };
  return {
    create: () => ({ n: 0, mean: 0, m2: 0 }),
    add(acc, record) {
      const value = field(record);
      if (Number.isFinite(value)) addMoment(acc, value);
      return acc;
    },
    merge(into, from) {
      mergeMoments(into, from);
      return into;
    },
    result(acc) {
      if (acc.n < 2) return null;
      const value = acc.m2 / (acc.n - 1);
      return root ? Math.sqrt(value) : value;
    },
    snapshot: (acc) => ({ n: acc.n, mean: acc.mean, m2: acc.m2 }),
    restore,
    // In place: n, the mean, M2.
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
        if (Number.isFinite(value)) addMomentAt(n, i, value);
      },
      merge(n, i, _r, _j, fn, fi) {
        mergeMomentsAt(n, i, fn, fi);
      },
      result(n, i) {
        if (n[i]! < 2) return null;
        const value = n[i + 2]! / (n[i]! - 1);
        return root ? Math.sqrt(value) : value;
      },
      snapshot: (n, i) => ({ n: n[i]!, mean: n[i + 1]!, m2: n[i + 2]! }),
      restore(snapshot, n, i) {
        const acc = restore(snapshot);
        n[i] = acc.n;
        n[i + 1] = acc.mean;
        n[i + 2] = acc.m2;
      },
    },
  };
}
