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
  return {
    create: () => 0,
    add: (acc) => acc + 1,
    merge: (into, from) => into + from,
    result: (acc) => acc,
    snapshot: (acc) => acc,
    restore: (snapshot) => readCount(snapshot, "count", "the count"),
  };
}
