/** The `countWhere` aggregator: how many records of a window satisfy a predicate. */
import { type Aggregator, SnapshotError } from "../../engine/index.js";

/**
 * Counts the records for which `predicate` is true (SQL's
 * `SUM(CASE WHEN … THEN 1 ELSE 0 END)`). Result: a non-negative integer, `0` when
 * empty. Exact and mergeable; the accumulator is a plain number.
 */
export function countWhere<In>(predicate: (record: In) => boolean): Aggregator<In, number, number> {
  const restore = (snapshot: unknown): number => {
    if (!Number.isSafeInteger(snapshot) || (snapshot as number) < 0) {
      throw new SnapshotError("malformed countWhere snapshot: expected a non-negative integer");
    }
    return snapshot as number;
  };
  return {
    create: () => 0,
    add: (acc, record) => (predicate(record) ? acc + 1 : acc),
    merge: (into, from) => into + from,
    result: (acc) => acc,
    snapshot: (acc) => acc,
    restore,
    packed: {
      numbers: 1,
      refs: 0,
      init(n, i) {
        n[i] = 0;
      },
      add(n, i, _r, _j, record) {
        if (predicate(record)) n[i] = n[i]! + 1;
      },
      merge(n, i, _r, _j, fn, fi) {
        n[i] = n[i]! + fn[fi]!;
      },
      result: (n, i) => n[i]!,
      snapshot: (n, i) => n[i]!,
      restore(snapshot, n, i) {
        n[i] = restore(snapshot);
      },
    },
  };
}
