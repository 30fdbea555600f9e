/**
 * Enrichment: metadata joined onto readings, and local time fields (hour, day of week,
 * shift) in each facility's time zone.
 */
export { createEnricher, type Enricher } from "./create-enricher.js";
export { enrichReading, enrichWithProfile } from "./enrich-reading.js";
export { type FacilityCalendar, FacilityCalendars } from "./facility-calendars.js";
export { buildSensorProfile, type SensorProfile, SensorProfiles } from "./sensor-profiles.js";
export { shiftTable } from "./shift-table.js";
export { ZoneOffsetCache } from "./zone-offset-cache.js";
