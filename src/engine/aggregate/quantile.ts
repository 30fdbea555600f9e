/**
 * The `quantile` and `quantiles` aggregators: percentiles of a numeric field (median,
 * p95, p99, …) from a DDSketch, in bounded memory and exactly mergeable across panes.
 */
import { PipelineDefinitionError } from "../errors.js";
import type { Aggregator, NumberField } from "./aggregator.js";
import {
  DDSketch,
  type DDSketchConfig,
  type DDSketchOptions,
  ddSketchConfig,
} from "./dd-sketch.js";

/** Options of {@link quantile} and {@link quantiles}. */
export type QuantileOptions = DDSketchOptions;

/**
 * An estimate of the `q`-quantile of `field` over the records, for `q` in [0, 1]
 * (0.5 for the median, 0.99 for p99). Non-finite values (NaN, ±Infinity, or a missing
 * field read as `undefined`) are skipped; subnormal values (magnitude below 2.2e-308) count
 * as 0.
 *
 * Result: a value within relative error `relativeAccuracy` (α, default 1%) of the
 * exact value at 0-based rank `⌊q (n − 1)⌋` of the `n` sorted values (the lower
 * nearest rank): `|estimate − exact| ≤ α |exact|`, so zeros are exact and signs are
 * kept. It never lies outside the smallest and largest value added, and `q = 0` and
 * `q = 1` give them exactly. `null` when no value was added.
 *
 * The bound holds as long as no buckets were collapsed: each sign keeps at most
 * `maxBuckets` (default 2048) logarithmic buckets, enough at α = 1% for magnitudes
 * spanning 17 orders of magnitude; beyond that, the buckets nearest zero are merged
 * and quantiles falling into them lose accuracy. Merging adds bucket counts, which is
 * exact: merged panes give the same sketch as one accumulator fed every value.
 *
 * @throws PipelineDefinitionError if `q` is not in [0, 1] or the options are invalid.
 */
export function quantile<In>(
  field: NumberField<In>,
  q: number,
  options: QuantileOptions = {},
): Aggregator<In, DDSketch, number | null> {
  checkQuantile(q);
  return sketchAggregator(field, ddSketchConfig(options), "quantile", (sketch) =>
    sketch.valueAt(q),
  );
}

/**
 * Estimates of several quantiles of `field` from one sketch, in the order of `qs`; see
 * {@link quantile} for skipped values, the error bound and the options. Cheaper than
 * one {@link quantile} per `q`, which would each keep a sketch.
 *
 * Result: one estimate per entry of `qs`; `null` when no value was added.
 *
 * @throws PipelineDefinitionError if an entry of `qs` is not in [0, 1] or the options
 * are invalid.
 */
export function quantiles<In>(
  field: NumberField<In>,
  qs: readonly number[],
  options: QuantileOptions = {},
): Aggregator<In, DDSketch, number[] | null> {
  const fractions = qs.slice();
  for (const q of fractions) checkQuantile(q);
  return sketchAggregator(field, ddSketchConfig(options), "quantiles", (sketch) =>
    sketch.count === 0 ? null : fractions.map((q) => sketch.valueAt(q) as number),
  );
}

function checkQuantile(q: number): void {
  if (!(q >= 0 && q <= 1)) {
    throw new PipelineDefinitionError(`quantile q must be between 0 and 1, got ${q}`);
  }
}

function sketchAggregator<In, Out>(
  field: NumberField<In>,
  config: DDSketchConfig,
  name: string,
  read: (sketch: DDSketch) => Out,
): Aggregator<In, DDSketch, Out> {
  return {
    create: () => new DDSketch(config),
    add(acc, record) {
      const value = field(record);
      if (Number.isFinite(value)) acc.add(value);
      return acc;
    },
    merge(into, from) {
      into.mergeFrom(from);
      return into;
    },
    result: read,
    snapshot: (acc) => acc.snapshot(),
    restore: (snapshot) => DDSketch.restore(snapshot, config, name),
  };
}
