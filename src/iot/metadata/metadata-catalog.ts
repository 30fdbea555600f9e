/**
 * The live plant metadata: three engine lookup tables that a running pipeline reads and
 * a reload swaps whole.
 */
import { LookupTable } from "../../engine/index.js";
import type { EquipmentMeta } from "./equipment-meta.js";
import type { FacilityMeta } from "./facility-meta.js";
import type { MetadataSet } from "./metadata-set.js";
import type { SensorMeta } from "./sensor-meta.js";

/**
 * Facilities, sensors and equipment by id. `replaceAll` swaps all three tables in one
 * synchronous call, so a record processed between two batches sees either the old set or
 * the new one, never a mix. Use the tables with `stream.enrich(...)` or through
 * `createEnricher`.
 */
export class MetadataCatalog {
  readonly facilities = new LookupTable<string, FacilityMeta>();
  readonly sensors = new LookupTable<string, SensorMeta>();
  readonly equipment = new LookupTable<string, EquipmentMeta>();
  #reloads = 0;

  /** A catalog holding `set` (or empty). */
  constructor(set?: MetadataSet) {
    if (set !== undefined) this.replaceAll(set);
  }

  /** Replaces every table with the rows of `set`. */
  replaceAll(set: MetadataSet): void {
    this.facilities.replaceAll(set.facilities);
    this.sensors.replaceAll(set.sensors);
    this.equipment.replaceAll(set.equipment);
    this.#reloads++;
  }

  /** How many sets have been loaded into this catalog (the constructor's counts). */
  get reloads(): number {
    return this.#reloads;
  }
}
