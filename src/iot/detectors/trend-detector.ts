/**
 * Trend detector: the least-squares slope of a sensor's value over a trailing
 * window of event time, recomputed on every reading from per-bucket sums; a slope
 * steeper than the sensor type's rate is a rapid change. A cooldown makes one ramp
 * one anomaly rather than one per reading.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import { valueState } from "../../engine/index.js";
import type { AlertThresholds, Anomaly, EnrichedReading, SensorType } from "../reading/reading.js";
import {
  buildAnomaly,
  bucketStart,
  checkPositive,
  fmt,
  type SeverityLadder,
  severityOf,
} from "./anomaly.js";

/** The detector name, the first part of its anomaly ids. */
export const TREND_DETECTOR = "trend";

/** Options of `trendDetector`; every one has a default in `trendDefaults`. */
export interface TrendConfig {
  /** Trailing window of the regression, ms of event time. Default 120,000 (2 min). */
  readonly windowMs: number;
  /** Bucket size of the window, ms. Default 10,000. */
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
  bucketMs: 10_000,
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

/**
 * A sensor's regression sums; x is seconds. `b`: closed buckets, oldest first, as flat
 * `[start, n, Σx, Σv, Σx², Σxv]` with x from the bucket's own start. `n`…`sxv`: their
 * totals with x from `cs`, the current bucket's start (recomputed when a bucket
 * closes). `cn`…`cxv`: the current bucket. `last`: event time of the last anomaly.
 */
export interface TrendState {
  readonly b: readonly number[];
  readonly n: number;
  readonly sx: number;
  readonly sv: number;
  readonly sxx: number;
  readonly sxv: number;
  readonly cs: number;
  readonly cn: number;
  readonly cx: number;
  readonly cv: number;
  readonly cxx: number;
  readonly cxv: number;
  readonly last: number | null;
}

const STRIDE = 6;

/** Re-bases the closed buckets `b` on `cs` and returns the state with them and their totals. */
function withClosed(s: TrendState, b: number[], cs: number): TrendState {
  let n = 0;
  let sx = 0;
  let sv = 0;
  let sxx = 0;
  let sxv = 0;
  for (let i = 0; i < b.length; i += STRIDE) {
    const k = b[i + 1]!;
    const x = b[i + 2]!;
    const v = b[i + 3]!;
    const d = (b[i]! - cs) / 1000;
    n += k;
    sx += x + k * d;
    sv += v;
    sxx += b[i + 4]! + 2 * d * x + k * d * d;
    sxv += b[i + 5]! + d * v;
  }
  return { ...s, b, n, sx, sv, sxx, sxv, cs };
}

function roll(s: TrendState, start: number, windowMs: number): TrendState {
  const oldest = start - windowMs;
  const b: number[] = [];
  for (let i = 0; i < s.b.length; i += STRIDE) {
    if (s.b[i]! > oldest) for (let j = 0; j < STRIDE; j++) b.push(s.b[i + j]!);
  }
  if (s.cn > 0 && s.cs > oldest) b.push(s.cs, s.cn, s.cx, s.cv, s.cxx, s.cxv);
  const rolled = withClosed(s, b, start);
  return { ...rolled, cn: 0, cx: 0, cv: 0, cxx: 0, cxv: 0 };
}

/** Adds a late reading to the closed bucket at `start`, creating it in order. */
function backfill(s: TrendState, start: number, x: number, v: number): TrendState {
  const b: number[] = [];
  let added = false;
  for (let i = 0; i < s.b.length; i += STRIDE) {
    const bs = s.b[i]!;
    if (!added && bs > start) {
      b.push(start, 1, x, v, x * x, x * v);
      added = true;
    }
    if (bs === start) {
      b.push(bs, s.b[i + 1]! + 1, s.b[i + 2]! + x, s.b[i + 3]! + v);
      b.push(s.b[i + 4]! + x * x, s.b[i + 5]! + x * v);
      added = true;
    } else for (let j = 0; j < STRIDE; j++) b.push(s.b[i + j]!);
  }
  if (!added) b.push(start, 1, x, v, x * x, x * v);
  return withClosed(s, b, s.cs);
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

function emptyState(cs: number): TrendState {
  const last = null;
  return {
    b: [],
    n: 0,
    sx: 0,
    sv: 0,
    sxx: 0,
    sxv: 0,
    cs,
    cn: 0,
    cx: 0,
    cv: 0,
    cxx: 0,
    cxv: 0,
    last,
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
  const sumsState = valueState<TrendState>("trend-sums", { ttl: Math.max(windowMs, cooldownMs) });

  return {
    processElement(r, ctx) {
      const v = r.value;
      if (!Number.isFinite(v)) return;
      const t = ctx.timestamp;
      const start = bucketStart(t, bucketMs);
      const x = (t - start) / 1000;
      const state = ctx.state(sumsState);
      const stored = state.get();
      let s = stored ?? emptyState(start);
      if (start > s.cs) s = roll(s, start, windowMs);
      if (start === s.cs) {
        s = {
          b: s.b,
          n: s.n,
          sx: s.sx,
          sv: s.sv,
          sxx: s.sxx,
          sxv: s.sxv,
          cs: s.cs,
          cn: s.cn + 1,
          cx: s.cx + x,
          cv: s.cv + v,
          cxx: s.cxx + x * x,
          cxv: s.cxv + x * v,
          last: s.last,
        };
      } else if (start > s.cs - windowMs) {
        s = backfill(s, start, x, v);
      } else if (s === stored) {
        return; // older than the window: nothing to learn from it
      }

      const n = s.n + s.cn;
      if (n >= minSamples && (s.last === null || t >= s.last + cooldownMs)) {
        const sx = s.sx + s.cx;
        const sv = s.sv + s.cv;
        const den = n * (s.sxx + s.cxx) - sx * sx;
        if (den > 1e-9 * n * n) {
          const slope = ((n * (s.sxv + s.cxv) - sx * sv) / den) * 60;
          const band = bandSharePerMinute === null ? 0 : bandOf(r.thresholds);
          const rate =
            band > 0
              ? bandSharePerMinute! * band
              : (ratePerMinute[r.sensor_type] ?? ratePerMinute.generic);
          const score = Math.abs(slope) / rate;
          const level = severityOf(score, severity);
          if (level !== null) {
            s = { ...s, last: t };
            ctx.emit(
              buildAnomaly(r, {
                detector: TREND_DETECTOR,
                severity: level,
                eventTimeMs: t,
                detectedAtMs: ctx.processingTime,
                value: v,
                baseline: { slope_per_minute: slope, threshold: rate, mean: sv / n, count: n },
                score,
                message: `${r.sensor_id}: ${slope > 0 ? "rising" : "falling"} ${fmt(Math.abs(slope))}/min over ${minutes} min (limit ${fmt(rate)}/min)`,
              }),
            );
          }
        }
      }
      state.set(s);
    },
  };
}
