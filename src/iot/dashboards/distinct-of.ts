/** `distinctOf`: the engine's exact distinct count over a field that may be absent. */
import { type Aggregator, type DistinctKey, distinctCount } from "../../engine/index.js";

/**
 * The exact number of distinct non-null strings `field` reads from the records. A
 * record for which it returns `null` or `undefined` (an unknown sensor's equipment, an
 * anomaly in a stream of readings) is skipped, as `COUNT(DISTINCT …)` skips NULL.
 * Result: `0` when empty. Memory grows with the distinct keys of a window.
 */
export function distinctOf<In>(
  field: (record: In) => string | null | undefined,
): Aggregator<In, Set<DistinctKey>, number> {
  // distinctCount skips keys that are neither strings nor finite numbers.
  return distinctCount(field as (record: In) => DistinctKey);
}
