/**
 * Z-score detector: scores each reading against its sensor's trailing baseline
 * (mean and sample stddev of the last `windowMs` of event time) the moment it
 * arrives. The baseline is a handful of time buckets of count/mean/M2 merged with
 * Chan's formula; anomalous readings are kept out of it, so a spike cannot hide the
 * next one.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";
import {
  bucketStart,
  buildAnomaly,
  checkPositive,
  fmt,
  type SeverityLadder,
  severityOf,
} from "./anomaly.js";
import { BucketLayout } from "./bucket-list.js";
import {
  type DetectorPart,
  type PartScope,
  PRESENT,
  partsDetector,
  WRITTEN,
} from "./detector-part.js";

/** The detector name, the first part of its anomaly ids. */
export const Z_SCORE_DETECTOR = "z-score";

/** Options of `zScoreDetector`; every one has a default in `zScoreDefaults`. */
export interface ZScoreConfig {
  /** Trailing baseline, ms of event time. Default 120,000 (2 min). */
  readonly windowMs: number;
  /** Bucket size of the baseline, ms; `windowMs / bucketMs` buckets are kept. Default 10,000. */
  readonly bucketMs: number;
  /** Readings the baseline must hold before any reading is scored. Default 30. */
  readonly minSamples: number;
  /** |z| above which a reading is medium, high, critical. Default 5, 7, 10. */
  readonly severity: SeverityLadder;
  /** Smallest stddev used, relative to |mean|. Default 1e-6. */
  readonly minRelativeStddev: number;
  /** Smallest stddev used, absolute (for means near 0). Default 1e-9. */
  readonly minAbsoluteStddev: number;
  /**
   * This many anomalous readings in a row, all on the same side of the mean, are a
   * new normal level (a set-point change, a machine starting or stopping): the
   * baseline restarts from the last of them, and scoring resumes after `minSamples`
   * readings of the new level. `Infinity` keeps the old level until it has left the
   * window. Default 5.
   */
  readonly levelShiftReadings: number;
}

/** Defaults of `zScoreDetector`. */
export const zScoreDefaults: ZScoreConfig = Object.freeze({
  windowMs: 120_000,
  bucketMs: 10_000,
  minSamples: 30,
  severity: Object.freeze({ medium: 5, high: 7, critical: 10 }),
  minRelativeStddev: 1e-6,
  minAbsoluteStddev: 1e-9,
  levelShiftReadings: 5,
});

// A sensor's baseline, at h[o + …]: the closed buckets merged (count, mean, M2; computed
// when a bucket closes), the current bucket (start, count, mean, M2) and the anomalous
// readings in a row (+k above the mean, −k below, 0 after a normal reading). The closed
// buckets, each [count, mean, M2], are a ring from x[c] or a list in slot j (see
// bucket-list.ts).
const N = 2;
const MEAN = 3;
const M2 = 4;
const CS = 5;
const CN = 6;
const CM = 7;
const C2 = 8;
const RUN = 9;
const SIZE = 10;

/** Merged count, mean and M2 (Chan et al.), as the scratch result of `merge`. */
interface Moments {
  n: number;
  mean: number;
  m2: number;
}

function merge(into: Moments, n: number, mean: number, m2: number): void {
  if (n === 0) return;
  const total = into.n + n;
  const delta = mean - into.mean;
  into.m2 += m2 + (delta * delta * into.n * n) / total;
  into.mean += (delta * n) / total;
  into.n = total;
}

/** A part's closed buckets, and the functions that change them. */
class Baseline {
  readonly buckets: BucketLayout;
  readonly scratch: Moments = { n: 0, mean: 0, m2: 0 };

  constructor(windowMs: number, bucketMs: number) {
    this.buckets = new BucketLayout(3, windowMs, bucketMs);
  }

