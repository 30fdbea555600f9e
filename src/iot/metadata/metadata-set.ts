/**
 * A complete, validated set of plant metadata, built from the records of the three
 * sources (files or tables) with the checks that span records: unique ids and
 * references that resolve.
 */
import { type EquipmentMeta, validateEquipment } from "./equipment-meta.js";
import { type FacilityMeta, validateFacility } from "./facility-meta.js";
import { fieldError, type RecordContext } from "./record-fields.js";
import { type SensorMeta, validateSensor } from "./sensor-meta.js";

/** Validated metadata, by id. */
export interface MetadataSet {
  readonly facilities: ReadonlyMap<string, FacilityMeta>;
  readonly sensors: ReadonlyMap<string, SensorMeta>;
  readonly equipment: ReadonlyMap<string, EquipmentMeta>;
}

/** The raw records of one source: its name for messages and each record's location. */
export interface SourceRecords {
  /** `sensors.json`, `postgres table plant.sensors`, … */
  readonly file: string;
  readonly records: readonly { readonly value: unknown; readonly location: string }[];
}

/**
 * Validates every record and the references between them, and returns the set. Throws
 * a `MetadataError` for the first problem: an invalid field, a duplicate id, a sensor
 * or equipment naming a facility that `facilities` lacks, a sensor naming equipment
 * that `equipment` lacks, or a production line its facility does not list (when the
 * facility lists any).
 */
export function buildMetadataSet(sources: {
  readonly facilities: SourceRecords;
  readonly sensors: SourceRecords;
  readonly equipment: SourceRecords;
}): MetadataSet {
  const facilities = collect(
    sources.facilities,
    validateFacility,
    (f) => f.facility_id,
    "facility_id",
  );
  const equipment = collect(
    sources.equipment,
    validateEquipment,
    (e) => e.equipment_id,
    "equipment_id",
  );
  const sensors = collect(sources.sensors, validateSensor, (s) => s.sensor_id, "sensor_id");

  const checkPlace = (ctx: RecordContext, facilityId: string, line: string) => {
    const facility = facilities.map.get(facilityId);
    if (facility === undefined) {
      fieldError(
        ctx,
        "facility_id",
        `expected a facility_id of ${sources.facilities.file}, got ${JSON.stringify(facilityId)}`,
      );
    }
    if (facility.production_lines.length > 0 && !facility.production_lines.includes(line)) {
      fieldError(
        ctx,
        "production_line",
        `expected one of the production_lines of facility ${JSON.stringify(facilityId)} (${facility.production_lines.join(", ")}), got ${JSON.stringify(line)}`,
      );
    }
  };
  for (const [id, e] of equipment.map)
    checkPlace(equipment.contexts.get(id)!, e.facility_id, e.production_line);
  for (const [id, s] of sensors.map) {
    const ctx = sensors.contexts.get(id)!;
    checkPlace(ctx, s.facility_id, s.production_line);
    if (!equipment.map.has(s.equipment_id)) {
      fieldError(
        ctx,
        "equipment_id",
        `expected an equipment_id of ${sources.equipment.file}, got ${JSON.stringify(s.equipment_id)}`,
      );
    }
  }
  const shared = new SharedStrings();
  for (const [id, f] of facilities.map) facilities.map.set(id, shared.record(f));
  for (const [id, e] of equipment.map) equipment.map.set(id, shared.record(e));
  for (const [id, s] of sensors.map) sensors.map.set(id, shared.record(s));
  return { facilities: facilities.map, sensors: sensors.map, equipment: equipment.map };
}

/**
 * One string object per distinct value across the records. Every sensor row parsed
 * from JSON or CSV holds its own copy of its facility, line and equipment ids (50,000
 * sensors: 150,000 strings for a few thousand values); the enriched readings, window
 * keys and detector states take these strings over, so sharing them saves memory for
 * as long as the pipeline runs.
 */
class SharedStrings {
  readonly #strings = new Map<string, string>();

  /** `row` with its string fields shared (a new frozen object, same key order). */
  record<T extends object>(row: T): T {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) out[k] = typeof v === "string" ? this.#of(v) : v;
    return Object.freeze(out) as T;
  }

  #of(s: string): string {
    const known = this.#strings.get(s);
    if (known !== undefined) return known;
    this.#strings.set(s, s);
    return s;
  }
}

function collect<T>(
  source: SourceRecords,
  validate: (value: unknown, ctx: RecordContext) => T,
  idOf: (row: T) => string,
  idField: string,
): { map: Map<string, T>; contexts: Map<string, RecordContext> } {
  const map = new Map<string, T>();
  const contexts = new Map<string, RecordContext>();
  for (const { value, location } of source.records) {
    const ctx: RecordContext = { file: source.file, location };
    const row = validate(value, ctx);
    const id = idOf(row);
    const first = contexts.get(id);
    if (first !== undefined) {
      fieldError(
        ctx,
        idField,
        `duplicate id ${JSON.stringify(id)}, already used by ${first.location}`,
      );
    }
    map.set(id, row);
    contexts.set(id, ctx);
  }
  return { map, contexts };
}
