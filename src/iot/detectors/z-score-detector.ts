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
  buildAnomaly,
  bucketStart,
  checkPositive,
  fmt,
  type SeverityLadder,
  severityOf,
} from "./anomaly.js";
import {
  type DetectorPart,
  type DetectorState,
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
// readings in a row (+k above the mean, −k below, 0 after a normal reading). Slot j: the
// closed buckets, oldest first, as flat [start, count, mean, m2] quadruples.
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

/** Merges the closed buckets `b` into the totals at `h[o…]`, oldest first. */
function summarise(h: number[], o: number, b: readonly number[], scratch: Moments): void {
  scratch.n = 0;
  scratch.mean = 0;
  scratch.m2 = 0;
  for (let i = 0; i < b.length; i += 4) merge(scratch, b[i + 1]!, b[i + 2]!, b[i + 3]!);
  h[o + N] = scratch.n;
  h[o + MEAN] = scratch.mean;
  h[o + M2] = scratch.m2;
}

/** Makes part `i` a baseline holding only `v`, read at `t` in the bucket at `start`. */
function fresh(
  s: DetectorState,
  h: number[],
  o: number,
  j: number,
  t: number,
  start: number,
  v: number,
) {
  h[o + PRESENT] = 1;
  h[o + WRITTEN] = t;
  h[o + N] = 0;
  h[o + MEAN] = 0;
  h[o + M2] = 0;
  h[o + CS] = start;
  h[o + CN] = 1;
  h[o + CM] = v;
  h[o + C2] = 0;
  h[o + RUN] = 0;
  const b = s[j] as number[] | null;
  if (b === null) s[j] = [];
  else b.length = 0;
}

/** Closes the current bucket and opens the one at `start`, dropping buckets that left the window. */
function roll(
  h: number[],
  o: number,
  b: number[],
  start: number,
  windowMs: number,
  scratch: Moments,
) {
  const oldest = start - windowMs; // buckets starting at or before this are out
  let j = 0;
  for (let i = 0; i < b.length; i += 4) {
    if (b[i]! <= oldest) continue;
    if (j !== i) {
      b[j] = b[i]!;
      b[j + 1] = b[i + 1]!;
      b[j + 2] = b[i + 2]!;
      b[j + 3] = b[i + 3]!;
    }
    j += 4;
  }
  b.length = j;
  const cs = h[o + CS]!;
  const cn = h[o + CN]!;
  if (cn > 0 && cs > oldest) b.push(cs, cn, h[o + CM]!, h[o + C2]!);
  summarise(h, o, b, scratch);
  h[o + CS] = start;
  h[o + CN] = 0;
  h[o + CM] = 0;
  h[o + C2] = 0;
}

/** Adds `v` to the closed bucket at `start` (a late reading), creating it in order. */
function backfill(h: number[], o: number, b: number[], start: number, v: number, scratch: Moments) {
  let i = 0;
  while (i < b.length && b[i]! < start) i += 4;
  if (i < b.length && b[i] === start) {
    scratch.n = b[i + 1]!;
    scratch.mean = b[i + 2]!;
    scratch.m2 = b[i + 3]!;
    merge(scratch, 1, v, 0);
    b[i + 1] = scratch.n;
    b[i + 2] = scratch.mean;
    b[i + 3] = scratch.m2;
  } else b.splice(i, 0, start, 1, v, 0);
  summarise(h, o, b, scratch);
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
  const scratch: Moments = { n: 0, mean: 0, m2: 0 };

  return {
    name: Z_SCORE_DETECTOR,
    // Expires once every bucket has left the window: a sensor gone for good leaves nothing.
    ttl: windowMs,
    size: SIZE,
    slots: 1,
    process(scope, o, j, r) {
      const v = r.value;
      if (!Number.isFinite(v)) return;
      const t = scope.t;
      const start = bucketStart(t, bucketMs);
      const h = scope.h;
      if (h[o + PRESENT] === 0) {
        fresh(scope.s, h, o, j, t, start, v);
        return;
      }
      const rolled = start > h[o + CS]!;
      // A roll is always written below: every path after it writes.
      if (rolled) roll(h, o, scope.s[j] as number[], start, windowMs, scratch);

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
            fresh(scope.s, h, o, j, t, start, v);
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
        backfill(h, o, scope.s[j] as number[], start, v, scratch);
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
