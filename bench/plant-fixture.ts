/**
 * A synthetic plant for the pipeline benchmarks: 10 facilities in two time zones,
 * one equipment per five sensors, sensor types in turn, and JSON lines of readings
 * with a gentle wobble (no anomalies unless a benchmark injects them).
 */
import { buildMetadataSet, MetadataCatalog } from "../src/iot/metadata/index.js";
import type { EnrichedReading } from "../src/iot/reading/index.js";

export const SENSOR_TYPES = ["temperature", "vibration", "pressure", "power", "generic"] as const;

/** The metadata catalog of a plant with `sensors` sensors (a multiple of 5). */
export function plantCatalog(sensors: number): MetadataCatalog {
  const facilities = Array.from({ length: 10 }, (_, f) => ({
    facility_id: `F${f}`,
    facility_name: `Plant ${f}`,
    location: "bench",
    timezone: f % 2 === 0 ? "Europe/Berlin" : "America/New_York",
    production_lines: ["L1", "L2", "L3", "L4"],
  }));
  const equipment = Array.from({ length: sensors / 5 }, (_, e) => ({
    equipment_id: `E${e}`,
    facility_id: `F${e % 10}`,
    production_line: `L${(e % 4) + 1}`,
    equipment_class: "pump",
    criticality: "medium",
  }));
  const sensorRows = Array.from({ length: sensors }, (_, s) => ({
    sensor_id: `S${s}`,
    facility_id: `F${Math.floor(s / 5) % 10}`,
    equipment_id: `E${Math.floor(s / 5)}`,
    production_line: `L${(Math.floor(s / 5) % 4) + 1}`,
    sensor_type: SENSOR_TYPES[s % 5],
    alert_thresholds: { warning_max: 1000, critical_max: 2000 },
  }));
  const as = (file: string, rows: unknown[]) => ({
    file,
    records: rows.map((value, i) => ({ value, location: `record ${i}` })),
  });
  return new MetadataCatalog(
    buildMetadataSet({
      facilities: as("facilities", facilities),
      sensors: as("sensors", sensorRows),
      equipment: as("equipment", equipment),
    }),
  );
}

/**
 * Sensor `s`'s reading at event time `t` as a JSON line; `offset` is added to its
 * primary measure (a spike when large).
 */
export function readingLine(s: number, t: number, offset = 0): string {
  const base = {
    sensor_id: `S${s}`,
    timestamp: t,
    facility_id: `F${Math.floor(s / 5) % 10}`,
    quality_score: 0.97,
  };
  const wobble = Math.sin(t / 977 + s) * 2 + offset;
  switch (SENSOR_TYPES[s % 5]) {
    case "temperature":
      return JSON.stringify({
        ...base,
        sensor_type: "temperature",
        temperature_celsius: 60 + wobble,
        humidity: 40,
      });
    case "vibration":
      return JSON.stringify({
        ...base,
        sensor_type: "vibration",
        acceleration_x: 0.3 + wobble / 10,
        acceleration_y: 0.2,
        acceleration_z: 0.1,
      });
    case "pressure":
      return JSON.stringify({
        ...base,
        sensor_type: "pressure",
        pressure_psi: 120 + wobble,
        flow_rate: 3,
      });
    case "power":
      return JSON.stringify({
        ...base,
        sensor_type: "power",
        voltage: 230,
        current: 8 + wobble / 4,
      });
    default:
      return JSON.stringify({ ...base, sensor_type: "generic", value: 5 + wobble, unit: "bar" });
  }
}

/**
 * Enriched reading `i` of `sensors` sensors (as the plant pipeline makes them), one per
 * sensor per second from `start`: what the archive benchmarks write.
 */
export function enrichedReading(i: number, sensors: number, start: number): EnrichedReading {
  const s = i % sensors;
  const t = start + Math.floor(i / sensors) * 1000 + (s % 1000);
  const wobble = Math.sin(t / 977 + s) * 2;
  const type = SENSOR_TYPES[s % 5] ?? "generic";
  const e = Math.floor(s / 5);
  const measures: Record<string, number> =
    type === "temperature"
      ? { temperature_celsius: 60 + wobble, humidity: 40 }
      : type === "vibration"
        ? { acceleration_x: 0.3 + wobble / 10, acceleration_y: 0.2, acceleration_z: 0.1 }
        : type === "pressure"
          ? { pressure_psi: 120 + wobble, flow_rate: 3 }
          : type === "power"
            ? { voltage: 230, current: 8 + wobble / 4 }
            : {};
  return {
    sensor_id: `S${s}`,
    timestamp: t,
    facility_id: `F${e % 10}`,
    sensor_type: type,
    quality_score: 0.97,
    value: 60 + wobble,
    ...measures,
    ...(type === "generic" ? { unit: "bar" } : {}),
    known_sensor: true,
    equipment_id: `E${e}`,
    production_line: `L${(e % 4) + 1}`,
    equipment_class: "pump",
    criticality: "medium",
    facility_name: `Plant ${e % 10}`,
    timezone: "Europe/Berlin",
    thresholds: null,
    hour_of_day: new Date(t).getUTCHours(),
    day_of_week: new Date(t).getUTCDay(),
    shift: "morning",
  } as EnrichedReading;
}
