/**
 * `summary(field)`: count, sum, mean, min, max, variance and standard deviation of a
 * field in one accumulator — what `count`, `sum`, `avg`, `min`, `max` and `stddev`
 * give together, with one object and one field read per record instead of six.
 */
import type { Aggregator, NumberField } from "./aggregator.js";
import { addCompensated, compensatedValue, mergeCompensated } from "./compensated-sum.js";
import { addMoment, mergeMoments } from "./moments.js";
import {
  malformedSnapshot,
  readCount,
  readNumber,
  readNumberOrNull,
  readObject,
} from "./read-snapshot.js";

/** The accumulator of {@link summary}: a flat object of numbers. */
export interface SummaryAcc {
  /** Finite values seen. */
  n: number;
  /** Compensated sum of the values (as `sum`). */
  sum: number;
  compensation: number;
  min: number;
  max: number;
  /** Welford's running mean and sum of squared deviations (as `variance`). */
  mean: number;
  m2: number;
}

/** The result of {@link summary}; every field but `count` and `sum` is `null` when empty. */
export interface Summary {
  readonly count: number;
  readonly sum: number;
  readonly avg: number | null;
  readonly min: number | null;
  readonly max: number | null;
  /** Sample variance (n − 1); `null` below two values. */
  readonly variance: number | null;
  /** Sample standard deviation; `null` below two values. */
  readonly stddev: number | null;
}

const NAME = "summary";

/**
 * Summary statistics of `field`. Non-finite values are skipped, as by the single
 * aggregators; each result field equals the single aggregator's result on the same
 * input (`avg` is the compensated sum over `count`, `stddev` Welford's).
 */
export function summary<In>(field: NumberField<In>): Aggregator<In, SummaryAcc, Summary> {
  return {
    create: () => ({
      n: 0,
      sum: 0,
      compensation: 0,
      min: Number.POSITIVE_INFINITY,
      max: Number.NEGATIVE_INFINITY,
      mean: 0,
      m2: 0,
    }),
    add(acc, record) {
      const value = field(record);
      if (!Number.isFinite(value)) return acc;
      addMoment(acc, value); // counts it in `n`
      addCompensated(acc, value);
      // `+ 0` turns -0 into 0, which JSON (and so a snapshot) cannot tell apart.
      if (value < acc.min) acc.min = value + 0;
      if (value > acc.max) acc.max = value + 0;
      return acc;
    },
    merge(into, from) {
      if (from.n === 0) return into;
      mergeCompensated(into, from);
      if (from.min < into.min) into.min = from.min;
      if (from.max > into.max) into.max = from.max;
      mergeMoments(into, from); // adds to `n`
      return into;
    },
    result(acc) {
      const n = acc.n;
      if (n === 0) {
        return { count: 0, sum: 0, avg: null, min: null, max: null, variance: null, stddev: null };
      }
      const total = compensatedValue(acc);
      const variance = n < 2 ? null : acc.m2 / (n - 1);
      return {
        count: n,
        sum: total,
        avg: total / n,
        min: acc.min,
        max: acc.max,
        variance,
        stddev: variance === null ? null : Math.sqrt(variance),
      };
    },
    snapshot: (acc) => ({
      n: acc.n,
      sum: acc.sum,
      compensation: acc.compensation,
      min: acc.n === 0 ? null : acc.min,
      max: acc.n === 0 ? null : acc.max,
      mean: acc.mean,
      m2: acc.m2,
    }),
    restore(snapshot) {
      const s = readObject(snapshot, NAME);
      const n = readCount(s.n, NAME, "n");
      const m2 = readNumber(s.m2, NAME, "m2");
      if (m2 < 0) throw malformedSnapshot(NAME, `m2 must not be negative, got ${m2}`);
      return {
        n,
        sum: readNumber(s.sum, NAME, "sum"),
        compensation: readNumber(s.compensation, NAME, "compensation"),
        min: readNumberOrNull(s.min, NAME, "min") ?? Number.POSITIVE_INFINITY,
        max: readNumberOrNull(s.max, NAME, "max") ?? Number.NEGATIVE_INFINITY,
        mean: readNumber(s.mean, NAME, "mean"),
        m2,
      };
    },
  };
}
