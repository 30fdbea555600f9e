/** The `max` aggregator: the largest value of a numeric field. */
import type { Aggregator, NumberField } from "./aggregator.js";
import { readNumberOrNull } from "./read-snapshot.js";

/** The accumulator of {@link max}: the largest value so far, `-Infinity` while empty. */
export interface MaxAcc {
  value: number;
}

/**
 * The largest value of `field` over the records. Non-finite values (NaN, ±Infinity,
 * or a missing field read as `undefined`) are skipped. `-0` is treated as `0`.
 *
 * Result: the maximum; `null` when no value was added. Exact.
 */
export function max<In>(field: NumberField<In>): Aggregator<In, MaxAcc, number | null> {
  return {
    create: () => ({ value: Number.NEGATIVE_INFINITY }),
    add(acc, record) {
      const value = field(record);
      // `+ 0` turns -0 into 0, which JSON (and so a snapshot) cannot tell apart.
      if (value > acc.value && Number.isFinite(value)) acc.value = value + 0;
      return acc;
    },
    merge(into, from) {
      if (from.value > into.value) into.value = from.value;
      return into;
    },
    result: (acc) => (acc.value === Number.NEGATIVE_INFINITY ? null : acc.value),
    snapshot: (acc) => (acc.value === Number.NEGATIVE_INFINITY ? null : acc.value),
    restore: (snapshot) => ({
      value: readNumberOrNull(snapshot, "max", "the maximum") ?? Number.NEGATIVE_INFINITY,
    }),
    packed: {
      numbers: 1,
      refs: 0,
      init(n, i) {
        n[i] = Number.NEGATIVE_INFINITY;
      },
      add(n, i, _r, _j, record) {
        const value = field(record);
        if (value > n[i]! && Number.isFinite(value)) n[i] = value + 0;
      },
      merge(n, i, _r, _j, fn, fi) {
        if (fn[fi]! > n[i]!) n[i] = fn[fi]!;
      },
      result: (n, i) => (n[i] === Number.NEGATIVE_INFINITY ? null : n[i]!),
      snapshot: (n, i) => (n[i] === Number.NEGATIVE_INFINITY ? null : n[i]!),
      restore(snapshot, n, i) {
        n[i] = readNumberOrNull(snapshot, "max", "the maximum") ?? Number.NEGATIVE_INFINITY;
      },
    },
  };
}
