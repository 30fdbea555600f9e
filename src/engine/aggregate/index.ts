/**
 * The built-in aggregators and the aggregator contract. See docs/aggregators.md for
 * the table of aggregators, their empty values and error bounds, and how to write one.
 */
export type {
  Aggregator,
  AggregatorResult,
  AnyAggregator,
  NumberField,
  PackedAccumulator,
} from "./aggregator.js";
export {
  type ApproxDistinctCountOptions,
  approxDistinctCount,
  type HyperLogLogAcc,
} from "./approx-distinct-count.js";
export { type AvgAcc, avg } from "./avg.js";
export type { CompensatedSum } from "./compensated-sum.js";
export {
  type CompositeInput,
  type CompositeResult,
  type CompositeSpec,
  composite,
} from "./composite.js";
export { count } from "./count.js";
export type { DDSketch, DDSketchOptions } from "./dd-sketch.js";
export { type DistinctKey, distinctCount, type KeyField } from "./distinct-count.js";
export { first, last, type TimedValueAcc } from "./first-last.js";
export { type MaxAcc, max } from "./max.js";
export { type MinAcc, min } from "./min.js";
export { packedOf } from "./packed.js";
export { type QuantileOptions, quantile, quantiles } from "./quantile.js";
export { type SlopeAcc, slope } from "./slope.js";
export { type SumAcc, sum } from "./sum.js";
export { type Summary, type SummaryAcc, summary } from "./summary.js";
export { stddev, type VarianceAcc, variance } from "./variance.js";
