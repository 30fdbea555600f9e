/**
 * The `composite` aggregator: several named aggregations of the same records computed
 * in one pass, with one accumulator per window that holds one child accumulator per
 * name.
 */
import type { Aggregator, AggregatorResult, AnyAggregator } from "./aggregator.js";
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
 * with the same names in any order.
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
  };
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
