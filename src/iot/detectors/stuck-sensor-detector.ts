/**
 * Stuck-sensor detector: a sensor that keeps reporting the same value (exactly, or
 * within an epsilon) for N readings or T seconds has probably frozen. One anomaly
 * per stuck run, when it becomes stuck; the next only after the value has changed.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import type { Anomaly, EnrichedReading, Severity } from "../reading/reading.js";
import { buildAnomaly, checkPositive, fmt } from "./anomaly.js";
import { type DetectorPart, PRESENT, partsDetector } from "./detector-part.js";

/** The detector name, the first part of its anomaly ids. */
export const STUCK_SENSOR_DETECTOR = "stuck-sensor";

/** Options of `stuckSensorDetector`; every one has a default in `stuckSensorDefaults`. */
export interface StuckSensorConfig {
  /** Readings of one value that make a sensor stuck (`Infinity` turns the rule off). Default 10. */
  readonly minReadings: number;
  /**
   * Event time between the first and the latest reading of one value that makes a
   * sensor stuck, ms (`Infinity` turns the rule off). Needs two readings. Default 60,000.
   */
  readonly minDurationMs: number;
  /** Values within this of the run's first value count as the same. Default 0 (exact). */
  readonly epsilon: number;
  /** Severity of the anomaly. Default "medium". */
  readonly severity: Severity;
}

/** Defaults of `stuckSensorDetector`. */
export const stuckSensorDefaults: StuckSensorConfig = Object.freeze({
  minReadings: 10,
  minDurationMs: 60_000,
  epsilon: 0,
  severity: "medium",
});

// The current run of one value at h[o + …]: its first value, the event time of its
// first reading, its readings, and whether it has been reported (1) or not (0).
const V = 1;
const SINCE = 2;
const READINGS = 3;
const REPORTED = 4;
const SIZE = 5;

/** The stuck-sensor detector as a part of a sensor's state (see `stuckSensorDetector`). */
export function stuckSensorPart(config: Partial<StuckSensorConfig> = {}): DetectorPart {
  const c: StuckSensorConfig = { ...stuckSensorDefaults, ...config };
  checkPositive(STUCK_SENSOR_DETECTOR, "minReadings", c.minReadings);
  checkPositive(STUCK_SENSOR_DETECTOR, "minDurationMs", c.minDurationMs);
  checkPositive(STUCK_SENSOR_DETECTOR, "epsilon", c.epsilon, true);
  if (c.minReadings === Number.POSITIVE_INFINITY && c.minDurationMs === Number.POSITIVE_INFINITY) {
    throw new RangeError(`${STUCK_SENSOR_DETECTOR}: minReadings and minDurationMs are both off`);
  }
  const { minReadings, minDurationMs, epsilon, severity } = c;

  return {
    name: STUCK_SENSOR_DETECTOR,
    ttl: 0,
    size: SIZE,
    slots: 0,
    process(scope, o, _j, r) {
      const v = r.value;
      if (!Number.isFinite(v)) return;
      const t = scope.t;
      const h = scope.h;
      if (h[o + PRESENT] === 0 || Math.abs(v - h[o + V]!) > epsilon) {
        h[o + PRESENT] = 1;
        h[o + V] = v;
        h[o + SINCE] = t;
        h[o + READINGS] = 1;
        h[o + REPORTED] = 0;
        return;
      }
      if (h[o + REPORTED] !== 0) return;
      const n = h[o + READINGS]! + 1;
      const since = h[o + SINCE]!;
      const span = t - since;
      h[o + READINGS] = n;
      if (n < minReadings && span < minDurationMs) return;
      h[o + REPORTED] = 1;
      const first = h[o + V]!;
      const score = Math.max(n / minReadings, span / minDurationMs);
      scope.ctx.emit(
        buildAnomaly(r, {
          detector: STUCK_SENSOR_DETECTOR,
          severity,
          eventTimeMs: t,
          detectedAtMs: scope.ctx.processingTime,
          value: v,
          baseline: { threshold: first, readings: n, duration_ms: span, since_ms: since },
          score,
          message: `${r.sensor_id}: stuck at ${fmt(first)} for ${n} readings over ${fmt(span / 1000)} s`,
        }),
      );
    },
  };
}

/**
 * Builds the stuck-sensor detector, keyed by `sensor_id`. Readings are taken in
 * arrival order. A run is stuck once it has `minReadings` readings or spans
 * `minDurationMs` (whichever comes first); the anomaly's event time is the reading
 * that made it so, its score the larger of readings / `minReadings` and span /
 * `minDurationMs`. Once reported, a run is not changed until the value changes.
 */
export function stuckSensorDetector(
  config: Partial<StuckSensorConfig> = {},
): KeyedProcessFunction<string, EnrichedReading, Anomaly> {
  return partsDetector([stuckSensorPart(config)]);
}
