/** The `countWhere` aggregator: how many records of a window satisfy a predicate. */
import { type Aggregator, SnapshotError } from "../../engine/index.js";

/**
 * Counts the records for which `predicate` is true (SQL's
 * `SUM(CASE WHEN … THEN 1 ELSE 0 END)`). Result: a non-negative integer, `0` when
 * empty. Exact and mergeable; the accumulator is a plain number.
 */
export function countWhere<In>(predicate: (record: In) => boolean): Aggregator<In, number, number> {
  return {
    create: () => 0,
    add: (acc, record) => (predicate(record) ? acc + 1 : acc),
    merge: (into, from) => into + from,
    result: (acc) => acc,
    snapshot: (acc) => acc,
    restore(snapshot) {
      if (!Number.isSafeInteger(snapshot) || (snapshot as number) < 0) {
        throw new SnapshotError("malformed countWhere snapshot: expected a non-negative integer");
      }
      return snapshot as number;
    },
  };
}
