/**
 * The composite group key of a sensor's readings, remembered per sensor. A dashboard
 * keyed by `facility|equipment|type` or `facility|line|shift` would otherwise join three
 * strings for every reading, and the window step would then flatten and hash that new
 * string to find the key's state. Remembered, the readings of a sensor return one key
 * string, whose hash is computed once and which compares by identity.
 */
import { memoIndex, memoOf, remember } from "../../engine/index.js";
import type { EnrichedReading } from "../reading/reading.js";
import { groupKey, isGroupKey } from "./window-bounds.js";

/**
 * A function returning `groupKey(a, b, c)` for reading `r`: the string remembered in
 * the reading's memo (one per sensor, see `RECORD_MEMO`) while it still reads `a|b|c`
 * (checked by length and parts, so nothing but the key is remembered), a new one when a
 * part changes or the reading carries no memo. Only a cache: the result is always
 * `groupKey(a, b, c)`.
 */
export function sensorGroupKeys(): (r: EnrichedReading, a: string, b: string, c: string) => string {
  const owner = { hint: 1 };
  return (r, a, b, c) => {
    const memo = memoOf(r);
    if (memo === undefined) return groupKey(a, b, c);
    const i = memoIndex(memo, owner, owner.hint);
    if (i >= 0) {
      owner.hint = i;
      const known = memo[i] as string;
      if (isGroupKey(known, a, b, c)) return known;
    }
    const key = groupKey(a, b, c);
    owner.hint = remember(memo, owner, key, owner.hint);
    return key;
  };
}
