/**
 * Pending readings: what the parse step of the plant pipeline emits. A pending reading
 * is a valid `Reading` built with every field of an `EnrichedReading`, those of the
 * enrichment holding placeholders, so that the enrich step fills them in place
 * (`completeReading`) instead of copying the reading into a new object: one object per
 * reading rather than two, its fields in the order of `enrichWithProfile`'s, so that it
 * serialises the same.
 *
 * A pending reading must reach the enrich step unseen by anything that keeps or
 * outputs readings: its enrichment fields are placeholders until then.
 */
import { RECORD_MEMO, type RecordMemo } from "../../engine/index.js";
import type { Criticality, EnrichedReading, SensorType } from "./reading.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A reading with room for its enrichment; its memo is `null` until it is enriched. */
export type PendingReading = Mutable<EnrichedReading> & { [RECORD_MEMO]: RecordMemo | null };

/** Whether `r` is a pending reading not yet enriched. */
export function isPending(r: object): r is PendingReading {
  return (r as { [RECORD_MEMO]?: RecordMemo | null })[RECORD_MEMO] === null;
}

/** A pending reading of the validated fields (see `validateOrFail`). */
export function pendingReading(
  sensorId: string,
  timestamp: number,
  facilityId: string,
  type: SensorType,
  quality: number,
  value: number,
  temperature: number | undefined,
  humidity: number | undefined,
  ax: number | undefined,
  ay: number | undefined,
  az: number | undefined,
  pressure: number | undefined,
  flow: number | undefined,
  voltage: number | undefined,
  current: number | undefined,
  power: number | undefined,
  unit: string | undefined,
): PendingReading {
  return {
    sensor_id: sensorId,
    timestamp,
    facility_id: facilityId,
    sensor_type: type,
    quality_score: quality,
    value,
    temperature_celsius: temperature,
    humidity,
    acceleration_x: ax,
    acceleration_y: ay,
    acceleration_z: az,
    pressure_psi: pressure,
    flow_rate: flow,
    voltage,
    current,
    power_watts: power,
    unit,
    known_sensor: false,
    equipment_id: null,
    production_line: null,
    equipment_class: null,
    criticality: null as Criticality | null,
    facility_name: null,
    timezone: "",
    thresholds: null,
    hour_of_day: 0,
    day_of_week: 0,
    shift: "",
    [RECORD_MEMO]: null,
  };
}
