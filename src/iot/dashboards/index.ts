/**
 * The plant's dashboards: facility metrics, equipment health and production
 * efficiency (event-time sliding windows), and the live equipment state. Each builder
 * takes the enriched readings (and anomalies, where it counts them) and returns a
 * stream of records with deterministic ids; docs/outputs.md describes every field.
 */
export {
  EQUIPMENT_STATE,
  EQUIPMENT_STATE_DEFAULTS,
  type EquipmentStateConfig,
  type EquipmentStateRecord,
  type EquipmentStatus,
  equipmentState,
  type WorstAnomaly,
} from "../equipment/index.js";
export { countWhere } from "./count-where.js";
export type { DashboardSteps } from "./dashboard-steps.js";
export { distinctOf } from "./distinct-of.js";
export {
  type EfficiencyInputs,
  type EfficiencyScore,
  efficiencyScore,
} from "./efficiency-score.js";
export {
  EQUIPMENT_HEALTH,
  EQUIPMENT_HEALTH_DEFAULTS,
  type EquipmentHealthConfig,
  type EquipmentHealthRecord,
  equipmentHealth,
  equipmentHealthSteps,
} from "./equipment-health.js";
export {
  classifyEquipmentHealth,
  EQUIPMENT_STATUS_DEFAULTS,
  type EquipmentHealthStatus,
  type EquipmentStatusRules,
} from "./equipment-status.js";
export {
  FACILITY_METRICS,
  FACILITY_METRICS_DEFAULTS,
  type FacilityMetricsConfig,
  type FacilityMetricsRecord,
  facilityMetrics,
  facilityMetricsSteps,
} from "./facility-metrics.js";
export { groupFields } from "./group-fields.js";
export { isAnomaly, type PlantEvent, plantEvents, readingOf } from "./plant-event.js";
export {
  PRODUCTION_EFFICIENCY,
  PRODUCTION_EFFICIENCY_DEFAULTS,
  type ProductionEfficiencyConfig,
  type ProductionEfficiencyRecord,
  productionEfficiency,
  productionEfficiencySteps,
} from "./production-efficiency.js";
export {
  type SensorTypeStats,
  type SensorTypeStatsResult,
  sensorTypeStats,
} from "./sensor-type-stats.js";
export { type WindowBounds, windowBounds, windowRecordId } from "./window-bounds.js";
