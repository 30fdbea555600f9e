/**
 * The anomaly record builder shared by every detector: deterministic ids, ISO
 * times, severity ladders and the short numbers used in messages.
 */
import type { Anomaly, EnrichedReading, Severity } from "../reading/reading.js";

/** The reading fields an anomaly copies: a reading itself, or a copy kept in state. */
export type AnomalySubject = Pick<
  EnrichedReading,
  "sensor_id" | "equipment_id" | "facility_id" | "production_line" | "sensor_type"
>;

/** What a detector decided; `buildAnomaly` adds the subject's fields, the id and the times. */
export interface AnomalyFields {
  readonly detector: string;
  readonly severity: Severity;
  /** Event time of the reading or moment that showed the anomaly, epoch ms. */
  readonly eventTimeMs: number;
  /** Processing time of the detection (`ctx.processingTime`), epoch ms. */
  readonly detectedAtMs: number;
  readonly value: number | null;
  readonly baseline: Anomaly["baseline"];
  readonly score: number;
  readonly message: string;
  /** The id's middle part; default the subject's `sensor_id` (equipment detectors pass the equipment). */
  readonly idKey?: string;
  /** Appended as `|suffix` when one reading can produce two anomalies of one detector. */
  readonly idSuffix?: string;
}

/**
 * Builds an anomaly with id `${detector}|${idKey ?? sensor_id}|${eventTimeMs}` (plus
 * `|${idSuffix}`): the same input gives the same id on every run, so sinks upsert by it.
 */
export function buildAnomaly(subject: AnomalySubject, f: AnomalyFields): Anomaly {
  const key = f.idKey ?? subject.sensor_id;
  const id =
    f.idSuffix === undefined
      ? `${f.detector}|${key}|${f.eventTimeMs}`
      : `${f.detector}|${key}|${f.eventTimeMs}|${f.idSuffix}`;
  return {
    id,
    detector: f.detector,
    severity: f.severity,
    sensor_id: subject.sensor_id,
    equipment_id: subject.equipment_id,
    facility_id: subject.facility_id,
    production_line: subject.production_line,
    sensor_type: subject.sensor_type,
    event_time: new Date(f.eventTimeMs).toISOString(),
    event_time_ms: f.eventTimeMs,
    detected_at: new Date(f.detectedAtMs).toISOString(),
    value: f.value,
    baseline: f.baseline,
    score: f.score,
    message: f.message,
  };
}

/** Score limits of a severity ladder: a score above `critical` is critical, and so on. */
export interface SeverityLadder {
  readonly medium: number;
  readonly high: number;
  readonly critical: number;
}

/** The severity of `score` on `ladder`, or `null` when it is not above `medium`. */
export function severityOf(score: number, ladder: SeverityLadder): Severity | null {
  if (score > ladder.critical) return "critical";
  if (score > ladder.high) return "high";
  if (score > ladder.medium) return "medium";
  return null;
}

/** A number for a message: at most 4 significant digits, no trailing zeros. */
export function fmt(n: number): string {
  return Number.isFinite(n) ? String(Number(n.toPrecision(4))) : String(n);
}

/** Start of the `size`-ms bucket holding `time`, aligned to the epoch. */
export function bucketStart(time: number, size: number): number {
  return Math.floor(time / size) * size;
}

/** Throws a `RangeError` naming `option` of `detector` unless `value` is a finite number > 0 (or ≥ 0). */
export function checkPositive(detector: string, option: string, value: number, orZero = false) {
  if (!(Number.isFinite(value) || value === Number.POSITIVE_INFINITY) || value < 0) {
    throw new RangeError(`${detector}: ${option} must be a number ≥ 0, got ${value}`);
  }
  if (!orZero && value === 0) {
    throw new RangeError(`${detector}: ${option} must be > 0, got ${value}`);
  }
}
