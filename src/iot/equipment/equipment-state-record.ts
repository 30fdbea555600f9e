/**
 * The live state of one piece of equipment, as the equipment-state step emits it and
 * a dashboard or key-value store keeps it (upserted by `id`, the equipment id).
 */
import type { Criticality, SensorType, Severity } from "../reading/reading.js";

/** `online` while the equipment reports; `offline` after the offline timeout without readings. */
export type EquipmentStatus = "online" | "offline";

/** The anomaly an equipment state shows: the most severe of the recent ones. */
export interface WorstAnomaly {
  readonly id: string;
  readonly detector: string;
  readonly severity: Severity;
  readonly sensor_id: string;
  readonly sensor_type: SensorType;
  /** Event time of the anomaly, ISO-8601 UTC, and epoch ms. */
  readonly event_time: string;
  readonly event_time_ms: number;
  readonly score: number;
  readonly message: string;
}

/** One equipment's state at `updated_at`. */
export interface EquipmentStateRecord {
  /** The equipment id: one record per equipment, each emission replaces the previous. */
  readonly id: string;
  readonly equipment_id: string;
  /** From the metadata of the latest reading. */
  readonly facility_id: string;
  readonly production_line: string | null;
  readonly equipment_class: string | null;
  readonly criticality: Criticality | null;
  readonly status: EquipmentStatus;
  /**
   * The equipment's event-time clock when the record was emitted: the latest event time
   * of its readings and anomalies, or of the timer (offline timeout, rate limit) that
   * emitted it. ISO-8601 UTC, and epoch ms. Also the record's event time in the stream.
   */
  readonly updated_at: string;
  readonly updated_at_ms: number;
  /** The latest reading by event time: when, which sensor, its primary value. */
  readonly last_reading_at: string;
  readonly last_reading_at_ms: number;
  readonly last_sensor_id: string;
  readonly last_sensor_type: SensorType;
  readonly last_value: number;
  /** Readings received since the state was created. */
  readonly readings: number;
  /** Readings with `quality_score` below the fault threshold (default 0.5). */
  readonly fault_count: number;
  /** Time the equipment reported: gaps between consecutive readings up to the max gap, in hours. */
  readonly runtime_hours: number;
  /** The most severe anomaly of the recent window (default 10 min), or `null`. */
  readonly worst_anomaly: WorstAnomaly | null;
}
