/**
 * Trend detector: the least-squares slope of a sensor's value over a trailing
 * window of event time, recomputed on every reading from per-bucket sums; a slope
 * steeper than the sensor type's rate is a rapid change. A cooldown makes one ramp
 * one anomaly rather than one per reading.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import type { AlertThresholds, Anomaly, EnrichedReading, SensorType } from "../reading/reading.js";
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
export const TREND_DETECTOR = "trend";

/** Options of `trendDetector`; every one has a default in `trendDefaults`. */
export interface TrendConfig {
  /** Trailing window of the regression, ms of event time. Default 120,000 (2 min). */
  readonly windowMs: number;
  /** Bucket size of the window, ms: the window moves in these steps. Default 20,000. */
  readonly bucketMs: number;
  /** Readings the window must hold before a slope counts. Default 10. */
  readonly minSamples: number;
  /** At most one anomaly per sensor per this many ms of event time. Default 60,000. */
  readonly cooldownMs: number;
  /**
   * Rapid-change rate per sensor type, in the type's unit per minute. Defaults:
   * temperature 5 °C, vibration 2, pressure 20 psi, power 2,000 W, generic 10.
   * A partial object overrides only the types it names.
   */
  readonly ratePerMinute: Readonly<Record<SensorType, number>>;
  /** |slope| / rate above which a change is medium, high, critical. Default 1, 2, 4. */
  readonly severity: SeverityLadder;
  /**
   * For a reading with alert thresholds: the rapid-change rate as a share of the
   * sensor's normal band per minute (band: warning_max − warning_min, else the
   * critical band, else the magnitude of its one bound), instead of `ratePerMinute`.
   * `null` (or a reading without thresholds) uses `ratePerMinute`. Default 0.1: a
   * tenth of the band per minute.
   */
  readonly bandSharePerMinute: number | null;
}

/** Defaults of `trendDetector`. */
export const trendDefaults: TrendConfig = Object.freeze({
  windowMs: 120_000,
  bucketMs: 20_000,
  minSamples: 10,
  cooldownMs: 60_000,
  ratePerMinute: Object.freeze({
    temperature: 5,
    vibration: 2,
    pressure: 20,
    power: 2_000,
    generic: 10,
  }),
  severity: Object.freeze({ medium: 1, high: 2, critical: 4 }),
  bandSharePerMinute: 0.1,
});

/** `trendDetector`'s options as given: `ratePerMinute` may name only some types. */
export type TrendConfigInput = Partial<Omit<TrendConfig, "ratePerMinute">> & {
  readonly ratePerMinute?: Partial<Record<SensorType, number>>;
};

// A sensor's regression sums at h[o + …]; x is seconds. N…SXV: the closed buckets'
// totals with x from CS, the current bucket's start (recomputed when a bucket closes).
// CN…CXV: the current bucket. LAST: event time of the last anomaly, if HAS_LAST is 1.
// The closed buckets, each [n, Σx, Σv, Σx², Σxv] with x from the bucket's own start,
// are a ring from x[c] or a list in slot j (see bucket-list.ts).
const N = 2;
const SX = 3;
const SV = 4;
const SXX = 5;
const SXV = 6;
const CS = 7;
const CN = 8;
const CX = 9;
const CV = 10;
const CXX = 11;
const CXV = 12;
const HAS_LAST = 13;
const LAST = 14;
const SIZE = 15;

/** Sums of a closed bucket into the totals, as the scratch of `sumClosed`. */
interface Sums {
  n: number;
  sx: number;
  sv: number;
  sxx: number;
  sxv: number;
}

/** Adds the bucket starting at `start` with payload `b[p…]`, re-based on `cs`, to `t`. */
function addBucket(t: Sums, b: readonly number[], p: number, start: number, cs: number): void {
  const k = b[p]!;
  const x = b[p + 1]!;
  const v = b[p + 2]!;
  const d = (start - cs) / 1000;
  t.n += k;
  t.sx += x + k * d;
  t.sv += v;
  t.sxx += b[p + 3]! + 2 * d * x + k * d * d;
  t.sxv += b[p + 4]! + d * v;
}

/** A part's closed buckets, and the functions that change them. */
class Regression {
  readonly buckets: BucketLayout;
  readonly #sums: Sums = { n: 0, sx: 0, sv: 0, sxx: 0, sxv: 0 };

