/**
 * Plant alarms: anomalies of the detectors as alarm signals, and alarm management
 * added to the plant pipeline.
 */
export { anomalySignal, EQUIPMENT_DETECTORS } from "./anomaly-signal.js";
export {
  type PlantAlarmSinks,
  type PlantAlarmStepsOptions,
  plantAlarmJob,
  plantAlarmSteps,
} from "./plant-alarm-steps.js";
export {
  type PlantAlarmsConfig,
  type PlantAlarmsOptions,
  plantAlarms,
  plantClearAfterMsByType,
} from "./plant-alarms.js";
