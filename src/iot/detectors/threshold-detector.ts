/**
 * Threshold detector: compares each reading with its sensor's own warning and
 * critical bands (`reading.thresholds`, from the sensor metadata). By default it
 * reports a sensor once when it enters a band (or moves to a worse one), not on
 * every reading it stays there.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import type { AlertThresholds, Anomaly, EnrichedReading, Severity } from "../reading/reading.js";
import { buildAnomaly, fmt } from "./anomaly.js";
import { type DetectorPart, PRESENT, partsDetector } from "./detector-part.js";

/** The detector name, the first part of its anomaly ids. */
export const THRESHOLD_DETECTOR = "threshold";

/** Options of `thresholdDetector`; every one has a default in `thresholdDefaults`. */
export interface ThresholdConfig {
  /** Severity of a reading outside a warning bound. Default "medium". */
  readonly warningSeverity: Severity;
  /** Severity of a reading outside a critical bound. Default "critical". */
  readonly criticalSeverity: Severity;
  /**
   * `"on-change"` (default): one anomaly when the sensor leaves the normal band or
   * moves to a worse or other band (warning → critical, low → high); none while it
   * stays, nor when it eases from critical to warning on the same side. `"every-reading"`:
   * one anomaly per reading outside a band.
   */
  readonly emit: "on-change" | "every-reading";
}

/** Defaults of `thresholdDetector`. */
export const thresholdDefaults: ThresholdConfig = Object.freeze({
  warningSeverity: "medium",
  criticalSeverity: "critical",
  emit: "on-change",
});

/** Band codes kept in state: which bound a sensor is beyond. 0 (inside every band) is never stored. */
const Band = { Inside: 0, WarningLow: 1, WarningHigh: 2, CriticalLow: 3, CriticalHigh: 4 } as const;
type Band = (typeof Band)[keyof typeof Band];

function bandOf(v: number, th: AlertThresholds): Band {
  if (th.critical_max !== undefined && v > th.critical_max) return Band.CriticalHigh;
  if (th.critical_min !== undefined && v < th.critical_min) return Band.CriticalLow;
  if (th.warning_max !== undefined && v > th.warning_max) return Band.WarningHigh;
  if (th.warning_min !== undefined && v < th.warning_min) return Band.WarningLow;
  return Band.Inside;
}

/**
 * Width of the normal band used to scale the excess: warning_max − warning_min,
 * else critical_max − critical_min, else |bound|, else 1.
 */
function scaleOf(th: AlertThresholds, bound: number): number {
  if (th.warning_max !== undefined && th.warning_min !== undefined) {
    const w = th.warning_max - th.warning_min;
    if (w > 0) return w;
  }
  if (th.critical_max !== undefined && th.critical_min !== undefined) {
    const w = th.critical_max - th.critical_min;
    if (w > 0) return w;
  }
  return Math.abs(bound) > 0 ? Math.abs(bound) : 1;
}

const BOUND_NAMES = ["", "warning_min", "warning_max", "critical_min", "critical_max"] as const;

/**
 * The threshold detector as a part of a sensor's state (see `thresholdDetector`): one
 * number, the band the sensor is in (its PRESENT slot: 0, inside every band, is none).
 */
export function thresholdPart(config: Partial<ThresholdConfig> = {}): DetectorPart {
  const c: ThresholdConfig = { ...thresholdDefaults, ...config };
  if (c.emit !== "on-change" && c.emit !== "every-reading") {
    throw new RangeError(`${THRESHOLD_DETECTOR}: emit must be "on-change" or "every-reading"`);
  }
  const onChange = c.emit === "on-change";
  const { warningSeverity, criticalSeverity } = c;

  return {
    name: THRESHOLD_DETECTOR,
    ttl: 0,
    size: 1,
    slots: 0,
    process(scope, o, _j, r) {
      const th = r.thresholds;
      const v = r.value;
      if (th === null || !Number.isFinite(v)) return;
      const band: number = bandOf(v, th);
      if (onChange) {
        const previous = scope.h[o + PRESENT]!;
        if (band === previous) return;
        scope.h[o + PRESENT] = band;
        if (band === Band.Inside) return;
        // Easing from critical to warning on the same side is no news.
        if (previous === band + 2) return;
      } else if (band === Band.Inside) return;

      const name = BOUND_NAMES[band as Band];
      const bound = th[name as keyof AlertThresholds]!;
      const critical = band >= Band.CriticalLow;
      const high = band === Band.WarningHigh || band === Band.CriticalHigh;
      const score = Math.abs(v - bound) / scaleOf(th, bound);
      scope.ctx.emit(
        buildAnomaly(r, {
          detector: THRESHOLD_DETECTOR,
          severity: critical ? criticalSeverity : warningSeverity,
          eventTimeMs: scope.t,
          detectedAtMs: scope.ctx.processingTime,
          value: v,
          baseline: { threshold: bound, [name]: bound },
          score,
          message: `${r.sensor_id}: ${fmt(v)} is ${high ? "above" : "below"} its ${critical ? "critical" : "warning"} ${high ? "maximum" : "minimum"} ${fmt(bound)}`,
        }),
      );
    },
  };
}

/**
 * Builds the threshold detector, keyed by `sensor_id`. A value above a `*_max` or
 * below a `*_min` bound (strictly) is outside; the critical band is checked first.
 * Score = excess beyond the bound divided by the width of the normal band (see
 * `scaleOf`), so 0.1 means "10 % of the band past the bound". Readings without
 * thresholds are ignored.
 */
export function thresholdDetector(
  config: Partial<ThresholdConfig> = {},
): KeyedProcessFunction<string, EnrichedReading, Anomaly> {
  return partsDetector([thresholdPart(config)]);
}
