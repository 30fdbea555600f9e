/**
 * DDSketch (Masson, Rim and Lee, VLDB 2019): a mergeable quantile sketch with a
 * relative-error guarantee. Each non-zero value `x` goes to the logarithmic bucket
 * `k = ⌈log_γ |x|⌉` (covering `(γ^(k−1), γ^k]`) with `γ = (1 + α) / (1 − α)`, kept in
 * one store for positive and one for negative values; zeros are counted apart. Every
 * value in bucket `k` is within relative error `α` of the bucket's representative
 * `2γ^k / (γ + 1)`, so the value found at a rank is too.
 */
import { PipelineDefinitionError } from "../errors.js";
import { BucketStore } from "./bucket-store.js";
import { malformedSnapshot, readCount, readNumberOrNull, readObject } from "./read-snapshot.js";

/** The smallest positive normal double, 2^-1022. */
const MIN_NORMAL = 2 ** -1022;

/** Options of a DDSketch, as accepted by `quantile` and `quantiles`. */
export interface DDSketchOptions {
  /**
   * The relative accuracy `α`, in (0, 1); default 0.01 (1%). Smaller values need more
   * buckets: about `ln(max / min) / (2α)` for values between `min` and `max`.
   */
  readonly relativeAccuracy?: number;
  /**
   * The most buckets kept per sign (positive and negative values), an integer ≥ 1;
   * default 2048, which at α = 0.01 covers a ratio of about 6e17 between the smallest
   * and largest magnitude. Beyond it the buckets of the smallest magnitudes (values
   * nearest zero) are collapsed into one, and the accuracy guarantee no longer holds
   * for the quantiles that fall into it.
   */
  readonly maxBuckets?: number;
}

/** The validated, derived parameters shared by every sketch of one aggregator. */
export interface DDSketchConfig {
  readonly relativeAccuracy: number;
  readonly maxBuckets: number;
  /** `ln γ`. */
  readonly logGamma: number;
  /** `1 / ln γ`. */
  readonly indexMultiplier: number;
}

/**
 * Validates `options` and derives the bucket mapping.
 *
 * @throws PipelineDefinitionError if `relativeAccuracy` is not in (0, 1) or `maxBuckets`
 * is not a positive integer.
 */
export function ddSketchConfig(options: DDSketchOptions = {}): DDSketchConfig {
  const relativeAccuracy = options.relativeAccuracy ?? 0.01;
  const maxBuckets = options.maxBuckets ?? 2048;
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
    throw new PipelineDefinitionError(
      `quantile relativeAccuracy must be between 0 and 1 (exclusive), got ${relativeAccuracy}`,
    );
  }
  if (!Number.isSafeInteger(maxBuckets) || maxBuckets < 1) {
    throw new PipelineDefinitionError(
      `quantile maxBuckets must be a positive integer, got ${maxBuckets}`,
    );
  }
  const logGamma = Math.log((1 + relativeAccuracy) / (1 - relativeAccuracy));
  return Object.freeze({ relativeAccuracy, maxBuckets, logGamma, indexMultiplier: 1 / logGamma });
}

/** A DDSketch over finite numbers; see the module comment. */
export class DDSketch {
  readonly config: DDSketchConfig;
  readonly positive: BucketStore;
  readonly negative: BucketStore;
  zeroCount = 0;
  /** Smallest value added, `Infinity` while empty; results are clamped to `[min, max]`. */
  min = Number.POSITIVE_INFINITY;
  /** Largest value added, `-Infinity` while empty. */
  max = Number.NEGATIVE_INFINITY;

  constructor(config: DDSketchConfig) {
    this.config = config;
    this.positive = new BucketStore(config.maxBuckets);
    this.negative = new BucketStore(config.maxBuckets);
  }

  /** The number of values added. */
  get count(): number {
    return this.positive.total + this.negative.total + this.zeroCount;
  }

  /**
   * Adds a finite value (the caller skips non-finite ones). Magnitudes below 2^-1022
   * (subnormal numbers, whose precision is too low for a relative bound) and -0 count
   * as 0.
   */
  add(value: number): void {
    if (value >= MIN_NORMAL) {
      this.positive.add(Math.ceil(Math.log(value) * this.config.indexMultiplier));
    } else if (value <= -MIN_NORMAL) {
      this.negative.add(Math.ceil(Math.log(-value) * this.config.indexMultiplier));
    } else {
      this.zeroCount += 1;
      value = 0;
    }
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** Adds every value of `other` (built with the same config); `other` is not changed. */
  mergeFrom(other: DDSketch): void {
    this.positive.mergeFrom(other.positive);
    this.negative.mergeFrom(other.negative);
    this.zeroCount += other.zeroCount;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /**
   * The estimate of the value at 0-based rank `⌊q (n − 1)⌋` of the sorted values (the
   * lower nearest rank), for `q` in [0, 1]; `null` when empty. Within relative error α
   * of the exact value unless buckets were collapsed; exact for the first and last rank.
   */
  valueAt(q: number): number | null {
    const n = this.count;
    if (n === 0) return null;
    let rank = Math.floor(q * (n - 1));
    if (rank <= 0) return this.min;
    if (rank >= n - 1) return this.max;
    let estimate: number;
    if (rank < this.negative.total) {
      estimate = -this.representative(this.negative.indexAtRank(rank, true));
    } else {
      rank -= this.negative.total;
      if (rank < this.zeroCount) {
        estimate = 0;
      } else {
        estimate = this.representative(this.positive.indexAtRank(rank - this.zeroCount, false));
      }
    }
    return Math.min(Math.max(estimate, this.min), this.max);
  }

  /** A JSON form; {@link DDSketch.restore} reads it back. */
  snapshot(): unknown {
    const empty = this.count === 0;
    return {
      zeroCount: this.zeroCount,
      min: empty ? null : this.min,
      max: empty ? null : this.max,
      positive: this.positive.snapshot(),
      negative: this.negative.snapshot(),
    };
  }

  /**
   * Reads a {@link DDSketch.snapshot} into a new sketch with `config`.
   *
   * @throws SnapshotError if `snapshot` is malformed or does not fit `config`.
   */
  static restore(snapshot: unknown, config: DDSketchConfig, aggregator: string): DDSketch {
    const s = readObject(snapshot, aggregator);
    const sketch = new DDSketch(config);
    sketch.positive.restore(s.positive, aggregator, "positive");
    sketch.negative.restore(s.negative, aggregator, "negative");
    sketch.zeroCount = readCount(s.zeroCount, aggregator, "zeroCount");
    const min = readNumberOrNull(s.min, aggregator, "min");
    const max = readNumberOrNull(s.max, aggregator, "max");
    if (sketch.count > 0) {
      if (min === null || max === null || min > max) {
        throw malformedSnapshot(aggregator, "min and max must be numbers with min ≤ max");
      }
      sketch.min = min;
      sketch.max = max;
    }
    return sketch;
  }

  /** `2γ^k / (γ + 1)`, computed as `(1 + α) γ^(k−1)`, which cannot overflow below the bucket. */
  private representative(index: number): number {
    return Math.exp((index - 1) * this.config.logGamma) * (1 + this.config.relativeAccuracy);
  }
}
