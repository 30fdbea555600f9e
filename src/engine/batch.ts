/**
 * The unit of data that flows between operators: a micro-batch of records with
 * their event times, held as parallel arrays so that no wrapper object is
 * allocated per record.
 */

/**
 * A micro-batch. `values[i]` has event time `times[i]` (epoch milliseconds).
 * `channel` identifies the source partition the batch came from (`-1` once batches
 * from several partitions have been mixed, for example after a keyed operator).
 *
 * A batch is valid only during the call that receives it: operators and sinks must
 * not mutate it, and must copy what they keep.
 */
export interface Batch<T> {
  readonly values: readonly T[];
  readonly times: readonly number[];
  readonly channel: number;
}

/** Channel of batches whose records come from more than one source partition. */
export const MIXED_CHANNEL = -1;
