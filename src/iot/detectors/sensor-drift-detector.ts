/**
 * Sensor-drift detector: a sensor whose value trends away while the other sensors of
 * its machine hold steady is drifting (a calibration drift, a fouled probe), not
 * following the process. All sensors of a machine answer to the same load, so a
 * production ramp moves them together; a single sensor's own trend a peer does not
 * share is what a per-sensor trend limit cannot tell from a ramp. Keyed by
 * equipment; each sensor's slope is measured in its own standard deviations.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import { valueState } from "../../engine/index.js";
import type { Anomaly, EnrichedReading, Severity } from "../reading/reading.js";
import { buildAnomaly, checkPositive, fmt } from "./anomaly.js";

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
 * One sensor's numbers, flat: last reading time, first reading time, value offset
 * (its first value, subtracted for precision), weighted regression sums of value over
 * minutes before the last reading (S0, Sx, Sv, Sxx, Sxv), weighted mean and variance,
 * its last slope in standard deviations per minute, the time of its last anomaly
 * (0: none), and its slope smoothed over `lagMs`.
 */
type SensorStats = readonly number[];
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

/** A machine's sensors, by sensor id. */
export interface SensorDriftState {
  readonly [sensorId: string]: SensorStats;
}

const HIGHER: Record<Severity, Severity> = {
  low: "medium",
  medium: "high",
  high: "critical",
  critical: "critical",
};

/** The stats after a reading of `v` at `t`; also returns the new slope in `out[Z]`. */
function update(
  prev: SensorStats | undefined,
  t: number,
  v: number,
  c: SensorDriftConfig,
): number[] {
  const { slopeTimeMs, levelTimeMs } = c;
  if (prev === undefined) return [t, t, v, 1, 0, 0, 0, 0, v, 0, 0, 0, 0];
  const s = [...prev];
  const dt = t - s[LAST]!;
  const x = v - s[REF]!;
  if (dt > 0) {
    // Re-base the regression on this reading's time and let old points fade.
    const d = dt / 60_000;
    const k = Math.exp(-dt / slopeTimeMs);
    const s0 = s[S0]!;
    const sx = s[SX]!;
    const sv = s[SV]!;
    s[SXX] = (s[SXX]! - 2 * d * sx + d * d * s0) * k;
    s[SXV] = (s[SXV]! - d * sv) * k;
    s[SX] = (sx - d * s0) * k;
    s[SV] = sv * k;
    s[S0] = s0 * k;
    s[LAST] = t;
    const a = 1 - Math.exp(-dt / levelTimeMs);
    const delta = v - s[MEAN]!;
    s[MEAN] = s[MEAN]! + a * delta;
    s[VAR] = (1 - a) * (s[VAR]! + a * delta * delta);
  }
  // A reading out of order joins at its own (earlier) time.
  const at = dt >= 0 ? 0 : dt / 60_000;
  s[S0] = s[S0]! + 1;
  s[SX] = s[SX]! + at;
  s[SV] = s[SV]! + x;
  s[SXX] = s[SXX]! + at * at;
  s[SXV] = s[SXV]! + at * x;
  const den = s[S0]! * s[SXX]! - s[SX]! * s[SX]!;
  const slope = den > 1e-12 ? (s[S0]! * s[SXV]! - s[SX]! * s[SV]!) / den : 0;
  s[Z] = slope / stddevOf(s, levelTimeMs);
  if (dt > 0) s[ZLAG] = s[ZLAG]! + (s[Z]! - s[ZLAG]!) * (1 - Math.exp(-dt / c.lagMs));
  return s;
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/**
 * The weighted standard deviation, corrected for the start (a weighted variance
 * that began at 0 underestimates until it has seen about `levelTimeMs`), floored.
 */
function stddevOf(s: SensorStats, levelTimeMs: number): number {
  const seen = 1 - Math.exp(-(s[LAST]! - s[FIRST]!) / levelTimeMs);
  const variance = seen > 0 ? s[VAR]! / seen : 0;
  return Math.max(Math.sqrt(variance), 1e-9, 1e-6 * Math.abs(s[MEAN]!));
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
  const machineState = valueState<SensorDriftState>("sensor-drift-sensors", {
    ttl: Math.max(levelTimeMs, cooldownMs),
  });

  return {
    processElement(r, ctx) {
      const v = r.value;
      if (r.equipment_id === null || !Number.isFinite(v)) return;
      const t = ctx.timestamp;
      const state = ctx.state(machineState);
      const machine = state.get() ?? {};
      const id = r.sensor_id;
      const s = update(machine[id], t, v, c);
      const z = s[Z]!;
      let fire = false;
      let common = 0;
      let peers = 0;
      if (t - s[FIRST]! >= warmupMs && (s[FIRED] === 0 || t >= s[FIRED]! + cooldownMs)) {
        const now: number[] = [];
        const lagged: number[] = [];
        for (const other in machine) {
          if (other === id) continue;
          const p = machine[other]!;
          if (t - p[LAST]! > peerFreshMs || p[LAST]! - p[FIRST]! < warmupMs) continue;
          now.push(p[Z]!);
          lagged.push(p[ZLAG] ?? p[Z]!);
        }
        peers = now.length;
        if (peers >= minPeers) {
          const a = median(now);
          const b = median(lagged);
          // The peers' slope now or a while ago, whichever is closer to this sensor's.
          common = Math.abs(z - a) <= Math.abs(z - b) ? a : b;
          fire = Math.abs(z - common) > minSlope;
        }
      }
      if (fire) s[FIRED] = t;
      state.set({ ...machine, [id]: s });
      if (!fire) return;
      const sd = stddevOf(s, levelTimeMs);
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
            mean: s[MEAN]!,
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
