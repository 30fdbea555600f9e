/**
 * Stuck-sensor detector: a sensor that keeps reporting the same value (exactly, or
 * within an epsilon) for N readings or T seconds has probably frozen. One anomaly
 * per stuck run, when it becomes stuck; the next only after the value has changed.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import { valueState } from "../../engine/index.js";
import type { Anomaly, EnrichedReading, Severity } from "../reading/reading.js";
import { buildAnomaly, checkPositive, fmt } from "./anomaly.js";

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

/**
 * The current run of one value: its first value `v`, the event time of its first
 * reading `since`, its readings `n`, and whether it has been reported.
 */
export interface StuckRun {
  readonly v: number;
  readonly since: number;
  readonly n: number;
  readonly reported: boolean;
}

/**
 * Builds the stuck-sensor detector, keyed by `sensor_id`. Readings are taken in
 * arrival order. A run is stuck once it has `minReadings` readings or spans
 * `minDurationMs` (whichever comes first); the anomaly's event time is the reading
 * that made it so, its score the larger of readings / `minReadings` and span /
 * `minDurationMs`. Once reported, a run's state is not rewritten until the value changes.
 */
export function stuckSensorDetector(
  config: Partial<StuckSensorConfig> = {},
): KeyedProcessFunction<string, EnrichedReading, Anomaly> {
  const c: StuckSensorConfig = { ...stuckSensorDefaults, ...config };
  checkPositive(STUCK_SENSOR_DETECTOR, "minReadings", c.minReadings);
  checkPositive(STUCK_SENSOR_DETECTOR, "minDurationMs", c.minDurationMs);
  checkPositive(STUCK_SENSOR_DETECTOR, "epsilon", c.epsilon, true);
  if (c.minReadings === Number.POSITIVE_INFINITY && c.minDurationMs === Number.POSITIVE_INFINITY) {
    throw new RangeError(`${STUCK_SENSOR_DETECTOR}: minReadings and minDurationMs are both off`);
  }
  const { minReadings, minDurationMs, epsilon, severity } = c;
  const runState = valueState<StuckRun>("stuck-run");

  return {
    processElement(r, ctx) {
      const v = r.value;
      if (!Number.isFinite(v)) return;
      const t = ctx.timestamp;
      const state = ctx.state(runState);
      const run = state.get();
      if (run === undefined || Math.abs(v - run.v) > epsilon) {
        state.set({ v, since: t, n: 1, reported: false });
        return;
      }
      if (run.reported) return;
      const n = run.n + 1;
      const span = t - run.since;
      if (n < minReadings && span < minDurationMs) {
        state.set({ v: run.v, since: run.since, n, reported: false });
        return;
      }
      state.set({ v: run.v, since: run.since, n, reported: true });
      const score = Math.max(n / minReadings, span / minDurationMs);
      ctx.emit(
        buildAnomaly(r, {
          detector: STUCK_SENSOR_DETECTOR,
          severity,
          eventTimeMs: t,
          detectedAtMs: ctx.processingTime,
          value: v,
          baseline: { threshold: run.v, readings: n, duration_ms: span, since_ms: run.since },
          score,
          message: `${r.sensor_id}: stuck at ${fmt(run.v)} for ${n} readings over ${fmt(span / 1000)} s`,
        }),
      );
    },
  };
}