  constructor(windowMs: number, bucketMs: number) {
    this.buckets = new BucketLayout(5, windowMs, bucketMs);
  }

  /** Re-bases the closed buckets on `cs` and sums them into the totals at `h[o…]`. */
  sumClosed(scope: PartScope, o: number, j: number, c: number, cs: number): void {
    const t = this.#sums;
    const buckets = this.buckets;
    t.n = 0;
    t.sx = 0;
    t.sv = 0;
    t.sxx = 0;
    t.sxv = 0;
    const x = buckets.array(scope, j);
    if (x === null) {
      // A ring not made yet: no closed bucket.
    } else if (buckets.ring) {
      const places = buckets.places;
      const bucketMs = buckets.bucketMs;
      let q = buckets.index(cs) - places;
      let k = buckets.placeOf(q);
      for (let m = 0; m < places; m++) {
        const p = c + k * 5;
        if (x[p] !== 0) addBucket(t, x, p, q * bucketMs, cs);
        q++;
        if (++k === places) k = 0;
      }
    } else {
      for (let i = 0; i < x.length; i += 6) addBucket(t, x, i + 1, x[i]!, cs);
    }
    const h = scope.h;
    h[o + N] = t.n;
    h[o + SX] = t.sx;
    h[o + SV] = t.sv;
    h[o + SXX] = t.sxx;
    h[o + SXV] = t.sxv;
    h[o + CS] = cs;
  }

  /** Closes the current bucket and opens the one at `start`, dropping buckets that left the window. */
  roll(scope: PartScope, o: number, j: number, c: number, start: number): void {
    const h = scope.h;
    this.buckets.roll(scope, o + CN, c, j, h[o + CS]!, start);
    this.sumClosed(scope, o, j, c, start);
    h[o + CN] = 0;
    h[o + CX] = 0;
    h[o + CV] = 0;
    h[o + CXX] = 0;
    h[o + CXV] = 0;
  }

  /** Adds a late reading to the closed bucket at `start`, creating it in order. */
  backfill(scope: PartScope, o: number, j: number, c: number, start: number, x: number, v: number) {
    const p = this.buckets.bucketAt(scope, c, j, start);
    const b = this.buckets.array(scope, j)!;
    if (b[p] !== 0) {
      b[p] = b[p]! + 1;
      b[p + 1] = b[p + 1]! + x;
      b[p + 2] = b[p + 2]! + v;
      b[p + 3] = b[p + 3]! + x * x;
      b[p + 4] = b[p + 4]! + x * v;
    } else {
      b[p] = 1;
      b[p + 1] = x;
      b[p + 2] = v;
      b[p + 3] = x * x;
      b[p + 4] = x * v;
    }
    this.sumClosed(scope, o, j, c, scope.h[o + CS]!);
  }

  /** Makes the part at `o` empty sums with the current bucket at `cs`. */
  empty(scope: PartScope, o: number, j: number, c: number, cs: number): void {
    const h = scope.h;
    for (let k = 0; k < SIZE; k++) h[o + k] = 0;
    h[o + PRESENT] = 1;
    h[o + CS] = cs;
    this.buckets.clear(scope, c, j);
  }
}

/** Width of a sensor's normal band (0 when it has none): see `TrendConfig.bandSharePerMinute`. */
export function bandOf(th: AlertThresholds | null): number {
  if (th === null) return 0;
  if (th.warning_max !== undefined && th.warning_min !== undefined) {
    const w = th.warning_max - th.warning_min;
    if (w > 0) return w;
  }
  if (th.critical_max !== undefined && th.critical_min !== undefined) {
    const w = th.critical_max - th.critical_min;
    if (w > 0) return w;
  }
  const bound = th.warning_max ?? th.critical_max ?? th.warning_min ?? th.critical_min;
  return bound === undefined ? 0 : Math.abs(bound);
}

