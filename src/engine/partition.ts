/**
 * Assignment of keys to partitions (key groups). All keyed state belongs to the
 * partition of its key, so a partition can be snapshotted, restored and moved on
 * its own. The hash is stable across processes and versions: it decides where
 * state lives and which broker partition a key is published to.
 */
import { murmur3String } from "./hash/murmur3.js";

/** Keys of keyed streams. Numbers and strings with the same text are the same key. */
export type Key = string | number;

/** Default number of partitions of a dataflow (like Flink's max parallelism). */
export const DEFAULT_PARTITIONS = 128;

/** The partition, in `[0, partitions)`, that owns `key`. */
export function partitionOf(key: Key, partitions: number): number {
  return murmur3String(typeof key === "string" ? key : String(key)) % partitions;
}
