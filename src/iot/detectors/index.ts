/**
 * Per-reading anomaly detectors for the plant pipeline: each a keyed process
 * function built from a config with documented defaults, and `applyDetectors` to add
 * the enabled ones to a stream of enriched readings. See docs/detectors.md.
 */
export {
  type AnomalyFields,
  type AnomalySubject,
  buildAnomaly,
  type SeverityLadder,
  severityOf,
} from "./anomaly.js";
export {
  applyDetectors,
  DETECTOR_STEPS,
  type DetectorsConfig,
  detectorsConfigDefaults,
} from "./apply-detectors.js";
export {
  EQUIPMENT_SHUTDOWN_DETECTOR,
  EQUIPMENT_STARTUP_DETECTOR,
  type EquipmentTransitionConfig,
  equipmentTransitionDefaults,
  equipmentTransitionDetector,
} from "./equipment-transition-detector.js";
export {
  OFFLINE_DETECTOR,
  type OfflineConfig,
  offlineDefaults,
  offlineDetector,
} from "./offline-detector.js";
export {
  QUALITY_DEGRADATION_DETECTOR,
  type QualityDegradationConfig,
  qualityDegradationDefaults,
  qualityDegradationDetector,
} from "./quality-degradation-detector.js";
export {
  SENSOR_DRIFT_DETECTOR,
  type SensorDriftConfig,
  sensorDriftDefaults,
  sensorDriftDetector,
} from "./sensor-drift-detector.js";
export {
  STUCK_SENSOR_DETECTOR,
  type StuckSensorConfig,
  stuckSensorDefaults,
  stuckSensorDetector,
} from "./stuck-sensor-detector.js";
export {
  THRESHOLD_DETECTOR,
  type ThresholdConfig,
  thresholdDefaults,
  thresholdDetector,
} from "./threshold-detector.js";
export {
  TREND_DETECTOR,
  type TrendConfig,
  type TrendConfigInput,
  trendDefaults,
  trendDetector,
} from "./trend-detector.js";
export {
  Z_SCORE_DETECTOR,
  type ZScoreConfig,
  zScoreDefaults,
  zScoreDetector,
} from "./z-score-detector.js";
