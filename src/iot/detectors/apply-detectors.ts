/**
 * Wires the detectors into a pipeline: the enabled sensor detectors run as one keyed
 * step (`detect-sensor`), the machine detectors as another (`detect-equipment`), each
 * detector a part of its key's one state entry; their anomalies are merged into one
 * stream.
 */
import type { Stream } from "../../engine/index.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";
import { type DetectorPart, partsDetector } from "./detector-part.js";
import {
  type EquipmentTransitionConfig,
  equipmentTransitionDefaults,
  equipmentTransitionPart,
} from "./equipment-transition-detector.js";
import { type OfflineConfig, offlineDefaults, offlinePart } from "./offline-detector.js";
import {
  type QualityDegradationConfig,
  qualityDegradationDefaults,
  qualityDegradationPart,
} from "./quality-degradation-detector.js";
import {
  type SensorDriftConfig,
  sensorDriftDefaults,
  sensorDriftPart,
} from "./sensor-drift-detector.js";
import {
  type StuckSensorConfig,
  stuckSensorDefaults,
  stuckSensorPart,
} from "./stuck-sensor-detector.js";
import { type ThresholdConfig, thresholdDefaults, thresholdPart } from "./threshold-detector.js";
import { type TrendConfigInput, trendDefaults, trendPart } from "./trend-detector.js";
import { type ZScoreConfig, zScoreDefaults, zScorePart } from "./z-score-detector.js";

/** Turns a detector on or off; on by default. */
interface Toggle {
  readonly enabled?: boolean;
}

/**
 * Settings of every detector, each optional: a missing detector or option takes its
 * default from `detectorsConfigDefaults`; `enabled: false` leaves a detector out.
 */
export interface DetectorsConfig {
  readonly zScore?: Partial<ZScoreConfig> & Toggle;
  readonly threshold?: Partial<ThresholdConfig> & Toggle;
  readonly trend?: TrendConfigInput & Toggle;
  readonly stuckSensor?: Partial<StuckSensorConfig> & Toggle;
  readonly offline?: Partial<OfflineConfig> & Toggle;
  readonly qualityDegradation?: Partial<QualityDegradationConfig> & Toggle;
  readonly equipmentTransition?: Partial<EquipmentTransitionConfig> & Toggle;
  readonly sensorDrift?: Partial<SensorDriftConfig> & Toggle;
}

/** Every detector's defaults, all enabled: what `applyDetectors(readings)` runs. */
export const detectorsConfigDefaults = Object.freeze({
  zScore: Object.freeze({ enabled: true, ...zScoreDefaults }),
  threshold: Object.freeze({ enabled: true, ...thresholdDefaults }),
  trend: Object.freeze({ enabled: true, ...trendDefaults }),
  stuckSensor: Object.freeze({ enabled: true, ...stuckSensorDefaults }),
  offline: Object.freeze({ enabled: true, ...offlineDefaults }),
  qualityDegradation: Object.freeze({ enabled: true, ...qualityDegradationDefaults }),
  equipmentTransition: Object.freeze({ enabled: true, ...equipmentTransitionDefaults }),
  sensorDrift: Object.freeze({ enabled: true, ...sensorDriftDefaults }),
}) satisfies Required<DetectorsConfig>;

/** Step names of the detectors (and of the union) that `applyDetectors` adds. */
export const DETECTOR_STEPS = Object.freeze({
  perSensor: "detect-sensor",
  equipmentKnown: "detect-equipment-known",
  equipmentTransition: "detect-equipment",
  union: "detect-anomalies",
});

const withoutToggle = <T extends Toggle>({ enabled: _, ...rest }: T) => rest;

/**
 * Adds every enabled detector to `readings` and returns their anomalies as one
 * stream (step `detect-anomalies`; a single enabled detector's stream as is). Sensor
 * detectors run together keyed by `sensor_id` (step `detect-sensor`); the machine
 * detectors (start-up/shut-down, sensor drift) together keyed by `equipment_id`
 * (step `detect-equipment`), after a filter step that drops readings without one. Throws a `RangeError` when no
 * detector is enabled or an option is invalid. Step names are stable: they key the
 * detectors' state in checkpoints.
 */
export function applyDetectors(
  readings: Stream<EnrichedReading>,
  config: DetectorsConfig = {},
): Stream<Anomaly> {
  const on = (t: Toggle | undefined) => t?.enabled !== false;
  const toggles: (Toggle | undefined)[] = Object.keys(detectorsConfigDefaults).map(
    (k) => config[k as keyof DetectorsConfig],
  );
  if (!toggles.some(on)) throw new RangeError("applyDetectors: no detector is enabled");
  const outputs: Stream<Anomaly>[] = [];
  const { zScore, threshold, trend, stuckSensor, offline, qualityDegradation } = config;
  const equipment = config.equipmentTransition;
  const perSensor: DetectorPart[] = [];
  if (on(zScore)) perSensor.push(zScorePart(withoutToggle(zScore ?? {})));
  if (on(threshold)) perSensor.push(thresholdPart(withoutToggle(threshold ?? {})));
  if (on(trend)) perSensor.push(trendPart(withoutToggle(trend ?? {})));
  if (on(stuckSensor)) perSensor.push(stuckSensorPart(withoutToggle(stuckSensor ?? {})));
  if (on(offline)) perSensor.push(offlinePart(withoutToggle(offline ?? {})));
  if (on(qualityDegradation)) {
    perSensor.push(qualityDegradationPart(withoutToggle(qualityDegradation ?? {})));
  }
  if (perSensor.length > 0) {
    outputs.push(
      readings
        .keyBy((r) => r.sensor_id)
        .process(DETECTOR_STEPS.perSensor, partsDetector(perSensor)),
    );
  }
  const perMachine: DetectorPart[] = [];
  if (on(equipment)) perMachine.push(equipmentTransitionPart(withoutToggle(equipment ?? {})));
  if (on(config.sensorDrift)) {
    perMachine.push(sensorDriftPart(withoutToggle(config.sensorDrift ?? {})));
  }
  if (perMachine.length > 0) {
    const known = readings.filter(DETECTOR_STEPS.equipmentKnown, (r) => r.equipment_id !== null);
    const fn = partsDetector(perMachine);
    outputs.push(
      known.keyBy((r) => r.equipment_id!).process(DETECTOR_STEPS.equipmentTransition, fn),
    );
  }
  const [first, ...rest] = outputs;
  return rest.length === 0 ? first! : first!.union(DETECTOR_STEPS.union, ...rest);
}
