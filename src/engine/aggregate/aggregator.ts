/**
 * The aggregator contract shared by every window operator.
 *
 * Aggregators are incremental and mergeable: a window never collects its values
 * into a list. Sliding windows keep one accumulator per pane and merge panes when
 * a window fires, so `merge` must be exact (or within the documented error bound
 * of an approximate aggregator) and associative.
 */

/**
 * An incremental, mergeable aggregation from records of type `In` to a result of
 * type `Out`, through an accumulator of type `Acc`.
 *
 * - `create()` returns an empty accumulator.
 * - `add(acc, record, time)` folds one record (with its event time in epoch ms) into
 *   `acc` and returns the accumulator to keep. It may mutate `acc` and return it, or
 *   return a new value (numbers are immutable, so `count` returns `acc + 1`).
 * - `merge(into, from)` folds `from` into `into` and returns the result. It may
 *   mutate `into`; it must never mutate `from` (panes are merged into many windows).
 * - `result(acc)` reads the result without changing `acc`. An empty accumulator gives
 *   the aggregation's empty value (`0` for count and sum, `null` for avg, min, …).
 * - `snapshot(acc)` returns a JSON-serialisable value and `restore(snapshot)` turns it
 *   back into an accumulator that behaves exactly like the original.
 */
export interface Aggregator<In, Acc, Out> {
  create(): Acc;
  add(acc: Acc, record: In, time: number): Acc;
  merge(into: Acc, from: Acc): Acc;
  result(acc: Acc): Out;
  snapshot(acc: Acc): unknown;
  restore(snapshot: unknown): Acc;
  /**
   * Optional: the same aggregation with its accumulator stored in place (see
   * {@link PackedAccumulator}), for operators that keep very many accumulators.
   * Without it, `packedOf` stores the accumulator object in one ref slot.
   */
  readonly packed?: PackedAccumulator<In, Out>;
}

/**
 * An accumulator laid out in place instead of as an object of its own: `numbers`
 * numbers from `n[i]` in an array of doubles, and `refs` values (what is not a number:
 * sets, strings, objects) from `r[j]`. A sliding window keeps one accumulator per pane
 * of every key; stored like this, all panes of a key fit in two arrays, and a number
 * costs 8 bytes instead of a field plus a boxed double.
 *
 * Every method computes exactly what the aggregator's object form computes on the same
 * records, in the same order: results are identical, and `snapshot` returns the value
 * the object form's `snapshot` would, so checkpoints do not depend on which form an
 * operator uses. `restore` validates as the object form's does. `merge` reads the
 * accumulator at (`fn`, `fi`, `fr`, `fj`) and never changes it.
 */
export interface PackedAccumulator<In, Out> {
  readonly numbers: number;
  readonly refs: number;
  /** Writes an empty accumulator at (`i`, `j`). */
  init(n: number[], i: number, r: unknown[], j: number): void;
  add(n: number[], i: number, r: unknown[], j: number, record: In, time: number): void;
  merge(
    n: number[],
    i: number,
    r: unknown[],
    j: number,
    fn: readonly number[],
    fi: number,
    fr: readonly unknown[],
    fj: number,
  ): void;
  result(n: readonly number[], i: number, r: readonly unknown[], j: number): Out;
  snapshot(n: readonly number[], i: number, r: readonly unknown[], j: number): unknown;
  /** Writes the accumulator of `snapshot` at (`i`, `j`); throws a `SnapshotError` if malformed. */
  restore(snapshot: unknown, n: number[], i: number, r: unknown[], j: number): void;
}

/** Any aggregator over records of type `In`, whatever its accumulator. */
// biome-ignore lint/suspicious/noExplicitAny: the accumulator type is private to each aggregator
export type AnyAggregator<In, Out = unknown> = Aggregator<In, any, Out>;

/** The result type of an aggregator. */
export type AggregatorResult<A> = A extends Aggregator<never, unknown, infer O> ? O : never;

/**
 * Reads the number an aggregator works on from a record. The built-in numeric
 * aggregators skip a record for which it returns anything but a finite number (NaN,
 * ±Infinity, or `undefined` for a missing field), as SQL skips NULL.
 */
export type NumberField<In> = (record: In) => number;
