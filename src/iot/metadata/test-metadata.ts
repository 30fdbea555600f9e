/**
 * A small, valid plant metadata set for tests (test files only): two facilities in
 * Berlin and New York, three pieces of equipment, four sensors.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export const FACILITIES = [
  {
    facility_id: "FAC-BER",
    facility_name: "Berlin Works",
    location: "Berlin, DE",
    timezone: "Europe/Berlin",
    production_lines: ["L1", "L2"],
  },
  {
    facility_id: "FAC-NYC",
    facility_name: "Brooklyn Plant",
    location: "New York, US",
    timezone: "America/New_York",
    production_lines: ["A"],
    shifts: [
      { name: "day", start: "07:00", end: "19:00" },
      { name: "night", start: "19:00", end: "07:00" },
    ],
  },
];

export const EQUIPMENT = [
  {
    equipment_id: "REACTOR-1",
    facility_id: "FAC-BER",
    production_line: "L1",
    equipment_class: "reactor",
    criticality: "critical",
  },
  {
    equipment_id: "PUMP-7",
    facility_id: "FAC-BER",
    production_line: "L2",
    equipment_class: "pump",
    criticality: "medium",
  },
  {
    equipment_id: "PRESS-2",
    facility_id: "FAC-NYC",
    production_line: "A",
    equipment_class: "press",
    criticality: "high",
  },
];

export const SENSORS = [
  {
    sensor_id: "TEMP-001",
    facility_id: "FAC-BER",
    equipment_id: "REACTOR-1",
    production_line: "L1",
    sensor_type: "temperature",
    maintenance_schedule: "weekly",
    calibration_date: "2025-01-10",
    alert_thresholds: { warning_min: 10, warning_max: 80, critical_max: 95 },
  },
  {
    sensor_id: "VIB-002",
    facility_id: "FAC-BER",
    equipment_id: "PUMP-7",
    production_line: "L2",
    sensor_type: "vibration",
  },
  {
    sensor_id: "PWR-003",
    facility_id: "FAC-NYC",
    equipment_id: "PRESS-2",
    production_line: "A",
    sensor_type: "power",
  },
  {
    sensor_id: "PRS-004",
    facility_id: "FAC-NYC",
    equipment_id: "PRESS-2",
    production_line: "A",
    sensor_type: "pressure",
  },
];

/** A new temporary folder holding the JSON files (overrides replace whole files). */
export async function writeMetadataFolder(
  overrides: Partial<Record<"facilities" | "sensors" | "equipment", unknown>> = {},
): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "millstream-metadata-"));
  await writeJson(dir, "facilities", overrides.facilities ?? FACILITIES);
  await writeJson(dir, "sensors", overrides.sensors ?? SENSORS);
  await writeJson(dir, "equipment", overrides.equipment ?? EQUIPMENT);
  return dir;
}

/** Writes `<dir>/<name>.json` (atomically: a temporary file, then a rename). */
export async function writeJson(dir: string, name: string, value: unknown): Promise<void> {
  const { rename } = await import("node:fs/promises");
  const tmp = path.join(dir, `.${name}.tmp`);
  await writeFile(tmp, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  await rename(tmp, path.join(dir, `${name}.json`));
}
