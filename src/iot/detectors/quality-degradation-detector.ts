/**
 * Quality-degradation detector: the share of a sensor's readings with a low
 * quality score over a trailing window of event time. A sensor whose share passes
 * the limit is degrading (dirty optics, failing cable, interference) even if each
 * reading on its own looks plausible. A cooldown limits it to one anomaly a minute.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import { valueState } from "../../engine/index.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";
import { buildAnomaly, bucketStart, checkPositive, fmt } from "./anomaly.js";

/** The detector name, the first part of its anomaly ids. */
export const QUALITY_DEGRADATION_DETECTOR = "quality-degradation";

/** Options of `qualityDegradationDetector`; every one has a default in `qualityDegradationDefaults`. */
export interface QualityDegradationConfig {
  /** Trailing window, ms of event time. Default 300,000 (5 min). */
  readonly windowMs: number;
  /** Bucket size of the window, ms. Default 10,000. */
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
  bucketMs: 10_000,
  minReadings: 10,
  lowQuality: 0.5,
  maxLowShare: 0.2,
  highLowShare: 0.5,
  cooldownMs: 60_000,
});

/**
 * A sensor's counts. `b`: closed buckets, oldest first, as flat `[start, readings,
 * low]`; `n`/`low`: their totals; `cs`/`cn`/`cl`: the current bucket; `last`: event
 * time of the last anomaly.
 */
export interface QualityState {
  readonly b: readonly number[];
  readonly n: number;
  readonly low: number;
  readonly cs: number;
  readonly cn: number;
  readonly cl: number;
  readonly last: number | null;
}

function withClosed(s: QualityState, b: number[], cs: number, cn: number, cl: number) {
  let n = 0;
  let low = 0;
  for (let i = 0; i < b.length; i += 3) {
    n += b[i + 1]!;
    low += b[i + 2]!;
  }
  return { b, n, low, cs, cn, cl, last: s.last };
}

function roll(s: QualityState, start: number, windowMs: number): QualityState {
  const oldest = start - windowMs;
  const b: number[] = [];
  for (let i = 0; i < s.b.length; i += 3) {
    if (s.b[i]! > oldest) b.push(s.b[i]!, s.b[i + 1]!, s.b[i + 2]!);
  }
  if (s.cn > 0 && s.cs > oldest) b.push(s.cs, s.cn, s.cl);
  return withClosed(s, b, start, 0, 0);
}

function backfill(s: QualityState, start: number, low: number): QualityState {
  const b: number[] = [];
  let added = false;
  for (let i = 0; i < s.b.length; i += 3) {
    const bs = s.b[i]!;
    if (!added && bs > start) {
      b.push(start, 1, low);
      added = true;
    }
    if (bs === start) {
      b.push(bs, s.b[i + 1]! + 1, s.b[i + 2]! + low);
      added = true;
    } else b.push(bs, s.b[i + 1]!, s.b[i + 2]!);
  }
  if (!added) b.push(start, 1, low);
  return withClosed(s, b, s.cs, s.cn, s.cl);
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
  const countsState = valueState<QualityState>("quality-counts", {
    ttl: Math.max(windowMs, cooldownMs),
  });

  return {
    processElement(r, ctx) {
      const t = ctx.timestamp;
      const start = bucketStart(t, bucketMs);
      const low = r.quality_score < lowQuality ? 1 : 0;
      const state = ctx.state(countsState);
      const stored = state.get();
      let s: QualityState = stored ?? { b: [], n: 0, low: 0, cs: start, cn: 0, cl: 0, last: null };
      if (start > s.cs) s = roll(s, start, windowMs);
      if (start === s.cs) {
        s = { b: s.b, n: s.n, low: s.low, cs: s.cs, cn: s.cn + 1, cl: s.cl + low, last: s.last };
      } else if (start > s.cs - windowMs) {
        s = backfill(s, start, low);
      } else if (s === stored) {
        return;
      }

      const n = s.n + s.cn;
      const lows = s.low + s.cl;
      const share = lows / n;
      if (
        n >= minReadings &&
        share > maxLowShare &&
        (s.last === null || t >= s.last + cooldownMs)
      ) {
        s = { b: s.b, n: s.n, low: s.low, cs: s.cs, cn: s.cn, cl: s.cl, last: t };
        ctx.emit(
          buildAnomaly(r, {
            detector: name,
            severity: share > highLowShare ? "high" : "medium",
            eventTimeMs: t,
            detectedAtMs: ctx.processingTime,
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
      state.set(s);
    },
  };
}
