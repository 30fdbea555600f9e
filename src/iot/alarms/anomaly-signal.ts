/**
 * From the plant's anomalies to alarm management's generic signals: the alarm type is
 * the detector, the source the sensor (or the equipment, for equipment detectors), and
 * the labels say where and how critical — facility, equipment, sensor, production
 * line, equipment criticality and class — from the anomaly and the plant metadata.
 */
import type { AlarmSignal } from "../../alerts/alarm-signal.js";
import {
  EQUIPMENT_SHUTDOWN_DETECTOR,
  EQUIPMENT_STARTUP_DETECTOR,
} from "../detectors/equipment-transition-detector.js";
import type { EquipmentMeta } from "../metadata/equipment-meta.js";
import type { FacilityMeta } from "../metadata/facility-meta.js";
import type { Anomaly } from "../reading/reading.js";

/** Detectors whose anomalies are about a piece of equipment rather than one sensor. */
export const EQUIPMENT_DETECTORS: ReadonlySet<string> = new Set([
  EQUIPMENT_STARTUP_DETECTOR,
  EQUIPMENT_SHUTDOWN_DETECTOR,
]);

/**
 * The signal of `anomaly`, with the equipment's and facility's metadata when known.
 * Labels (each only when known): `facility`, `facility_name`, `equipment`, `sensor`,
 * `sensor_type`, `production_line`, `criticality`, `equipment_class`. The event time is
 * the anomaly's `event_time_ms`; `cause` its id.
 */
export function anomalySignal(
  anomaly: Anomaly,
  equipment: EquipmentMeta | undefined,
  facility: FacilityMeta | undefined,
): AlarmSignal {
  const labels: Record<string, string> = {
    facility: anomaly.facility_id,
    sensor: anomaly.sensor_id,
    sensor_type: anomaly.sensor_type,
  };
  if (facility !== undefined) labels.facility_name = facility.facility_name;
  const equipmentId = anomaly.equipment_id ?? equipment?.equipment_id ?? null;
  if (equipmentId !== null) labels.equipment = equipmentId;
  const line = anomaly.production_line ?? equipment?.production_line ?? null;
  if (line !== null) labels.production_line = line;
  if (equipment !== undefined) {
    labels.criticality = equipment.criticality;
    labels.equipment_class = equipment.equipment_class;
  }
  const baseline: Record<string, number> = {};
  for (const [k, v] of Object.entries(anomaly.baseline)) if (typeof v === "number") baseline[k] = v;
  const onEquipment = EQUIPMENT_DETECTORS.has(anomaly.detector) && equipmentId !== null;
  return {
    type: anomaly.detector,
    source: onEquipment
      ? { kind: "equipment", id: equipmentId }
      : { kind: "sensor", id: anomaly.sensor_id },
    severity: anomaly.severity,
    score: anomaly.score,
    value: anomaly.value,
    baseline,
    time: anomaly.event_time_ms,
    labels,
    message: anomaly.message,
    cause: anomaly.id,
  };
}
