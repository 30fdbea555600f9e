/** The `count` aggregator: how many records a window holds. */
import type { Aggregator } from "./aggregator.js";
import { readCount } from "./read-snapshot.js";

/**
 * Counts records. Every record counts, whatever its fields hold (unlike the numeric
 * aggregators, which skip non-finite values). The accumulator is the count itself.
 *
 * Result: the number of records; `0` when empty. Exact; merge adds counts.
 */
export function count<In>(): Aggregator<In, number, number> {
  const restore = (snapshot: unknown) => readCount(snapshot, "count", "the count");
  return {
    create: () => 0,
    add: (acc) => acc + 1,
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
      add(n, i) {
        n[i] = n[i]! + 1;
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