/** The trend detector as a part of a sensor's state (see `trendDetector`). */
export function trendPart(config: TrendConfigInput = {}): DetectorPart {
  const ratePerMinute = { ...trendDefaults.ratePerMinute, ...config.ratePerMinute };
  const c: TrendConfig = { ...trendDefaults, ...config, ratePerMinute };
  for (const option of ["windowMs", "bucketMs", "minSamples"] as const) {
    checkPositive(TREND_DETECTOR, option, c[option]);
  }
  checkPositive(TREND_DETECTOR, "cooldownMs", c.cooldownMs, true);
  for (const [type, rate] of Object.entries(ratePerMinute)) {
    checkPositive(TREND_DETECTOR, `ratePerMinute.${type}`, rate);
  }
  const { windowMs, bucketMs, minSamples, cooldownMs, severity, bandSharePerMinute } = c;
  if (bandSharePerMinute !== null)
    checkPositive(TREND_DETECTOR, "bandSharePerMinute", bandSharePerMinute);
  const minutes = fmt(windowMs / 60_000);
  const regression = new Regression(windowMs, bucketMs);

  return {
    name: TREND_DETECTOR,
    ttl: Math.max(windowMs, cooldownMs),
    size: SIZE,
    cold: regression.buckets.ringSize,
    slots: regression.buckets.slots,
    layout: regression.buckets.layout,
    process(scope, o, j, r, cold) {
      const v = r.value;
      if (!Number.isFinite(v)) return;
      const t = scope.t;
      const start = bucketStart(t, bucketMs);
      const x = (t - start) / 1000;
      const h = scope.h;
      if (h[o + PRESENT] === 0) regression.empty(scope, o, j, cold, start);
      const cs = h[o + CS]!;
      if (start > cs) regression.roll(scope, o, j, cold, start);
      if (start >= cs) {
        h[o + CN] = h[o + CN]! + 1;
        h[o + CX] = h[o + CX]! + x;
        h[o + CV] = h[o + CV]! + v;
        h[o + CXX] = h[o + CXX]! + x * x;
        h[o + CXV] = h[o + CXV]! + x * v;
      } else if (start > cs - windowMs) {
        regression.backfill(scope, o, j, cold, start, x, v);
      } else {
        return; // older than the window: nothing to learn from it
      }
      h[o + WRITTEN] = t;

      const n = h[o + N]! + h[o + CN]!;
      if (n >= minSamples && (h[o + HAS_LAST] === 0 || t >= h[o + LAST]! + cooldownMs)) {
        const sx = h[o + SX]! + h[o + CX]!;
        const sv = h[o + SV]! + h[o + CV]!;
        const den = n * (h[o + SXX]! + h[o + CXX]!) - sx * sx;
        if (den > 1e-9 * n * n) {
          const slope = ((n * (h[o + SXV]! + h[o + CXV]!) - sx * sv) / den) * 60;
          const band = bandSharePerMinute === null ? 0 : bandOf(r.thresholds);
          const rate =
            band > 0
              ? bandSharePerMinute! * band
              : (ratePerMinute[r.sensor_type] ?? ratePerMinute.generic);
          const score = Math.abs(slope) / rate;
          const level = severityOf(score, severity);
          if (level !== null) {
            h[o + HAS_LAST] = 1;
            h[o + LAST] = t;
            scope.ctx.emit(
              buildAnomaly(r, {
                detector: TREND_DETECTOR,
                severity: level,
                eventTimeMs: t,
                detectedAtMs: scope.ctx.processingTime,
                value: v,
                baseline: { slope_per_minute: slope, threshold: rate, mean: sv / n, count: n },
                score,
                message: `${r.sensor_id}: ${slope > 0 ? "rising" : "falling"} ${fmt(Math.abs(slope))}/min over ${minutes} min (limit ${fmt(rate)}/min)`,
              }),
            );
          }
        }
      }
    },
  };
}

/**
 * Builds the trend detector, keyed by `sensor_id`. Each reading joins the window,
 * then slope = least-squares slope of value over event time, in unit per minute. With
 * at least `minSamples` readings and |slope| above the type's `ratePerMinute`
 * (times `severity.medium`), and no anomaly in the last `cooldownMs` of event time,
 * it emits one (score |slope| / rate). The window is bucket-aligned: it spans the
 * current bucket and the `windowMs / bucketMs − 1` before it.
 */
export function trendDetector(
  config: TrendConfigInput = {},
): KeyedProcessFunction<string, EnrichedReading, Anomaly> {
  return partsDetector([trendPart(config)]);
}
