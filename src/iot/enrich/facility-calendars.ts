/**
 * Per-facility local-time calendars (time zone offsets and shift table), built from the
 * facilities table on first use and rebuilt after a metadata reload.
 */
import type { LookupTable } from "../../engine/index.js";
import type { FacilityMeta } from "../metadata/facility-meta.js";
import { DEFAULT_SHIFTS } from "../metadata/shift-definition.js";
import { shiftTable } from "./shift-table.js";
import { ZoneOffsetCache } from "./zone-offset-cache.js";

/** How a facility tells local time. */
export interface FacilityCalendar {
  /** The facility, or `null` for a facility missing from the metadata. */
  readonly facility: FacilityMeta | null;
  /** Its IANA time zone; `UTC` for an unknown facility. */
  readonly timezone: string;
  readonly zone: ZoneOffsetCache;
  /** The shift of each local minute of the day (1440 entries). */
  readonly shifts: readonly string[];
}

/**
 * The calendars of every facility. Offset caches are kept per time zone and survive
 * reloads; per-facility entries are dropped when the facilities table's version changes.
 * A facility missing from the table gets UTC and the default shifts (and is not cached,
 * so a stream of bogus ids cannot grow memory).
 */
export class FacilityCalendars {
  readonly #zones = new Map<string, ZoneOffsetCache>();
  readonly #byFacility = new Map<string, FacilityCalendar>();
  readonly #unknown: FacilityCalendar;
  #version = -1;

  constructor() {
    this.#unknown = Object.freeze({
      facility: null,
      timezone: "UTC",
      zone: this.zone("UTC"),
      shifts: shiftTable(DEFAULT_SHIFTS),
    });
  }

  /** The calendar of `facilityId` as the table has it now. */
  calendarFor(facilityId: string, facilities: LookupTable<string, FacilityMeta>): FacilityCalendar {
    if (facilities.version !== this.#version) {
      this.#byFacility.clear();
      this.#version = facilities.version;
    }
    let calendar = this.#byFacility.get(facilityId);
    if (calendar !== undefined) return calendar;
    const facility = facilities.get(facilityId);
    if (facility === undefined) return this.#unknown;
    calendar = Object.freeze({
      facility,
      timezone: facility.timezone,
      zone: this.zone(facility.timezone),
      shifts: shiftTable(facility.shifts),
    });
    this.#byFacility.set(facilityId, calendar);
    return calendar;
  }

  /** The shared offset cache of `timeZone`. */
  zone(timeZone: string): ZoneOffsetCache {
    let zone = this.#zones.get(timeZone);
    if (zone === undefined) {
      zone = new ZoneOffsetCache(timeZone);
      this.#zones.set(timeZone, zone);
    }
    return zone;
  }
}
