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
