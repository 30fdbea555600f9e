/**
 * The metadata folder of a simulated plant (`facilities.json`, `sensors.json`,
 * `equipment.json`), in the format `loadMetadataFolder` reads, with alert
 * thresholds around each sensor's normal running range.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { buildMetadataSet, type MetadataSet } from "../metadata/metadata-set.js";
import type { Plant } from "./plant-model.js";

/** The three metadata record lists of a plant, as JSON-ready objects. */
export interface PlantMetadataRecords {
  readonly facilities: readonly Record<string, unknown>[];
  readonly sensors: readonly Record<string, unknown>[];
  readonly equipment: readonly Record<string, unknown>[];
}

/** The metadata records of `plant` (see docs/readings.md for the fields). */
export function plantMetadata(plant: Plant): PlantMetadataRecords {
  const facilities = plant.facilities.map((f) => ({
    facility_id: f.id,
    facility_name: f.name,
    location: f.location,
    timezone: f.timezone,
    production_lines: [...f.lines],
    ...(f.shifts === null ? {} : { shifts: f.shifts.map((s) => ({ ...s })) }),
  }));
  const equipment = plant.equipment.map((e) => ({
    equipment_id: e.id,
    facility_id: plant.facilities[e.facility]!.id,
    production_line: e.line,
    equipment_class: e.kind.name,
    criticality: e.kind.criticality,
  }));
  const sensors = plant.sensors.map((s) => {
    const e = plant.equipment[s.equipment]!;
    return {
      sensor_id: s.id,
      facility_id: plant.facilities[s.facility]!.id,
      equipment_id: e.id,
      production_line: e.line,
      sensor_type: s.type,
      maintenance_schedule: s.maintenanceSchedule,
      calibration_date: s.calibrationDate,
      alert_thresholds: { ...s.thresholds },
    };
  });
  return { facilities, sensors, equipment };
}

/**
 * Writes the metadata folder of `plant` to `dir` (created if missing). Each file is
 * written under a temporary name and renamed into place, so a metadata watcher never
 * reads half a file. Resolves to the paths written.
 */
export async function writePlantMetadata(plant: Plant, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const records = plantMetadata(plant);
  const written: string[] = [];
  for (const kind of ["facilities", "sensors", "equipment"] as const) {
    const file = path.join(dir, `${kind}.json`);
    await writeFile(`${file}.tmp`, `${JSON.stringify(records[kind], null, 1)}\n`);
    await rename(`${file}.tmp`, file);
    written.push(file);
  }
  return written;
}

/**
 * The validated `MetadataSet` of `plant` (for `new MetadataCatalog(set)`), without a
 * folder: the same records `writePlantMetadata` writes, checked the same way.
 */
export function plantMetadataSet(plant: Plant): MetadataSet {
  const records = plantMetadata(plant);
  const source = (kind: keyof PlantMetadataRecords) => ({
    file: `simulated ${kind}`,
    records: records[kind].map((value, i) => ({ value, location: `record ${i}` })),
  });
  return buildMetadataSet({
    facilities: source("facilities"),
    sensors: source("sensors"),
    equipment: source("equipment"),
  });
}
