/**
 * Assignment of keys to partitions (key groups). All keyed state belongs to the
 * partition of its key, so a partition can be snapshotted, restored and moved on
 * its own. The hash is stable across processes and versions: it decides where
 * state lives and which broker partition a key is published to.
 */

/** Keys of keyed streams. Numbers and strings with the same text are the same key. */
export type Key = string | number;

/** Default number of partitions of a dataflow (like Flink's max parallelism). */
export const DEFAULT_PARTITIONS = 128;

/** 32-bit murmur3 of the UTF-16 code units of `text`, as an unsigned integer. */
export function hashString(text: string, seed = 0x9747b28c): number {
  let h = seed >>> 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let k = text.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The partition, in `[0, partitions)`, that owns `key`. */
export function partitionOf(key: Key, partitions: number): number {
  return hashString(typeof key === "string" ? key : String(key)) % partitions;
}
