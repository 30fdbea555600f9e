/**
 * The one constructor of plain (not pending) `Reading` objects, shared by the JSON
 * validator and the single-pass scanner so that both build readings of one shape,
 * with every field present (absent measures as `undefined`) in wire order.
 */
import type { Reading, SensorType } from "./reading.js";

/** A `Reading` of already validated fields (see `validateOrFail`). */
export function plainReading(
  sensorId: string,
  timestamp: number,
  facilityId: string,
  type: SensorType,
  quality: number,
  value: number,
  temperature: number | undefined,
  humidity: number | undefined,
  ax: number | undefined,
  ay: number | undefined,
  az: number | undefined,
  pressure: number | undefined,
  flow: number | undefined,
  voltage: number | undefined,
  current: number | undefined,
  power: number | undefined,
  unit: string | undefined,
): Reading {
  return {
    sensor_id: sensorId,
    timestamp,
    facility_id: facilityId,
    sensor_type: type,
    quality_score: quality,
    value,
    temperature_celsius: temperature,
    humidity,
    acceleration_x: ax,
    acceleration_y: ay,
    acceleration_z: az,
    pressure_psi: pressure,
    flow_rate: flow,
    voltage,
    current,
    power_watts: power,
    unit,
  };
}
