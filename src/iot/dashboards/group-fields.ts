/**
 * The `groupFields` aggregator: the descriptive fields of a window's group (facility,
 * equipment, production line, …) read from its records, so that a record can carry
 * them without parsing its key.
 */
import { type Aggregator, SnapshotError } from "../../engine/index.js";

/**
 * The fields `pick` reads from the first record of the window for which it returns an
 * object (a record for which it returns `null` is skipped). Use it for fields that
 * are part of the window's key, or are functions of it: then every record gives the
 * same answer and the result is exact whatever the order. `pick` runs until it
 * returns an object, so it allocates once per pane, not per record.
 *
 * Result: the fields, or `null` when no record gave any. `G` must be a plain
 * JSON-safe object (it is checkpointed as is); the picked object is treated as
 * immutable and shared between merged accumulators and results, never changed.
 */
export function groupFields<In, G extends object>(
  pick: (record: In) => G | null,
): Aggregator<In, G | null, G | null> {
  return {
    create: () => null,
    add: (acc, record) => acc ?? pick(record),
    // The fields object is never changed once picked, so `into` may hold `from`'s.
    merge: (into, from) => into ?? from,
    result: (acc) => acc,
    snapshot: (acc) => (acc === null ? null : { ...acc }),
    restore(snapshot) {
      if (snapshot !== null && (typeof snapshot !== "object" || Array.isArray(snapshot))) {
        throw new SnapshotError("malformed groupFields snapshot: expected an object or null");
      }
      return snapshot as G | null;
    },
  };
}
