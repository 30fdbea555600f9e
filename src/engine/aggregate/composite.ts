/**
 * The `composite` aggregator: several named aggregations of the same records computed
 * in one pass, with one accumulator per window that holds one child accumulator per
 * name.
 */
import type {
  Aggregator,
  AggregatorResult,
  AnyAggregator,
  PackedAccumulator,
} from "./aggregator.js";
import { packedOf } from "./packed.js";
import { malformedSnapshot, readObject } from "./read-snapshot.js";

/** Named aggregators over records of type `In`, as passed to {@link composite}. */
export type CompositeSpec<In> = Readonly<Record<string, AnyAggregator<In>>>;

/** The result of `composite(spec)`: each name of `spec` with its aggregator's result. */
export type CompositeResult<S> = { [K in keyof S]: AggregatorResult<S[K]> };

/**
 * The record type `composite(spec)` accepts: one that every aggregator of `spec` accepts
 * (the intersection of their input types).
 */
export type CompositeInput<S> = {
  [K in keyof S]: (record: InputOf<S[K]>) => void;
}[keyof S] extends (record: infer In) => void
  ? In
  : never;

type InputOf<A> = A extends Aggregator<infer In, unknown, unknown> ? In : never;

/**
 * Combines named aggregators into one whose result has the same names:
 *
 * ```ts
 * const stats = composite({
 *   n: count(),
 *   avg: avg((r: Reading) => r.value),
 *   p99: quantile((r: Reading) => r.value, 0.99),
 * });
 * // stats: Aggregator<Reading, unknown[], { n: number; avg: number | null; p99: number | null }>
 * ```
 *
 * The record type is inferred from the aggregators (or from where the composite is
 * used, e.g. a window over `Reading` records). Each child keeps its own semantics,
 * empty value and error bound; composites can be nested. The accumulator is an array
 * of the children's accumulators in the order of `Object.keys(spec)`; the snapshot is
 * an object with one child snapshot per name, so a snapshot restores into a composite
 * with the same names in any order. Packed (see `PackedAccumulator`), the children's
 * numbers and refs lie side by side in the same order.
 */
export function composite<In, S extends CompositeSpec<In>>(
  spec: S,
): Aggregator<In & CompositeInput<S>, unknown[], CompositeResult<S>> {
  const names = Object.keys(spec);
  const children = names.map((name) => spec[name]!);
  const size = children.length;
  return {
    create: () => children.map((child) => child.create()),
    add: unrolledAdd(children),
    merge(into, from) {
      for (let i = 0; i < size; i++) into[i] = children[i]!.merge(into[i], from[i]);
      return into;
    },
    result(acc) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < size; i++) out[names[i]!] = children[i]!.result(acc[i]);
      return out as CompositeResult<S>;
    },
    snapshot(acc) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < size; i++) out[names[i]!] = children[i]!.snapshot(acc[i]);
      return out;
    },
    restore(snapshot) {
      const s = readObject(snapshot, "composite");
      return names.map((name, i) => {
        if (!Object.hasOwn(s, name)) throw malformedSnapshot("composite", `missing "${name}"`);
        return children[i]!.restore(s[name]);
      });
    },
    packed: packedComposite(names, children) as PackedAccumulator<
      In & CompositeInput<S>,
      CompositeResult<S>
    >,
  };
}

/** The children's packed accumulators side by side: numbers at `nums[k]`, refs at `refs[k]`. */
function packedComposite(
  names: readonly string[],
  children: readonly AnyAggregator<unknown>[],
): PackedAccumulator<unknown, Record<string, unknown>> {
  const packs = children.map((child) => packedOf(child));
  const size = packs.length;
  const nums: number[] = [];
  const refs: number[] = [];
  let numbers = 0;
  let refCount = 0;
  for (const p of packs) {
    nums.push(numbers);
    refs.push(refCount);
    numbers += p.numbers;
    refCount += p.refs;
  }
  return {
    numbers,
    refs: refCount,
    init(n, i, r, j) {
      for (let k = 0; k < size; k++) packs[k]!.init(n, i + nums[k]!, r, j + refs[k]!);
    },
    add: unrolledPackedAdd(packs, nums, refs),
    merge(n, i, r, j, fn, fi, fr, fj) {
      for (let k = 0; k < size; k++) {
        packs[k]!.merge(n, i + nums[k]!, r, j + refs[k]!, fn, fi + nums[k]!, fr, fj + refs[k]!);
      }
    },
    result(n, i, r, j) {
      const out: Record<string, unknown> = {};
      for (let k = 0; k < size; k++)
        out[names[k]!] = packs[k]!.result(n, i + nums[k]!, r, j + refs[k]!);
      return out;
    },
    snapshot(n, i, r, j) {
      const out: Record<string, unknown> = {};
      for (let k = 0; k < size; k++) {
        out[names[k]!] = packs[k]!.snapshot(n, i + nums[k]!, r, j + refs[k]!);
      }
      return out;
    },
    restore(snapshot, n, i, r, j) {
      const s = readObject(snapshot, "composite");
      for (let k = 0; k < size; k++) {
        const name = names[k]!;
        if (!Object.hasOwn(s, name)) throw malformedSnapshot("composite", `missing "${name}"`);
        packs[k]!.restore(s[name], n, i + nums[k]!, r, j + refs[k]!);
      }
    },
  };
}

type PackedAddFn = (
  n: number[],
  i: number,
  r: unknown[],
  j: number,
  record: unknown,
  time: number,
) => void;

/** The packed `add` of every child in turn, one call site per child (see `unrolledAdd`). */
function unrolledPackedAdd(
  packs: readonly PackedAccumulator<unknown, unknown>[],
  nums: readonly number[],
  refs: readonly number[],
): PackedAddFn {
  const body = packs
    .map((_, k) => `c${k}.add(n, i + ${nums[k]}, r, j + ${refs[k]}, record, time);`)
    .join("\n");
  const names = packs.map((_, k) => `c${k}`);
  // The generated source contains only indices and offsets, never user input.
  const make = new Function(
    ...names,
    `return function add(n, i, r, j, record, time) {\n${body}\n};`,
  );
  return make(...packs) as PackedAddFn;
}

type AddFn = (acc: unknown[], record: unknown, time: number) => unknown[];

/**
 * `add` of every child in turn, written out as one call site per child: each site
 * sees a single child's `add`, so the compiler can inline it (and its field
 * accessor), where a loop over the children is one call site shared by all of them.
 */
function unrolledAdd(children: readonly AnyAggregator<unknown>[]): AddFn {
  const body = children.map((_, i) => `acc[${i}] = c${i}.add(acc[${i}], record, time);`).join("\n");
  const names = children.map((_, i) => `c${i}`);
  // The generated source contains only indices, never user input.
  const make = new Function(
    ...names,
    `return function add(acc, record, time) {\n${body}\nreturn acc;\n};`,
  );
  return make(...children) as AddFn;
}
