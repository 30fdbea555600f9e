/**
 * Enrichment of one reading with its sensor, equipment and facility metadata and its
 * local time fields.
 */

import { RECORD_MEMO } from "../../engine/index.js";
import type { MetadataCatalog } from "../metadata/metadata-catalog.js";
import { type PendingReading, pendingReading } from "../reading/pending-reading.js";
import type { EnrichedReading, Reading } from "../reading/reading.js";
import type { FacilityCalendars } from "./facility-calendars.js";
import { buildSensorProfile, type SensorProfile } from "./sensor-profiles.js";

const DAY = 86_400_000;

/**
 * `reading` with metadata and local time. The facility (name, time zone, shifts) is the
 * one of the reading's `facility_id`; the sensor's row gives `equipment_id`,
 * `production_line` and `thresholds`, and its equipment's row `equipment_class` and
 * `criticality`. A sensor missing from the catalog gives `known_sensor: false` and nulls
 * (the facility fields are still filled when the facility is known); an unknown facility
 * gives time zone `UTC` and the default shifts. `hour_of_day` (0–23), `day_of_week`
 * (0 = Sunday) and `shift` are taken in the facility's time zone, DST included. Pure: the
 * result depends only on the reading and the catalog's current rows.
 */
export function enrichReading(
  reading: Reading,
  catalog: MetadataCatalog,
  calendars: FacilityCalendars,
): EnrichedReading {
  return enrichWithProfile(reading, buildSensorProfile(reading, catalog, calendars));
}

/**
 * `reading` enriched with `profile` (which must be its sensor's in its facility, see
 * `SensorProfiles`). The ids in the result are the profile's shared strings, and it
 * carries the profile's memo under `RECORD_MEMO` (not a field: JSON and `Object.keys`
 * do not see it).
 */
export function enrichWithProfile(reading: Reading, profile: SensorProfile): EnrichedReading {
  // One layout for both paths: the pending form's fields, filled by `completeReading`.
  return completeReading(
    pendingReading(
      reading.sensor_id,
      reading.timestamp,
      reading.facility_id,
      reading.sensor_type,
      reading.quality_score,
      reading.value,
      reading.temperature_celsius,
      reading.humidity,
      reading.acceleration_x,
      reading.acceleration_y,
      reading.acceleration_z,
      reading.pressure_psi,
      reading.flow_rate,
      reading.voltage,
      reading.current,
      reading.power_watts,
      reading.unit,
    ),
    profile,
  );
}

/**
 * Fills the enrichment of pending reading `r` in place (see `PendingReading`), with
 * `profile` (its sensor's in its facility): the same fields, values and field order as
 * `enrichWithProfile(r, profile)`, which builds a pending reading and calls this, without
 * a new object.
 */
export function completeReading(r: PendingReading, profile: SensorProfile): EnrichedReading {
  const calendar = profile.calendar;
  const t = r.timestamp;
  const local = t + calendar.zone.offsetAt(t);
  const day = Math.floor(local / DAY);
  const minuteOfDay = Math.floor((local - day * DAY) / 60_000);
  r.sensor_id = profile.sensorId;
  r.facility_id = profile.facilityId;
  r.known_sensor = profile.known;
  r.equipment_id = profile.equipmentId;
  r.production_line = profile.productionLine;
  r.equipment_class = profile.equipmentClass;
  r.criticality = profile.criticality;
  r.facility_name = profile.facilityName;
  r.timezone = calendar.timezone;
  r.thresholds = profile.thresholds;
  r.hour_of_day = (minuteOfDay / 60) | 0;
  r.day_of_week = (((day + 4) % 7) + 7) % 7;
  r.shift = calendar.shifts[minuteOfDay] ?? "unscheduled";
  r[RECORD_MEMO] = profile.memo;
  return r;
}
