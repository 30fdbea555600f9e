/**
 * A ready-to-use enrichment step for `stream.map`, counting readings of unknown sensors.
 */

import type { MetadataCatalog } from "../metadata/metadata-catalog.js";
import { isPending } from "../reading/pending-reading.js";
import type { EnrichedReading, Reading } from "../reading/reading.js";
import { completeReading, enrichWithProfile } from "./enrich-reading.js";
import { FacilityCalendars } from "./facility-calendars.js";
import { SensorProfiles } from "./sensor-profiles.js";

const MAX_TRACKED_UNKNOWN = 65_536;

/** An enrichment function with its counters. */
export interface Enricher {
  /**
   * Enriches one reading (see `enrichReading`); bound, so pass it as is to `map`. A
   * `PendingReading` (the plant pipeline's parse step makes them) is filled in place and
   * returned; any other reading is copied into a new object.
   */
  readonly enrich: (reading: Reading) => EnrichedReading;
  /** Readings enriched so far whose sensor the catalog did not know. */
  readonly unknownReadings: number;
  /**
   * Distinct unknown sensor ids seen so far (ids are tracked up to 65,536; beyond that
   * new ids are no longer told apart and this stops growing).
   */
  readonly unknownSensors: number;
}

/**
 * An enricher over `catalog`: `stream.map("enrich", enricher.enrich)`. It reads the
 * catalog's current tables on every call, so a metadata reload applies from the next
 * record on. The counters are process-local metrics, not checkpointed state: after a
 * recovery they count again from zero (and count replayed records again).
 */
export function createEnricher(catalog: MetadataCatalog): Enricher {
  const profiles = new SensorProfiles(catalog, new FacilityCalendars());
  const unknown = new Set<string>();
  let unknownReadings = 0;
  const enrich = (reading: Reading): EnrichedReading => {
    const profile = profiles.profileOf(reading);
    if (!profile.known) {
      unknownReadings++;
      if (unknown.size < MAX_TRACKED_UNKNOWN) unknown.add(reading.sensor_id);
    }
    // A pending reading (from the plant pipeline's parse step) is filled in place.
    return isPending(reading)
      ? completeReading(reading, profile)
      : enrichWithProfile(reading, profile);
  };
  return {
    enrich,
    get unknownReadings() {
      return unknownReadings;
    },
    get unknownSensors() {
      return unknown.size;
    },
  };
}
