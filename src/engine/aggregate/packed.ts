/**
 * Packed accumulators (see `PackedAccumulator`): `packedOf` gives any aggregator's, and
 * `newDoubles`/`spliceDoubles` keep arrays of doubles at exactly the size they need.
 */
import type { AnyAggregator, PackedAccumulator } from "./aggregator.js";

const boxed = new WeakMap<AnyAggregator<never>, PackedAccumulator<never, unknown>>();

/**
 * The packed form of `aggregator`: its own `packed` when it has one, else one that keeps
 * the accumulator object in a single ref slot (which behaves exactly as the object form,
 * as it is the object form).
 */
export function packedOf<In, Out>(aggregator: AnyAggregator<In, Out>): PackedAccumulator<In, Out> {
  if (aggregator.packed !== undefined) return aggregator.packed;
  const key = aggregator as AnyAggregator<never>;
  let p = boxed.get(key);
  if (p === undefined) {
    p = boxedPacked(aggregator) as PackedAccumulator<never, unknown>;
    boxed.set(key, p);
  }
  return p as unknown as PackedAccumulator<In, Out>;
}

function boxedPacked<In, Out>(a: AnyAggregator<In, Out>): PackedAccumulator<In, Out> {
  return {
    numbers: 0,
    refs: 1,
    init(_n, _i, r, j) {
      r[j] = a.create();
    },
    add(_n, _i, r, j, record, time) {
      r[j] = a.add(r[j], record, time);
    },
    merge(_n, _i, r, j, _fn, _fi, fr, fj) {
      r[j] = a.merge(r[j], fr[fj]);
    },
    result: (_n, _i, r, j) => a.result(r[j]),
    snapshot: (_n, _i, r, j) => a.snapshot(r[j]),
    restore(snapshot, _n, _i, r, j) {
      r[j] = a.restore(snapshot);
    },
  };
}

/**
 * A new array of `length` zeros stored as unboxed doubles, its backing store exactly
 * `length` long (an array grown by `push` keeps up to half again as much spare room).
 */
export function newDoubles(length: number): number[] {
  if (length > 10_000) return Array.from({ length }, () => 0);
  const a = new Array<number>(length);
  // A fraction makes it an array of doubles before the zeros go in, so that storing a
  // non-integer later changes no representation.
  a.fill(0.5);
  a.fill(0);
  return a;
}

/**
 * A copy of `a` without its `remove` numbers from index `at`, and with `insert` zeros
 * there instead, exactly as long as it needs to be.
 */
export function spliceDoubles(
  a: readonly number[],
  at: number,
  remove: number,
  insert: number,
): number[] {
  const out = newDoubles(a.length - remove + insert);
  for (let k = 0; k < at; k++) out[k] = a[k]!;
  const shift = insert - remove;
  for (let k = at + remove; k < a.length; k++) out[k + shift] = a[k]!;
  return out;
}

/** The same as {@link spliceDoubles} for an array of any values (new slots are null). */
export function spliceValues(
  a: readonly unknown[],
  at: number,
  remove: number,
  insert: number,
): unknown[] {
  const out = new Array<unknown>(a.length - remove + insert);
  for (let k = 0; k < at; k++) out[k] = a[k];
  for (let k = at; k < at + insert; k++) out[k] = null;
  const shift = insert - remove;
  for (let k = at + remove; k < a.length; k++) out[k + shift] = a[k];
  return out;
}
