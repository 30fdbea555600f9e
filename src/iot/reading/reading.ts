/**
 * The plant's reading types: the wire format sensors send, and the validated,
 * enriched records the plant pipeline works on. Field names are snake_case, as on
 * the wire and in every output, so a record reads the same everywhere.
 */

/** The kinds of sensor millstream knows; anything else is rejected as `unknown-sensor-type`. */
export const SENSOR_TYPES = ["temperature", "vibration", "pressure", "power", "generic"] as const;
export type SensorType = (typeof SENSOR_TYPES)[number];

/** The optional measure fields of a reading, in wire order (the primary value is derived from them). */
export const MEASURE_FIELDS = [
  "temperature_celsius",
  "humidity",
  "acceleration_x",
  "acceleration_y",
  "acceleration_z",
  "pressure_psi",
  "flow_rate",
  "voltage",
  "current",
  "power_watts",
] as const;

/** Equipment criticality, from `equipment.json`. */
export type Criticality = "low" | "medium" | "high" | "critical";

/** Warning and critical bands of a sensor, from `sensors.json`. Any bound may be absent. */
export interface AlertThresholds {
  readonly warning_min?: number;
  readonly warning_max?: number;
  readonly critical_min?: number;
  readonly critical_max?: number;
}

/**
 * A valid reading. `timestamp` is epoch ms (parsed from ISO-8601 with a zone, or
 * given as a number); `value` is the primary value of its type: temperature_celsius;
 * the vibration magnitude sqrt(x²+y²+z²); pressure_psi; power_watts (voltage ×
 * current when absent); `value` for generic sensors.
 */
export interface Reading {
  readonly sensor_id: string;
  readonly timestamp: number;
  readonly facility_id: string;
  readonly sensor_type: SensorType;
  readonly quality_score: number;
  readonly value: number;
  readonly temperature_celsius?: number;
  readonly humidity?: number;
  readonly acceleration_x?: number;
  readonly acceleration_y?: number;
  readonly acceleration_z?: number;
  readonly pressure_psi?: number;
  readonly flow_rate?: number;
  readonly voltage?: number;
  readonly current?: number;
  readonly power_watts?: number;
  readonly unit?: string;
}

/** Shift names; a facility's calendar decides which applies at a local time. */
export type ShiftName = string;

/**
 * A reading with its metadata and time fields in the facility's own time zone. A
 * reading from a sensor missing from the metadata is kept with nulls and
 * `known_sensor: false`.
 */
export interface EnrichedReading extends Reading {
  readonly known_sensor: boolean;
  readonly equipment_id: string | null;
  readonly production_line: string | null;
  readonly equipment_class: string | null;
  readonly criticality: Criticality | null;
  readonly facility_name: string | null;
  readonly timezone: string;
  readonly thresholds: AlertThresholds | null;
  /** Local hour of day, 0–23. */
  readonly hour_of_day: number;
  /** Local day of week, 0 (Sunday) – 6. */
  readonly day_of_week: number;
  readonly shift: ShiftName;
}

export type Severity = "low" | "medium" | "high" | "critical";

/**
 * One detection. `id` is deterministic (detector, sensor, event time), so a replay
 * or a restart after a crash produces the same id and sinks can upsert by it.
 */
export interface Anomaly {
  readonly id: string;
  readonly detector: string;
  readonly severity: Severity;
  readonly sensor_id: string;
  readonly equipment_id: string | null;
  readonly facility_id: string;
  readonly production_line: string | null;
  readonly sensor_type: SensorType;
  /** Event time of the reading (or moment) that showed the anomaly, ISO-8601 UTC. */
  readonly event_time: string;
  /** The same, epoch ms. */
  readonly event_time_ms: number;
  /** When it was detected: the processing time of the detection, ISO-8601 UTC. */
  readonly detected_at: string;
  readonly value: number | null;
  /** What the value was compared with. */
  readonly baseline: {
    readonly mean?: number;
    readonly stddev?: number;
    readonly threshold?: number;
    readonly [k: string]: number | undefined;
  };
  /** How far from normal, detector-specific (z-score, threshold excess ratio, …). */
  readonly score: number;
  readonly message: string;
}
