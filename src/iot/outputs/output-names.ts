/**
 * The plant pipeline's outputs that can go to databases and brokers, by the names
 * configuration files use, and their record types.
 */

import type {
  EquipmentHealthRecord,
  FacilityMetricsRecord,
  ProductionEfficiencyRecord,
} from "../dashboards/index.js";
import type { EquipmentStateRecord } from "../equipment/index.js";
import type { Anomaly, EnrichedReading } from "../reading/index.js";

/** Output names, as in configuration files and `docs/outputs.md`. `readings` is every valid, enriched reading. */
export const PLANT_OUTPUTS = [
  "anomalies",
  "facility_metrics",
  "equipment_health",
  "production_efficiency",
  "equipment_state",
  "readings",
] as const;

export type PlantOutputName = (typeof PLANT_OUTPUTS)[number];

/** The record type of each output. */
export interface PlantOutputRecords {
  readonly anomalies: Anomaly;
  readonly facility_metrics: FacilityMetricsRecord;
  readonly equipment_health: EquipmentHealthRecord;
  readonly production_efficiency: ProductionEfficiencyRecord;
  readonly equipment_state: EquipmentStateRecord;
  readonly readings: EnrichedReading;
}
