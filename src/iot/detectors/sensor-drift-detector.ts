/**
 * Sensor-drift detector: a sensor whose value trends away while the other sensors of
 * its machine hold steady is drifting (a calibration drift, a fouled probe), not
 * following the process. All sensors of a machine answer to the same load, so a
 * production ramp moves them together; a single sensor's own trend a peer does not
 * share is what a per-sensor trend limit cannot tell from a ramp. Keyed by
 * equipment; each sensor's slope is measured in its own standard deviations.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import type { Anomaly, EnrichedReading, Severity } from "../reading/reading.js";
import { buildAnomaly, checkPositive, fmt } from "./anomaly.js";
import {
  type DetectorPart,
  type PartScope,
  PRESENT,
  partsDetector,
  WRITTEN,
} from "./detector-part.js";

/** The detector name, the first part of its anomaly ids. */
export const SENSOR_DRIFT_DETECTOR = "sensor-drift";

/** Options of `sensorDriftDetector`; every one has a default in `sensorDriftDefaults`. */
export interface SensorDriftConfig {
  /** Time constant of the exponentially weighted slope, ms of event time. Default 240,000. */
  readonly slopeTimeMs: number;
  /** Time constant of each sensor's mean and standard deviation, ms. Default 1,800,000. */
  readonly levelTimeMs: number;
  /**
   * How far behind its machine a sensor may follow (a temperature lags the load it
   * answers to), ms: peers' slopes are also compared smoothed over this time. Default 180,000.
   */
  readonly lagMs: number;
  /** A sensor is judged only after this much event time of its readings, ms. Default 900,000. */
  readonly warmupMs: number;
  /**
   * A sensor drifts when its slope differs by more than this from its peers' (their
   * median slope, now or smoothed over `lagMs`, whichever is closer), in the
   * sensor's standard deviations per minute. Default 0.12.
   */
  readonly minSlope: number;
  /** Peers (other warm sensors of the machine with a recent reading) needed to judge. Default 2. */
  readonly minPeers: number;
  /** A peer counts if it has read within this much event time, ms. Default 60,000. */
  readonly peerFreshMs: number;
  /** At most one anomaly per sensor per this much event time, ms. Default 300,000. */
  readonly cooldownMs: number;
  /** Severity; a slope above twice `minSlope` is one step higher. Default "medium". */
  readonly severity: Severity;
}

/** Defaults of `sensorDriftDetector`. */
export const sensorDriftDefaults: SensorDriftConfig = Object.freeze({
  slopeTimeMs: 240_000,
  levelTimeMs: 1_800_000,
  lagMs: 180_000,
  warmupMs: 900_000,
  minSlope: 0.12,
  minPeers: 2,
  peerFreshMs: 60_000,
  cooldownMs: 300_000,
  severity: "medium",
});

/**
 * A machine's sensors (the part's two slots: `h` holds only PRESENT and WRITTEN): their
 * ids, and for the i-th sensor `STRIDE` numbers from `s[i * STRIDE]`: last reading time,
 * first reading time, value offset (its first value, subtracted for precision),
 * weighted regression sums of value over minutes before the last reading (S0, Sx, Sv,
 * Sxx, Sxv), weighted mean and variance, its last slope in standard deviations per
 * minute, the time of its last anomaly (0: none), and its slope smoothed over `lagMs`.
 */
const LAST = 0;
const FIRST = 1;
const REF = 2;
const S0 = 3;
const SX = 4;
const SV = 5;
const SXX = 6;
const SXV = 7;
const MEAN = 8;
const VAR = 9;
const Z = 10;
const FIRED = 11;
const ZLAG = 12;
const STRIDE = 13;

const HIGHER: Record<Severity, Severity> = {
  low: "medium",
  medium: "high",
  high: "critical",
  critical: "critical",
};

/**
 * Adds reading `r` at the scope's time to the stats at `s[o…]`, leaving the new slope at
 * `s[o + Z]`. (Times and values are read here, not passed: a number passed to a call
 * that is not inlined is boxed.)
 */
