/**
 * The state the equipment-state step keeps per equipment, and the pure rules that
 * update it: runtime, faults, last reading, online/offline, worst recent anomaly. The
 * state is a plain JSON-safe object, checkpointed as is.
 */
import type {
  Anomaly,
  Criticality,
  EnrichedReading,
  SensorType,
  Severity,
} from "../reading/reading.js";
import type { EquipmentStateRecord, WorstAnomaly } from "./equipment-state-record.js";

/** Severities from least to most severe; the index is the rank. */
export const SEVERITY_RANK: readonly Severity[] = ["low", "medium", "high", "critical"];

/** The settings the update rules need (see `EquipmentStateConfig` for their meaning). */
export interface TrackRules {
  readonly offlineAfterMs: number;
  readonly maxGapMs: number;
  readonly faultQualityBelow: number;
  readonly anomalyWindowMs: number;
}

/** One equipment's state between records. */
export interface EquipmentTrack {
  facility_id: string;
  production_line: string | null;
  equipment_class: string | null;
  criticality: Criticality | null;
  /** The equipment's event-time clock: the latest time of its records and timers. */
  now_ms: number;
  /** `null` until the first reading. */
  last_reading_ms: number | null;
  last_sensor_id: string;
  last_sensor_type: SensorType;
  last_value: number;
  readings: number;
  fault_count: number;
  runtime_ms: number;
  online: boolean;
  /** The latest anomaly of each severity, by `SEVERITY_RANK`. */
  latest: (WorstAnomaly | null)[];
  /** Pending timers: offline check, worst-anomaly expiry, rate-limited flush. */
  offline_timer: number | null;
  expiry_timer: number | null;
  flush_timer: number | null;
  /** What the last emitted record said, and when. */
  emitted_at_ms: number | null;
  emitted_online: boolean;
  emitted_worst: Severity | null;
  /** Something changed since the last emitted record. */
  dirty: boolean;
}

/** A new state for equipment first seen in a record at `time`. */
export function newTrack(facilityId: string, time: number): EquipmentTrack {
  return {
    facility_id: facilityId,
    production_line: null,
    equipment_class: null,
    criticality: null,
    now_ms: time,
    last_reading_ms: null,
    last_sensor_id: "",
    last_sensor_type: "generic",
    last_value: 0,
    readings: 0,
    fault_count: 0,
    runtime_ms: 0,
    online: false,
    latest: [null, null, null, null],
    offline_timer: null,
    expiry_timer: null,
    flush_timer: null,
    emitted_at_ms: null,
    emitted_online: false,
    emitted_worst: null,
    dirty: false,
  };
}

/**
 * Folds a reading at event time `time` into `s`:
 * - every reading counts in `readings`, and in `fault_count` when its quality is below
 *   `faultQualityBelow`;
 * - a reading at or after the latest one adds the gap since it to `runtime_ms` when
 *   the gap is at most `maxGapMs` (a longer silence is time the equipment was not
 *   reporting), and becomes the last reading; an out-of-order reading (earlier than
 *   the latest) adds no runtime and leaves the last reading alone;
 * - the equipment is online when its last reading is less than `offlineAfterMs`
 *   behind its clock.
 */
export function applyReading(
  s: EquipmentTrack,
  r: EnrichedReading,
  time: number,
  rules: TrackRules,
): void {
  if (time > s.now_ms) s.now_ms = time;
  s.facility_id = r.facility_id;
  s.production_line = r.production_line;
  s.equipment_class = r.equipment_class;
  s.criticality = r.criticality;
  s.readings++;
  if (r.quality_score < rules.faultQualityBelow) s.fault_count++;
  const last = s.last_reading_ms;
  if (last === null || time >= last) {
    if (last !== null && time - last <= rules.maxGapMs) s.runtime_ms += time - last;
    s.last_reading_ms = time;
    s.last_sensor_id = r.sensor_id;
    s.last_sensor_type = r.sensor_type;
    s.last_value = r.value;
  }
  if (!s.online && s.last_reading_ms! + rules.offlineAfterMs > s.now_ms) s.online = true;
  s.dirty = true;
}

/** Folds an anomaly into `s`: it replaces the held anomaly of its severity if not older. */
export function applyAnomaly(s: EquipmentTrack, a: Anomaly, time: number): void {
  if (time > s.now_ms) s.now_ms = time;
  const rank = SEVERITY_RANK.indexOf(a.severity);
  if (rank < 0) return;
  const held = s.latest[rank];
  if (held && held.event_time_ms > a.event_time_ms) return;
  s.latest[rank] = {
    id: a.id,
    detector: a.detector,
    severity: a.severity,
    sensor_id: a.sensor_id,
    sensor_type: a.sensor_type,
    event_time: a.event_time,
    event_time_ms: a.event_time_ms,
    score: a.score,
    message: a.message,
  };
  s.dirty = true;
}

/**
 * The most severe anomaly still current at the equipment's clock: among the latest
 * anomaly of each severity, the highest severity whose event time is less than
 * `anomalyWindowMs` behind `s.now_ms`. `null` when there is none.
 */
export function worstAnomaly(s: EquipmentTrack, rules: TrackRules): WorstAnomaly | null {
  for (let rank = SEVERITY_RANK.length - 1; rank >= 0; rank--) {
    const a = s.latest[rank];
    if (a && a.event_time_ms + rules.anomalyWindowMs > s.now_ms) return a;
  }
  return null;
}

/** The record of `s` (which has had a reading) at its clock. */
export function toRecord(
  equipmentId: string,
  s: EquipmentTrack,
  worst: WorstAnomaly | null,
): EquipmentStateRecord {
  const last = s.last_reading_ms!;
  return {
    id: equipmentId,
    equipment_id: equipmentId,
    facility_id: s.facility_id,
    production_line: s.production_line,
    equipment_class: s.equipment_class,
    criticality: s.criticality,
    status: s.online ? "online" : "offline",
    updated_at: new Date(s.now_ms).toISOString(),
    updated_at_ms: s.now_ms,
    last_reading_at: new Date(last).toISOString(),
    last_reading_at_ms: last,
    last_sensor_id: s.last_sensor_id,
    last_sensor_type: s.last_sensor_type,
    last_value: s.last_value,
    readings: s.readings,
    fault_count: s.fault_count,
    runtime_hours: s.runtime_ms / 3_600_000,
    worst_anomaly: worst,
  };
}
