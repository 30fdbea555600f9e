/**
 * Z-score detector: scores each reading against its sensor's trailing baseline
 * (mean and sample stddev of the last `windowMs` of event time) the moment it
 * arrives. The baseline is a handful of time buckets of count/mean/M2 merged with
 * Chan's formula; anomalous readings are kept out of it, so a spike cannot hide the
 * next one.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import { valueState } from "../../engine/index.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";
import {
  buildAnomaly,
  bucketStart,
  checkPositive,
  fmt,
  type SeverityLadder,
  severityOf,
} from "./anomaly.js";

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

/**
 * A sensor's baseline. `b` holds the closed buckets, oldest first, as flat
 * `[start, count, mean, m2]` quadruples; `n`/`mean`/`m2` merge them (computed when
 * a bucket closes); `cs`/`cn`/`cm`/`c2` are the current bucket. Replaced, never
 * mutated: the current bucket's fields change on every reading, `b` only when a
 * bucket closes.
 */
export interface ZScoreState {
  readonly b: readonly number[];
  readonly n: number;
  readonly mean: number;
  readonly m2: number;
  readonly cs: number;
  readonly cn: number;
  readonly cm: number;
  readonly c2: number;
  /**
   * Anomalous readings in a row: +k above the mean, −k below (absent or 0 after a
   * normal reading).
   */
  readonly run?: number;
}

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

/** Merges every bucket of `b` into `scratch`. */
function summarise(b: readonly number[], scratch: Moments): void {
  scratch.n = 0;
  scratch.mean = 0;
  scratch.m2 = 0;
  for (let i = 0; i < b.length; i += 4) merge(scratch, b[i + 1]!, b[i + 2]!, b[i + 3]!);
}

/** Closes the current bucket and opens the one at `start`, dropping buckets that left the window. */
function roll(s: ZScoreState, start: number, windowMs: number, scratch: Moments): ZScoreState {
  const oldest = start - windowMs; // buckets starting at or before this are out
  const b: number[] = [];
  for (let i = 0; i < s.b.length; i += 4) {
    if (s.b[i]! > oldest) b.push(s.b[i]!, s.b[i + 1]!, s.b[i + 2]!, s.b[i + 3]!);
  }
  if (s.cn > 0 && s.cs > oldest) b.push(s.cs, s.cn, s.cm, s.c2);
  summarise(b, scratch);
  const { n, mean, m2 } = scratch;
  return s.run
    ? { b, n, mean, m2, cs: start, cn: 0, cm: 0, c2: 0, run: s.run }
    : { b, n, mean, m2, cs: start, cn: 0, cm: 0, c2: 0 };
}

/** Adds `v` to the closed bucket at `start` (a late reading), creating it in order. */
function backfill(s: ZScoreState, start: number, v: number, scratch: Moments): ZScoreState {
  const b: number[] = [];
  let added = false;
  for (let i = 0; i < s.b.length; i += 4) {
    const bs = s.b[i]!;
    if (!added && bs > start) {
      b.push(start, 1, v, 0);
      added = true;
    }
    if (bs === start) {
      scratch.n = s.b[i + 1]!;
      scratch.mean = s.b[i + 2]!;
      scratch.m2 = s.b[i + 3]!;
      merge(scratch, 1, v, 0);
      b.push(bs, scratch.n, scratch.mean, scratch.m2);
      added = true;
    } else b.push(bs, s.b[i + 1]!, s.b[i + 2]!, s.b[i + 3]!);
  }
  if (!added) b.push(start, 1, v, 0);
  summarise(b, scratch);
  return { ...s, b, n: scratch.n, mean: scratch.mean, m2: scratch.m2 };
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
  const scratch: Moments = { n: 0, mean: 0, m2: 0 };
  // Expires once every bucket has left the window: a sensor gone for good leaves nothing.
  const baselineState = valueState<ZScoreState>("z-score-baseline", { ttl: windowMs });

  return {
    processElement(r, ctx) {
      const v = r.value;
      if (!Number.isFinite(v)) return;
      const t = ctx.timestamp;
      const start = bucketStart(t, bucketMs);
      const state = ctx.state(baselineState);
      let s = state.get();
      if (s === undefined) {
        state.set({ b: [], n: 0, mean: 0, m2: 0, cs: start, cn: 1, cm: v, c2: 0 });
        return;
      }
      const rolled = start > s.cs;
      if (rolled) s = roll(s, start, windowMs, scratch);

      scratch.n = s.n;
      scratch.mean = s.mean;
      scratch.m2 = s.m2;
      merge(scratch, s.cn, s.cm, s.c2);
      const n = scratch.n;
      if (n >= minSamples) {
        const mean = scratch.mean;
        const stddev = Math.sqrt(scratch.m2 / (n - 1));
        const used = Math.max(stddev, minRelativeStddev * Math.abs(mean), minAbsoluteStddev);
        const z = (v - mean) / used;
        const score = Math.abs(z);
        const level = severityOf(score, severity);
        if (level !== null) {
          const previous = s.run ?? 0;
          const run = z > 0 ? Math.max(previous, 0) + 1 : Math.min(previous, 0) - 1;
          if (Math.abs(run) >= levelShiftReadings) {
            // A new normal level: learn it afresh, starting with this reading.
            state.set({ b: [], n: 0, mean: 0, m2: 0, cs: start, cn: 1, cm: v, c2: 0 });
          } else if (rolled || run !== previous) {
            // The closed bucket and the run are kept even so; the reading is not.
            state.set({
              b: s.b,
              n: s.n,
              mean: s.mean,
              m2: s.m2,
              cs: s.cs,
              cn: s.cn,
              cm: s.cm,
              c2: s.c2,
              run,
            });
          }
          ctx.emit(
            buildAnomaly(r, {
              detector: Z_SCORE_DETECTOR,
              severity: level,
              eventTimeMs: t,
              detectedAtMs: ctx.processingTime,
              value: v,
              baseline: { mean, stddev, count: n, threshold: severity.medium },
              score,
              message: `${r.sensor_id}: ${fmt(v)} is ${fmt(score)} stddev ${z > 0 ? "above" : "below"} its ${minutes} min mean ${fmt(mean)} (±${fmt(stddev)})`,
            }),
          );
          return;
        }
      }

      if (start === s.cs) {
        const cn = s.cn + 1;
        const delta = v - s.cm;
        const cm = s.cm + delta / cn;
        const c2 = s.c2 + delta * (v - cm);
        state.set({ b: s.b, n: s.n, mean: s.mean, m2: s.m2, cs: s.cs, cn, cm, c2 });
      } else if (start > s.cs - windowMs) {
        state.set(backfill({ ...s, run: 0 }, start, v, scratch));
      } else if (s.run) {
        state.set({
          b: s.b,
          n: s.n,
          mean: s.mean,
          m2: s.m2,
          cs: s.cs,
          cn: s.cn,
          cm: s.cm,
          c2: s.c2,
        });
      }
    },
  };
}
