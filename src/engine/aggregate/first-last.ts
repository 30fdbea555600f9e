/**
 * The `first` and `last` aggregators: the value of a numeric field at the earliest and
 * the latest event time. They order by the event time passed to `add`, not by arrival,
 * so late and out-of-order records give the same result as in-order ones.
 */
import type { Aggregator, NumberField } from "./aggregator.js";
import { readNumber, readObject } from "./read-snapshot.js";

/**
 * The accumulator of {@link first} and {@link last}: the value held and its event time.
 * While empty, `time` is `Infinity` for `first` and `-Infinity` for `last`.
 */
export interface TimedValueAcc {
  time: number;
  value: number;
}

/**
 * The value of `field` with the smallest event time. Records whose value or time is
 * not finite are skipped. On equal times the value already held wins: in `add`, the
 * record that arrived first; in `merge(into, from)`, the one in `into`. `-0` is
 * treated as `0`.
 *
 * Result: the value; `null` when no value was added.
 */
export function first<In>(field: NumberField<In>): Aggregator<In, TimedValueAcc, number | null> {
  return byTime(field, "first", Number.POSITIVE_INFINITY);
}

/**
 * The value of `field` with the largest event time. Records whose value or time is
 * not finite are skipped. On equal times the value already held wins: in `add`, the
 * record that arrived first; in `merge(into, from)`, the one in `into`. `-0` is
 * treated as `0`.
 *
 * Result: the value; `null` when no value was added.
 */
export function last<In>(field: NumberField<In>): Aggregator<In, TimedValueAcc, number | null> {
  return byTime(field, "last", Number.NEGATIVE_INFINITY);
}

function byTime<In>(
  field: NumberField<In>,
  name: string,
  empty: number,
): Aggregator<In, TimedValueAcc, number | null> {
  const earliest = empty > 0;
  const restore = (snapshot: unknown): TimedValueAcc => {
    if (snapshot === null) return { time: empty, value: 0 };
    const s = readObject(snapshot, name);
    return { time: readNumber(s.time, name, "time"), value: readNumber(s.value, name, "value") };
  };
  return {
    create: () => ({ time: empty, value: 0 }),
    add(acc, record, time) {
      if (earliest ? time < acc.time : time > acc.time) {
        const value = field(record);
        if (Number.isFinite(value) && Number.isFinite(time)) {
          acc.time = time;
          // `+ 0` turns -0 into 0, which JSON (and so a snapshot) cannot tell apart.
          acc.value = value + 0;
        }
      }
      return acc;
    },
    merge(into, from) {
      if (earliest ? from.time < into.time : from.time > into.time) {
        into.time = from.time;
        into.value = from.value;
      }
      return into;
    },
    result: (acc) => (acc.time === empty ? null : acc.value),
    snapshot: (acc) => (acc.time === empty ? null : { time: acc.time, value: acc.value }),
    restore,
    // In place: the time, then the value.
    packed: {
      numbers: 2,
      refs: 0,
      init(n, i) {
        n[i] = empty;
        n[i + 1] = 0;
      },
      add(n, i, _r, _j, record, time) {
        if (earliest ? time < n[i]! : time > n[i]!) {
          const value = field(record);
          if (Number.isFinite(value) && Number.isFinite(time)) {
            n[i] = time;
            n[i + 1] = value + 0;
          }
        }
      },
      merge(n, i, _r, _j, fn, fi) {
        if (earliest ? fn[fi]! < n[i]! : fn[fi]! > n[i]!) {
          n[i] = fn[fi]!;
          n[i + 1] = fn[fi + 1]!;
        }
      },
      result: (n, i) => (n[i] === empty ? null : n[i + 1]!),
      snapshot: (n, i) => (n[i] === empty ? null : { time: n[i]!, value: n[i + 1]! }),
      restore(snapshot, n, i) {
        const acc = restore(snapshot);
        n[i] = acc.time;
        n[i + 1] = acc.value;
      },
    },
  };
}
