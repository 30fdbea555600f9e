/**
 * Equipment health: per equipment and sensor type, over 5 minute windows sliding by
 * 1 minute, the count, mean, maximum and spread of the primary value, the mean
 * quality, and a status (degraded, unstable, healthy).
 */
import {
  avg,
  composite,
  type Stream,
  type Summary,
  sliding,
  summary,
  type WindowOptions,
  type WindowResult,
} from "../../engine/index.js";
import type { EnrichedReading, SensorType } from "../reading/reading.js";
import type { DashboardSteps } from "./dashboard-steps.js";
import {
  classifyEquipmentHealth,
  type EquipmentHealthStatus,
  type EquipmentStatusRules,
} from "./equipment-status.js";
import { groupFields } from "./group-fields.js";
import { sensorGroupKeys } from "./sensor-group-keys.js";
import { isoTime, type WindowBounds, windowRecordId } from "./window-bounds.js";

/** The name of this dashboard: the prefix of its step names and record ids. */
export const EQUIPMENT_HEALTH = "equipment-health";

/** One sensor type of one equipment over one window. */
export interface EquipmentHealthRecord extends WindowBounds {
  /** `equipment-health|<facility_id>|<equipment_id>|<sensor_type>|<window_start_ms>`. */
  readonly id: string;
  readonly facility_id: string;
  readonly equipment_id: string;
  readonly sensor_type: SensorType;
  /** The equipment's production line, from the metadata of the window's first reading. */
  readonly production_line: string | null;
  /** Readings in the window (at least 1). */
  readonly count: number;
  /** Mean of the primary value. */
  readonly avg: number | null;
  readonly max: number | null;
  /** Sample standard deviation of the primary value; `null` with a single reading. */
  readonly stddev: number | null;
  /** Mean quality score. */
  readonly avg_quality: number | null;
  readonly status: EquipmentHealthStatus;
}

/** Settings of {@link equipmentHealth}; every field is optional. */
export interface EquipmentHealthConfig extends EquipmentStatusRules {
  /** Window size in ms. Default 300,000 (5 min). */
  readonly size?: number;
  /** Window slide in ms. Default 60,000 (1 min). */
  readonly slide?: number;
  /** Allowed lateness and early updates of the window step. Default none. */
  readonly window?: WindowOptions;
}

/** The window defaults of {@link EquipmentHealthConfig} (status rules: `EQUIPMENT_STATUS_DEFAULTS`). */
export const EQUIPMENT_HEALTH_DEFAULTS = Object.freeze({ size: 300_000, slide: 60_000 });

/**
 * Equipment health of `readings` per (facility, equipment, sensor type) over sliding
 * windows. Steps: `equipment-health.assigned` (keeps readings with an `equipment_id`),
 * `equipment-health` (the window) and `equipment-health.record`.
 *
 * Readings without equipment (unknown sensors, or sensors attached to none) are
 * excluded here: there is no equipment to judge. Facility metrics count them as
 * `unassigned_readings`.
 */
export function equipmentHealth(
  readings: Stream<EnrichedReading>,
  config: EquipmentHealthConfig = {},
): Stream<EquipmentHealthRecord> {
  return equipmentHealthSteps(readings, config).records;
}

/** {@link equipmentHealth} with the late output of its window step. */
export function equipmentHealthSteps(
  readings: Stream<EnrichedReading>,
  config: EquipmentHealthConfig = {},
): DashboardSteps<EquipmentHealthRecord, EnrichedReading> {
  const size = config.size ?? EQUIPMENT_HEALTH_DEFAULTS.size;
  const slide = config.slide ?? EQUIPMENT_HEALTH_DEFAULTS.slide;
  const fieldsOf = sharedFields();
  const keyOf = sensorGroupKeys();
  const window = readings
    .filter(`${EQUIPMENT_HEALTH}.assigned`, (r) => r.equipment_id !== null)
    .keyBy((r) => keyOf(r, r.facility_id, r.equipment_id!, r.sensor_type))
    .window(
      EQUIPMENT_HEALTH,
      sliding({ size, slide }),
      composite({
        fields: groupFields(fieldsOf),
        value: summary((r: EnrichedReading) => r.value),
        avg_quality: avg((r: EnrichedReading) => r.quality_score),
      }),
      config.window,
    );
  const records = window.map(`${EQUIPMENT_HEALTH}.record`, (w) => toRecord(w, config));
  return { records, late: window.late() };
}

/** The descriptive fields of an equipment health window. */
interface HealthFields {
  readonly facility_id: string;
  readonly equipment_id: string;
  readonly sensor_type: SensorType;
  readonly production_line: string | null;
}

/**
 * The fields of a reading's group, one object per sensor while its metadata stays the
 * same. Every pane of every key keeps the fields of its first reading (a window step
 * keeps about six panes per key): shared, they are one object per sensor instead of one
 * per pane. Only a cache: a reading whose sensor it does not know, or knows with other
 * fields, gets a new object, as without it.
 */
function sharedFields(): (r: EnrichedReading) => HealthFields {
  const bySensor = new Map<string, HealthFields>();
  return (r) => {
    const known = bySensor.get(r.sensor_id);
    if (
      known !== undefined &&
      known.facility_id === r.facility_id &&
      known.equipment_id === r.equipment_id &&
      known.sensor_type === r.sensor_type &&
      known.production_line === r.production_line
    ) {
      return known;
    }
    const fields: HealthFields = {
      facility_id: r.facility_id,
      equipment_id: r.equipment_id!,
      sensor_type: r.sensor_type,
      production_line: r.production_line,
    };
    bySensor.set(r.sensor_id, fields);
    return fields;
  };
}

type HealthWindow = WindowResult<
  string,
  {
    fields: HealthFields | null;
    value: Summary;
    avg_quality: number | null;
  }
>;

function toRecord(w: HealthWindow, rules: EquipmentStatusRules): EquipmentHealthRecord {
  const v = w.value;
  // A window exists only once a reading fell in it, so `fields` is set.
  const fields = v.fields!;
  return {
    id: windowRecordId(EQUIPMENT_HEALTH, w.key, w.start),
    facility_id: fields.facility_id,
    equipment_id: fields.equipment_id,
    sensor_type: fields.sensor_type,
    production_line: fields.production_line,
    // The fields of `windowBounds`, written out: spreading a new object per record costs
    // more than the rest of the record (60,000 records per 1,000,000 readings).
    window_start: isoTime(w.start),
    window_end: isoTime(w.end),
    window_start_ms: w.start,
    window_end_ms: w.end,
    emission: w.kind,
    count: v.value.count,
    avg: v.value.avg,
    max: v.value.max,
    stddev: v.value.stddev,
    avg_quality: v.avg_quality,
    status: classifyEquipmentHealth(
      { avg: v.value.avg, stddev: v.value.stddev, avgQuality: v.avg_quality },
      rules,
    ),
  };
}
