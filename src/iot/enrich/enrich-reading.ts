/**
 * Enrichment of one reading with its sensor, equipment and facility metadata and its
 * local time fields.
 */

import type { MetadataCatalog } from "../metadata/metadata-catalog.js";
import type { EnrichedReading, Reading } from "../reading/reading.js";
import type { FacilityCalendars } from "./facility-calendars.js";

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
  const calendar = calendars.calendarFor(reading.facility_id, catalog.facilities);
  const sensor = catalog.sensors.get(reading.sensor_id);
  const equipment = sensor === undefined ? undefined : catalog.equipment.get(sensor.equipment_id);
  const local = reading.timestamp + calendar.zone.offsetAt(reading.timestamp);
  const day = Math.floor(local / DAY);
  const minuteOfDay = Math.floor((local - day * DAY) / 60_000);
  return {
    sensor_id: reading.sensor_id,
    timestamp: reading.timestamp,
    facility_id: reading.facility_id,
    sensor_type: reading.sensor_type,
    quality_score: reading.quality_score,
    value: reading.value,
    temperature_celsius: reading.temperature_celsius,
    humidity: reading.humidity,
    acceleration_x: reading.acceleration_x,
    acceleration_y: reading.acceleration_y,
    acceleration_z: reading.acceleration_z,
    pressure_psi: reading.pressure_psi,
    flow_rate: reading.flow_rate,
    voltage: reading.voltage,
    current: reading.current,
    power_watts: reading.power_watts,
    unit: reading.unit,
    known_sensor: sensor !== undefined,
    equipment_id: sensor === undefined ? null : sensor.equipment_id,
    production_line: sensor === undefined ? null : sensor.production_line,
    equipment_class: equipment === undefined ? null : equipment.equipment_class,
    criticality: equipment === undefined ? null : equipment.criticality,
    facility_name: calendar.facility === null ? null : calendar.facility.facility_name,
    timezone: calendar.timezone,
    thresholds: sensor === undefined ? null : sensor.alert_thresholds,
    hour_of_day: (minuteOfDay / 60) | 0,
    day_of_week: (((day + 4) % 7) + 7) % 7,
    shift: calendar.shifts[minuteOfDay] ?? "unscheduled",
  };
}