  /** Merges the closed buckets into the totals at `h[o…]`, oldest first; the current one starts at `cs`. */
  summarise(scope: PartScope, o: number, j: number, c: number, cs: number): void {
    const scratch = this.scratch;
    const buckets = this.buckets;
    scratch.n = 0;
    scratch.mean = 0;
    scratch.m2 = 0;
    const x = buckets.array(scope, j);
    if (x === null) {
      // A ring not made yet: no closed bucket.
    } else if (buckets.ring) {
      const places = buckets.places;
      let k = buckets.oldestPlace(cs);
      for (let m = 0; m < places; m++) {
        const p = c + k * 3;
        if (x[p] !== 0) merge(scratch, x[p]!, x[p + 1]!, x[p + 2]!);
        if (++k === places) k = 0;
      }
    } else {
      for (let i = 0; i < x.length; i += 4) merge(scratch, x[i + 1]!, x[i + 2]!, x[i + 3]!);
    }
    const h = scope.h;
    h[o + N] = scratch.n;
    h[o + MEAN] = scratch.mean;
    h[o + M2] = scratch.m2;
  }

  /** Makes the part at `o` a baseline holding only `v`, read at `t` in the bucket at `start`. */
  fresh(scope: PartScope, o: number, j: number, c: number, start: number, v: number) {
    const h = scope.h;
    h[o + PRESENT] = 1;
    h[o + WRITTEN] = scope.t;
    h[o + N] = 0;
    h[o + MEAN] = 0;
    h[o + M2] = 0;
    h[o + CS] = start;
    h[o + CN] = 1;
    h[o + CM] = v;
    h[o + C2] = 0;
    h[o + RUN] = 0;
    this.buckets.clear(scope, c, j);
  }

  /** Closes the current bucket and opens the one at `start`, dropping buckets that left the window. */
  roll(scope: PartScope, o: number, j: number, c: number, start: number) {
    const h = scope.h;
    this.buckets.roll(scope, o + CN, c, j, h[o + CS]!, start);
    this.summarise(scope, o, j, c, start);
    h[o + CS] = start;
    h[o + CN] = 0;
    h[o + CM] = 0;
    h[o + C2] = 0;
  }

  /** Adds `v` to the closed bucket at `start` (a late reading), creating it in order. */
  backfill(scope: PartScope, o: number, j: number, c: number, start: number, v: number) {
    const scratch = this.scratch;
    const p = this.buckets.bucketAt(scope, c, j, start);
    const b = this.buckets.array(scope, j)!;
    if (b[p] !== 0) {
      scratch.n = b[p]!;
      scratch.mean = b[p + 1]!;
      scratch.m2 = b[p + 2]!;
      merge(scratch, 1, v, 0);
      b[p] = scratch.n;
      b[p + 1] = scratch.mean;
      b[p + 2] = scratch.m2;
    } else {
      b[p] = 1;
      b[p + 1] = v;
      b[p + 2] = 0;
    }
    this.summarise(scope, o, j, c, scope.h[o + CS]!);
  }
}

