/** The `distinctCount` aggregator: the exact number of distinct keys in a window. */
import { memoIndex, memoOf } from "../state/record-memo.js";
import type { Aggregator } from "./aggregator.js";
import { malformedSnapshot, readArray } from "./read-snapshot.js";

/**
 * A key counted by {@link distinctCount} and {@link approxDistinctCount}. Strings and
 * numbers are different keys: `1` and `"1"` count twice.
 */
export type DistinctKey = string | number;

/** Reads the key to count from a record. */
export type KeyField<In> = (record: In) => DistinctKey;

/**
 * Counts the distinct keys `field` reads from the records, exactly. Keys that are
 * neither a string nor a finite number (NaN, ±Infinity, `undefined`, `null`) are
 * skipped, as SQL's `COUNT(DISTINCT …)` skips NULL; `-0` and `0` are the same key.
 *
 * Result: the number of distinct keys; `0` when empty. The accumulator is a `Set` of
 * every key seen, so memory and snapshot size grow with the number of distinct keys:
 * for high-cardinality keys use {@link approxDistinctCount}, whose size is fixed.
 */
export function distinctCount<In>(field: KeyField<In>): Aggregator<In, Set<DistinctKey>, number> {
  // In the memo of a record that carries one (see `RECORD_MEMO`): the set its key was
  // last added to, and that key, as two pairs side by side (`owner, set, keyOwner, key`),
  // so each entity pays two slots, not an object. Sets only grow, so the key is still
  // there.
  const owner = { hint: 1 };
  const keyOwner = {};
  return {
    create: () => new Set(),
    add(acc, record) {
      const key = field(record);
      if (typeof key !== "string" && !Number.isFinite(key)) return acc;
      const memo = memoOf(record);
      if (memo !== undefined) {
        const i = memoIndex(memo, owner, owner.hint);
        if (i < 0) {
          memo.push(owner, acc, keyOwner, key);
          owner.hint = memo.length - 3;
        } else if (memo[i + 1] === keyOwner) {
          owner.hint = i;
          if (memo[i] === acc && memo[i + 2] === key) return acc;
          memo[i] = acc;
          memo[i + 2] = key;
        }
      }
      acc.add(key);
      return acc;
    },
    merge(into, from) {
      for (const key of from) into.add(key);
      return into;
    },
    result: (acc) => acc.size,
    snapshot: (acc) => Array.from(acc),
    restore(snapshot) {
      const keys = readArray(snapshot, "distinctCount", "the keys");
      const acc = new Set<DistinctKey>();
      for (const key of keys) {
        if (typeof key !== "string" && !Number.isFinite(key)) {
          throw malformedSnapshot("distinctCount", `keys must be strings or finite numbers`);
        }
        acc.add(key as DistinctKey);
      }
      return acc;
    },
  };
}
