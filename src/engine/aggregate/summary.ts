/**
 * `summary(field)`: count, sum, mean, min, max, variance and standard deviation of a
 * field in one accumulator — what `count`, `sum`, `avg`, `min`, `max` and `stddev`
 * give together, with one object and one field read per record instead of six.
 */
import type { Aggregator, NumberField } from "./aggregator.js";
import {
  addCompensated,
  addCompensatedAt,
  compensatedValue,
  compensatedValueAt,
  mergeCompensated,
  mergeCompensatedAt,
} from "./compensated-sum.js";
import { addMoment, addMomentAt, mergeMoments, mergeMomentsAt } from "./moments.js";
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

// The packed accumulator's numbers: the moments (n, mean, M2), the compensated sum, min, max.
const N = 0;
const SUM = 3;
const MIN = 5;
const MAX = 6;

function summaryOf(n: number, total: number, min: number, max: number, m2: number): Summary {
  if (n === 0) {
    return { count: 0, sum: 0, avg: null, min: null, max: null, variance: null, stddev: null };
  }
  const variance = n < 2 ? null : m2 / (n - 1);
  return {
    count: n,
    sum: total,
    avg: total / n,
    min,
    max,
    variance,
    stddev: variance === null ? null : Math.sqrt(variance),
  };
}

function restoreSummary(snapshot: unknown): SummaryAcc {
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
}

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
    result: (acc) =>
      summaryOf(acc.n, acc.n === 0 ? 0 : compensatedValue(acc), acc.min, acc.max, acc.m2),
    snapshot: (acc) => ({
      n: acc.n,
      sum: acc.sum,
      compensation: acc.compensation,
      min: acc.n === 0 ? null : acc.min,
      max: acc.n === 0 ? null : acc.max,
      mean: acc.mean,
      m2: acc.m2,
    }),
    restore: restoreSummary,
    packed: {
      numbers: 7,
      refs: 0,
      init(a, i) {
        a[i + N] = 0;
        a[i + N + 1] = 0;
        a[i + N + 2] = 0;
        a[i + SUM] = 0;
        a[i + SUM + 1] = 0;
        a[i + MIN] = Number.POSITIVE_INFINITY;
        a[i + MAX] = Number.NEGATIVE_INFINITY;
      },
      add(a, i, _r, _j, record) {
        const value = field(record);
        if (!Number.isFinite(value)) return;
        addMomentAt(a, i + N, value);
        addCompensatedAt(a, i + SUM, value);
        if (value < a[i + MIN]!) a[i + MIN] = value + 0;
        if (value > a[i + MAX]!) a[i + MAX] = value + 0;
      },
      merge(a, i, _r, _j, f, fi) {
        if (f[fi + N] === 0) return;
        mergeCompensatedAt(a, i + SUM, f, fi + SUM);
        if (f[fi + MIN]! < a[i + MIN]!) a[i + MIN] = f[fi + MIN]!;
        if (f[fi + MAX]! > a[i + MAX]!) a[i + MAX] = f[fi + MAX]!;
        mergeMomentsAt(a, i + N, f, fi + N);
      },
      result: (a, i) =>
        summaryOf(
          a[i + N]!,
          a[i + N] === 0 ? 0 : compensatedValueAt(a, i + SUM),
          a[i + MIN]!,
          a[i + MAX]!,
          a[i + N + 2]!,
        ),
      snapshot: (a, i) => {
        const n = a[i + N]!;
        return {
          n,
          sum: a[i + SUM]!,
          compensation: a[i + SUM + 1]!,
          min: n === 0 ? null : a[i + MIN]!,
          max: n === 0 ? null : a[i + MAX]!,
          mean: a[i + N + 1]!,
          m2: a[i + N + 2]!,
        };
      },
      restore(snapshot, a, i) {
        const acc = restoreSummary(snapshot);
        a[i + N] = acc.n;
        a[i + N + 1] = acc.mean;
        a[i + N + 2] = acc.m2;
        a[i + SUM] = acc.sum;
        a[i + SUM + 1] = acc.compensation;
        a[i + MIN] = acc.min;
        a[i + MAX] = acc.max;
      },
    },
  };
}