/** The z-score detector as a part of a sensor's state (see `zScoreDetector`). */
export function zScorePart(config: Partial<ZScoreConfig> = {}): DetectorPart {
  const c: ZScoreConfig = { ...zScoreDefaults, ...config };
  for (const option of ["windowMs", "bucketMs", "minSamples"] as const) {
    checkPositive(Z_SCORE_DETECTOR, option, c[option]);
  }
  checkPositive(Z_SCORE_DETECTOR, "minRelativeStddev", c.minRelativeStddev, true);
  checkPositive(Z_SCORE_DETECTOR, "minAbsoluteStddev", c.minAbsoluteStddev, true);
  checkPositive(Z_SCORE_DETECTOR, "levelShiftReadings", c.levelShiftReadings);
  const { windowMs, bucketMs, minSamples, severity, levelShiftReadings } = c;
  const { minRelativeStddev, minAbsoluteStddev } = c;
  const minutes = fmt(windowMs / 60_000);
  const baseline = new Baseline(windowMs, bucketMs);
  const scratch = baseline.scratch;

  return {
    name: Z_SCORE_DETECTOR,
    // Expires once every bucket has left the window: a sensor gone for good leaves nothing.
    ttl: windowMs,
    size: SIZE,
    cold: baseline.buckets.ringSize,
    slots: baseline.buckets.slots,
    layout: baseline.buckets.layout,
    process(scope, o, j, r, cold) {
      const v = r.value;
      if (!Number.isFinite(v)) return;
      const t = scope.t;
      const start = bucketStart(t, bucketMs);
      const h = scope.h;
      if (h[o + PRESENT] === 0) {
        baseline.fresh(scope, o, j, cold, start, v);
        return;
      }
      const rolled = start > h[o + CS]!;
      // A roll is always written below: every path after it writes.
      if (rolled) baseline.roll(scope, o, j, cold, start);

      scratch.n = h[o + N]!;
      scratch.mean = h[o + MEAN]!;
      scratch.m2 = h[o + M2]!;
      merge(scratch, h[o + CN]!, h[o + CM]!, h[o + C2]!);
      const n = scratch.n;
      if (n >= minSamples) {
        const mean = scratch.mean;
        const stddev = Math.sqrt(scratch.m2 / (n - 1));
        const used = Math.max(stddev, minRelativeStddev * Math.abs(mean), minAbsoluteStddev);
        const z = (v - mean) / used;
        const score = Math.abs(z);
        const level = severityOf(score, severity);
        if (level !== null) {
          const previous = h[o + RUN]!;
          const run = z > 0 ? Math.max(previous, 0) + 1 : Math.min(previous, 0) - 1;
          if (Math.abs(run) >= levelShiftReadings) {
            // A new normal level: learn it afresh, starting with this reading.
            baseline.fresh(scope, o, j, cold, start, v);
          } else if (rolled || run !== previous) {
            // The closed bucket and the run are kept even so; the reading is not.
            h[o + RUN] = run;
            h[o + WRITTEN] = t;
          }
          scope.ctx.emit(
            buildAnomaly(r, {
              detector: Z_SCORE_DETECTOR,
              severity: level,
              eventTimeMs: t,
              detectedAtMs: scope.ctx.processingTime,
              value: v,
              baseline: { mean, stddev, count: n, threshold: severity.medium },
              score,
              message: `${r.sensor_id}: ${fmt(v)} is ${fmt(score)} stddev ${z > 0 ? "above" : "below"} its ${minutes} min mean ${fmt(mean)} (±${fmt(stddev)})`,
            }),
          );
          return;
        }
      }

      const cs = h[o + CS]!;
      if (start === cs) {
        const cn = h[o + CN]! + 1;
        const cm0 = h[o + CM]!;
        const delta = v - cm0;
        const cm = cm0 + delta / cn;
        h[o + C2] = h[o + C2]! + delta * (v - cm);
        h[o + CN] = cn;
        h[o + CM] = cm;
      } else if (start > cs - windowMs) {
        baseline.backfill(scope, o, j, cold, start, v);
      } else if (h[o + RUN] === 0) {
        return; // older than the window: scored, not learnt
      }
      h[o + RUN] = 0;
      h[o + WRITTEN] = t;
    },
  };
}

/**
 * Builds the z-score detector, keyed by `sensor_id`. A reading is scored once the
 * baseline holds `minSamples` readings: z = (value − mean) / max(stddev,
 * minRelativeStddev·|mean|, minAbsoluteStddev), with the sample stddev of the
 * baseline (which never includes the reading itself). |z| above `severity.medium`
 * emits one anomaly (score |z|) and keeps the reading out of the baseline; any other
 * reading joins it. Readings older than the baseline window are scored but not added.
 */
export function zScoreDetector(
  config: Partial<ZScoreConfig> = {},
): KeyedProcessFunction<string, EnrichedReading, Anomaly> {
  return partsDetector([zScorePart(config)]);
}
