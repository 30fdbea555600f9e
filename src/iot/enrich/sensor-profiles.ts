/**
 * Per-sensor enrichment profiles: everything the metadata says about a sensor and
 * its facility, looked up once and reused for each of its readings. The profile
 * also holds the sensor's and the facility's id strings as one shared string each,
 * so the keyed steps downstream hash and compare the same string object every time
 * instead of a fresh copy per parsed reading.
 */
import type { RecordMemo } from "../../engine/index.js";
import type { MetadataCatalog } from "../metadata/metadata-catalog.js";
import type { AlertThresholds, Criticality, Reading } from "../reading/reading.js";
import type { FacilityCalendar, FacilityCalendars } from "./facility-calendars.js";

/** What enrichment adds to the readings of one sensor in one facility. */
export interface SensorProfile {
  /** The sensor id, one shared string (the catalog's when the sensor is known). */
  readonly sensorId: string;
  /** The facility id the profile was built for, one shared string. */
  readonly facilityId: string;
  readonly known: boolean;
  readonly calendar: FacilityCalendar;
  readonly equipmentId: string | null;
  readonly productionLine: string | null;
  readonly equipmentClass: string | null;
  readonly criticality: Criticality | null;
  readonly facilityName: string | null;
  readonly thresholds: AlertThresholds | null;
  /**
   * The memo every enriched reading of the profile carries (see `RECORD_MEMO`): the keyed
   * steps downstream remember their state entry for the sensor there. Replaced by an
   * exact-size copy once it has grown (see `SensorProfiles.profileOf`).
   */
  memo: RecordMemo;
  /** The memo's length when it was last copied to its exact size. */
  memoFitted: number;
}

/**
 * A copy of `s` that is a string of its own. An id cut out of a raw payload may be a
 * view into the whole payload (V8 makes slices of 13 characters or more that way), and
 * the profile of an unknown sensor keeps its id for as long as the sensor reports:
 * a copy keeps the id, not the payload it came in.
 */
function ownCopy(s: string): string {
  return s.length < 13 ? s : s.split("").join("");
}

/** Beyond this many cached profiles (a flood of unknown sensor ids) the cache starts afresh. */
const MAX_PROFILES = 1_000_000;

/** The profile of `reading`'s sensor in `reading`'s facility, built from the catalog's current rows. */
export function buildSensorProfile(
  reading: Reading,
  catalog: MetadataCatalog,
  calendars: FacilityCalendars,
): SensorProfile {
  const calendar = calendars.calendarFor(reading.facility_id, catalog.facilities);
  const sensor = catalog.sensors.get(reading.sensor_id);
  const equipment = sensor === undefined ? undefined : catalog.equipment.get(sensor.equipment_id);
  return {
    sensorId: sensor === undefined ? ownCopy(reading.sensor_id) : sensor.sensor_id,
    facilityId:
      calendar.facility === null ? ownCopy(reading.facility_id) : calendar.facility.facility_id,
    known: sensor !== undefined,
    calendar,
    equipmentId: sensor === undefined ? null : sensor.equipment_id,
    productionLine: sensor === undefined ? null : sensor.production_line,
    equipmentClass: equipment === undefined ? null : equipment.equipment_class,
    criticality: equipment === undefined ? null : equipment.criticality,
    facilityName: calendar.facility === null ? null : calendar.facility.facility_name,
    thresholds: sensor === undefined ? null : sensor.alert_thresholds,
    memo: [],
    memoFitted: 0,
  };
}

/**
 * A cache of profiles by sensor id. A profile is rebuilt when any metadata table
 * changes (a reload) or when a sensor's reading names another facility than the
 * profile's.
 */
export class SensorProfiles {
  readonly #catalog: MetadataCatalog;
  readonly #calendars: FacilityCalendars;
  #profiles = new Map<string, SensorProfile>();
  #version = -1;

  constructor(catalog: MetadataCatalog, calendars: FacilityCalendars) {
    this.#catalog = catalog;
    this.#calendars = calendars;
  }

  /** The profile for `reading`. */
  profileOf(reading: Reading): SensorProfile {
    const c = this.#catalog;
    const version = c.facilities.version + c.sensors.version + c.equipment.version;
    if (version !== this.#version || this.#profiles.size >= MAX_PROFILES) {
      this.#profiles = new Map();
      this.#version = version;
    }
    const cached = this.#profiles.get(reading.sensor_id);
    if (cached !== undefined && cached.facilityId === reading.facility_id) {
      // Steps add to a memo the first time they see the sensor, and an array grown by
      // `push` keeps room for half as much again (a memo of 10 slots took 19, one of 22
      // took 46): at 50,000 sensors an exact-size copy saves 3-4 MB. Records in flight
      // keep the old one, whose entries are hints all the same.
      if (cached.memo.length !== cached.memoFitted) {
        cached.memo = cached.memo.slice();
        cached.memoFitted = cached.memo.length;
      }
      return cached;
    }
    const profile = buildSensorProfile(reading, c, this.#calendars);
    this.#profiles.set(profile.sensorId, profile);
    return profile;
  }
}
