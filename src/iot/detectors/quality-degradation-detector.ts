/**
 * Quality-degradation detector: the share of a sensor's readings with a low
 * quality score over a trailing window of event time. A sensor whose share passes
 * the limit is degrading (dirty optics, failing cable, interference) even if each
 * reading on its own looks plausible. A cooldown limits it to one anomaly a minute.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";
import { bucketStart, buildAnomaly, checkPositive, fmt } from "./anomaly.js";
import { BucketLayout } from "./bucket-list.js";
import {
  type DetectorPart,
  type PartScope,
  PRESENT,
  partsDetector,
  WRITTEN,
} from "./detector-part.js";

/** The detector name, the first part of its anomaly ids. */
export const QUALITY_DEGRADATION_DETECTOR = "quality-degradation";

/** Options of `qualityDegradationDetector`; every one has a default in `qualityDegradationDefaults`. */
export interface QualityDegradationConfig {
  /** Trailing window, ms of event time. Default 300,000 (5 min). */
  readonly windowMs: number;
  /**
   * Bucket size of the window, ms: the window's edge moves in these steps, so it holds
   * between `windowMs − bucketMs` and `windowMs` of readings. Default 30,000 (a tenth of
   * the default window: 9 closed buckets, 18 numbers per sensor, where 10 s buckets
   * take 58).
   */
  readonly bucketMs: number;
  /** Readings the window must hold before the share counts. Default 10. */
  readonly minReadings: number;
  /** A reading with `quality_score` below this is low quality. Default 0.5. */
  readonly lowQuality: number;
  /** A share of low-quality readings above this is an anomaly (medium). Default 0.2. */
  readonly maxLowShare: number;
  /** A share above this makes it high. Default 0.5. */
  readonly highLowShare: number;
  /** At most one anomaly per sensor per this many ms of event time. Default 60,000. */
  readonly cooldownMs: number;
}

/** Defaults of `qualityDegradationDetector`. */
export const qualityDegradationDefaults: QualityDegradationConfig = Object.freeze({
  windowMs: 300_000,
  bucketMs: 30_000,
  minReadings: 10,
  lowQuality: 0.5,
  maxLowShare: 0.2,
  highLowShare: 0.5,
  cooldownMs: 60_000,
});

// A sensor's counts at h[o + …]: the closed buckets' readings and low-quality readings
// (N, LOW: side by side, as in a bucket), the current bucket (start, readings, low) and
// the event time of the last anomaly, if HAS_LAST is 1. The closed buckets, each
// [readings, low], are a ring from x[c] or a list in slot j (see bucket-list.ts).
const N = 2;
const LOW = 3;
const CS = 4;
const CN = 5;
const CL = 6;
const HAS_LAST = 7;
const LAST = 8;
const SIZE = 9;

/**
 * A part's closed buckets, and the functions that change them. The totals (N, LOW) are
 * kept up to date bucket by bucket rather than summed again: they are counts, so any
 * order of adding gives the same.
 */
class Counts {
  readonly buckets: BucketLayout;

  constructor(windowMs: number, bucketMs: number) {
    this.buckets = new BucketLayout(2, windowMs, bucketMs);
  }

  roll(scope: PartScope, o: number, j: number, c: number, start: number): void {
    const h = scope.h;
    this.buckets.roll(scope, o + CN, c, j, h[o + CS]!, start, o + N);
    h[o + CS] = start;
    h[o + CN] = 0;
    h[o + CL] = 0;
  }

  backfill(scope: PartScope, o: number, j: number, c: number, start: number, low: number): void {
    const p = this.buckets.bucketAt(scope, c, j, start);
    const b = this.buckets.array(scope, j)!;
    const h = scope.h;
    b[p] = b[p]! + 1;
    b[p + 1] = b[p + 1]! + low;
    h[o + N] = h[o + N]! + 1;
    h[o + LOW] = h[o + LOW]! + low;
  }
}

/** The quality-degradation detector as a part of a sensor's state (see `qualityDegradationDetector`). */
export function qualityDegradationPart(
  config: Partial<QualityDegradationConfig> = {},
): DetectorPart {
  const c: QualityDegradationConfig = { ...qualityDegradationDefaults, ...config };
  const name = QUALITY_DEGRADATION_DETECTOR;
  for (const option of ["windowMs", "bucketMs", "minReadings"] as const) {
    checkPositive(name, option, c[option]);
  }
  for (const option of ["lowQuality", "maxLowShare", "highLowShare", "cooldownMs"] as const) {
    checkPositive(name, option, c[option], true);
  }
  const { windowMs, bucketMs, minReadings, lowQuality, maxLowShare, highLowShare } = c;
  const cooldownMs = c.cooldownMs;
  const minutes = fmt(windowMs / 60_000);
  const counts = new Counts(windowMs, bucketMs);

  return {
    name,
    ttl: Math.max(windowMs, cooldownMs),
    size: SIZE,
    cold: counts.buckets.ringSize,
    slots: counts.buckets.slots,
    layout: counts.buckets.layout,
    process(scope, o, j, r, cold) {
      const t = scope.t;
      const start = bucketStart(t, bucketMs);
      const low = r.quality_score < lowQuality ? 1 : 0;
      const h = scope.h;
      if (h[o + PRESENT] === 0) {
        for (let k = 0; k < SIZE; k++) h[o + k] = 0;
        h[o + PRESENT] = 1;
        h[o + CS] = start;
        counts.buckets.clear(scope, cold, j);
      }
      const cs = h[o + CS]!;
      if (start > cs) counts.roll(scope, o, j, cold, start);
      if (start >= cs) {
        h[o + CN] = h[o + CN]! + 1;
        h[o + CL] = h[o + CL]! + low;
      } else if (start > cs - windowMs) {
        counts.backfill(scope, o, j, cold, start, low);
      } else {
        return; // older than the window
      }
      h[o + WRITTEN] = t;

      const n = h[o + N]! + h[o + CN]!;
      const lows = h[o + LOW]! + h[o + CL]!;
      const share = lows / n;
      if (
        n >= minReadings &&
        share > maxLowShare &&
        (h[o + HAS_LAST] === 0 || t >= h[o + LAST]! + cooldownMs)
      ) {
        h[o + HAS_LAST] = 1;
        h[o + LAST] = t;
        scope.ctx.emit(
          buildAnomaly(r, {
            detector: name,
            severity: share > highLowShare ? "high" : "medium",
            eventTimeMs: t,
            detectedAtMs: scope.ctx.processingTime,
            value: r.value,
            baseline: {
              threshold: maxLowShare,
              low_quality_share: share,
              count: n,
              low: lows,
              quality_score: r.quality_score,
            },
            score: share,
            message: `${r.sensor_id}: ${lows} of ${n} readings (${fmt(share * 100)} %) below quality ${fmt(lowQuality)} over ${minutes} min`,
          }),
        );
      }
    },
  };
}

/**
 * Builds the quality-degradation detector, keyed by `sensor_id`. Each reading joins
 * the window (bucket-aligned, like the trend detector's); then, with at least
 * `minReadings` readings, a share of low-quality readings above `maxLowShare` emits
 * one anomaly (score = the share; high above `highLowShare`), unless one was emitted
 * in the last `cooldownMs`. It repeats every `cooldownMs` while the share stays high.
 */
export function qualityDegradationDetector(
  config: Partial<QualityDegradationConfig> = {},
): KeyedProcessFunction<string, EnrichedReading, Anomaly> {
  return partsDetector([qualityDegradationPart(config)]);
}