function update(
  s: number[],
  o: number,
  scope: PartScope,
  r: EnrichedReading,
  c: SensorDriftConfig,
) {
  const { slopeTimeMs, levelTimeMs } = c;
  const t = scope.t;
  const v = r.value;
  const dt = t - s[o + LAST]!;
  const x = v - s[o + REF]!;
  if (dt > 0) {
    // Re-base the regression on this reading's time and let old points fade.
    const d = dt / 60_000;
    const k = Math.exp(-dt / slopeTimeMs);
    const s0 = s[o + S0]!;
    const sx = s[o + SX]!;
    const sv = s[o + SV]!;
    s[o + SXX] = (s[o + SXX]! - 2 * d * sx + d * d * s0) * k;
    s[o + SXV] = (s[o + SXV]! - d * sv) * k;
    s[o + SX] = (sx - d * s0) * k;
    s[o + SV] = sv * k;
    s[o + S0] = s0 * k;
    s[o + LAST] = t;
    const a = 1 - Math.exp(-dt / levelTimeMs);
    const delta = v - s[o + MEAN]!;
    s[o + MEAN] = s[o + MEAN]! + a * delta;
    s[o + VAR] = (1 - a) * (s[o + VAR]! + a * delta * delta);
  }
  // A reading out of order joins at its own (earlier) time.
  const at = dt >= 0 ? 0 : dt / 60_000;
  s[o + S0] = s[o + S0]! + 1;
  s[o + SX] = s[o + SX]! + at;
  s[o + SV] = s[o + SV]! + x;
  s[o + SXX] = s[o + SXX]! + at * at;
  s[o + SXV] = s[o + SXV]! + at * x;
  const s0 = s[o + S0]!;
  const sx = s[o + SX]!;
  const den = s0 * s[o + SXX]! - sx * sx;
  const slope = den > 1e-12 ? (s0 * s[o + SXV]! - sx * s[o + SV]!) / den : 0;
  s[o + Z] = slope / stddevOf(s, o, levelTimeMs);
  if (dt > 0)
    s[o + ZLAG] = s[o + ZLAG]! + (s[o + Z]! - s[o + ZLAG]!) * (1 - Math.exp(-dt / c.lagMs));
}

function byValue(a: number, b: number): number {
  return a - b;
}

/** The median of the first `n` of `values` (which it sorts in place). */
function median(values: number[], n: number): number {
  const sorted = sortNumbers(values, n);
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The first `n` of `values` sorted ascending, stably, as `sort(byValue)` sorts them: in
 * place, by insertion (a machine has a handful of sensors), without the calls of a
 * comparator. A list with a NaN (which a comparator treats as equal to anything) is
 * left to `sort` itself, on a copy.
 */
function sortNumbers(values: number[], n: number): number[] {
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(values[i])) return values.slice(0, n).sort(byValue);
  }
  for (let i = 1; i < n; i++) {
    const x = values[i]!;
    let k = i - 1;
    while (k >= 0 && values[k]! > x) {
      values[k + 1] = values[k]!;
      k--;
    }
    values[k + 1] = x;
  }
  return values;
}

/**
 * The weighted standard deviation of the stats at `s[o…]`, corrected for the start (a
 * weighted variance that began at 0 underestimates until it has seen about
 * `levelTimeMs`), floored.
 */
function stddevOf(s: readonly number[], o: number, levelTimeMs: number): number {
  const seen = 1 - Math.exp(-(s[o + LAST]! - s[o + FIRST]!) / levelTimeMs);
  const variance = seen > 0 ? s[o + VAR]! / seen : 0;
  return Math.max(Math.sqrt(variance), 1e-9, 1e-6 * Math.abs(s[o + MEAN]!));
}

/** The sensor-drift detector as a part of an equipment's state (see `sensorDriftDetector`). */
export function sensorDriftPart(config: Partial<SensorDriftConfig> = {}): DetectorPart {
  const c: SensorDriftConfig = { ...sensorDriftDefaults, ...config };
  const name = SENSOR_DRIFT_DETECTOR;
  for (const option of ["slopeTimeMs", "levelTimeMs", "lagMs", "minSlope", "minPeers"] as const) {
    checkPositive(name, option, c[option]);
  }
  for (const option of ["warmupMs", "peerFreshMs", "cooldownMs"] as const) {
    checkPositive(name, option, c[option], true);
  }
  const { levelTimeMs, warmupMs, minSlope, minPeers } = c;
  const { peerFreshMs, cooldownMs, severity } = c;
  // Scratch lists of the peers' slopes, now and smoothed over `lagMs`: the first `peers`
  // of each are this reading's (written over, never cut, so they keep their room).
  const now: number[] = [];
  const lagged: number[] = [];

  return {
    name,
    ttl: Math.max(levelTimeMs, cooldownMs),
    size: 2,
    slots: 2,
    process(scope, at, j, r) {
      const v = r.value;
      if (r.equipment_id === null || !Number.isFinite(v)) return;
      const t = scope.t;
      const { h, ctx } = scope;
      if (h[at + PRESENT] === 0) {
        h[at + PRESENT] = 1;
        scope.s[j] = [];
        scope.s[j + 1] = [];
      }
      h[at + WRITTEN] = t;
      const id = r.sensor_id;
      let ids = scope.s[j] as string[];
      let s = scope.s[j + 1] as number[];
      let i = ids.indexOf(id);
      if (i < 0) {
        // A new sensor of the machine (rare): new arrays exactly as long as they need to
        // be, where `push` would leave spare room in every machine's.
        i = ids.length;
        ids = ids.concat([id]);
        s = s.concat([t, t, v, 1, 0, 0, 0, 0, v, 0, 0, 0, 0]);
        scope.s[j] = ids;
        scope.s[j + 1] = s;
      } else update(s, i * STRIDE, scope, r, c);
      const o = i * STRIDE;
      const z = s[o + Z]!;
      let fire = false;
      let common = 0;
      let peers = 0;
      if (
        t - s[o + FIRST]! >= warmupMs &&
        (s[o + FIRED] === 0 || t >= s[o + FIRED]! + cooldownMs)
      ) {
        for (let j = 0; j < ids.length; j++) {
          if (j === i) continue;
          const p = j * STRIDE;
          if (t - s[p + LAST]! > peerFreshMs || s[p + LAST]! - s[p + FIRST]! < warmupMs) continue;
          now[peers] = s[p + Z]!;
          lagged[peers] = s[p + ZLAG]!;
          peers++;
        }
        if (peers >= minPeers) {
          const a = median(now, peers);
          const b = median(lagged, peers);
          // The peers' slope now or a while ago, whichever is closer to this sensor's.
          common = Math.abs(z - a) <= Math.abs(z - b) ? a : b;
          fire = Math.abs(z - common) > minSlope;
        }
      }
      if (!fire) return;
      s[o + FIRED] = t;
      const sd = stddevOf(s, o, levelTimeMs);
      const score = Math.abs(z - common);
      ctx.emit(
        buildAnomaly(r, {
          detector: name,
          severity: score > 2 * minSlope ? HIGHER[severity] : severity,
          eventTimeMs: t,
          detectedAtMs: ctx.processingTime,
          value: v,
          baseline: {
            slope_per_minute: z * sd,
            threshold: minSlope,
            mean: s[o + MEAN]!,
            stddev: sd,
            peer_slope: common,
            peers,
          },
          score,
          message: `${id}: ${z > 0 ? "rising" : "falling"} ${fmt(Math.abs(z))} stddev/min, ${fmt(score)} apart from the other ${peers} sensors of ${r.equipment_id} (median ${fmt(common)})`,
        }),
      );
    },
  };
}

/**
 * Builds the sensor-drift detector, keyed by `equipment_id` (readings without one
 * are ignored). Per sensor it keeps an exponentially weighted regression slope
 * (time constant `slopeTimeMs`) and mean and standard deviation (`levelTimeMs`), and
 * expresses the slope in standard deviations per minute, so sensors of different
 * units compare: a load change moves every sensor of a machine by about the same
 * number of its own standard deviations. A reading whose sensor has read for
 * `warmupMs`, whose |slope| passes `minSlope`, and whose machine has at least
 * `minPeers` warm peers that read within `peerFreshMs`, the median of whose slopes
 * differs from its own by more than `minSlope`, emits one anomaly (then none for
 * that sensor for `cooldownMs`). Score: |slope − peers' slope| in stddev/min. Baseline:
 * `slope_per_minute` (in the unit), `threshold` (`minSlope`), `mean`, `stddev`,
 * `peer_slope` (the peers' median, stddev/min), `peers`.
 */
export function sensorDriftDetector(
  config: Partial<SensorDriftConfig> = {},
): KeyedProcessFunction<string, EnrichedReading, Anomaly> {
  return partsDetector([sensorDriftPart(config)]);
}
