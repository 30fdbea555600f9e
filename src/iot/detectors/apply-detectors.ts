/**
 * Wires the detectors into a pipeline: each enabled detector is its own keyed
 * process step (`detect-zscore`, …) on the enriched readings, and their anomalies
 * are merged into one stream.
 */
import type { KeyedProcessFunction, Stream } from "../../engine/index.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";
import {
  type EquipmentTransitionConfig,
  equipmentTransitionDefaults,
  equipmentTransitionDetector,
} from "./equipment-transition-detector.js";
import { type OfflineConfig, offlineDefaults, offlineDetector } from "./offline-detector.js";
import {
  type SensorDriftConfig,
  sensorDriftDefaults,
  sensorDriftDetector,
} from "./sensor-drift-detector.js";
import {
  type QualityDegradationConfig,
  qualityDegradationDefaults,
  qualityDegradationDetector,
} from "./quality-degradation-detector.js";
import {
  type StuckSensorConfig,
  stuckSensorDefaults,
  stuckSensorDetector,
} from "./stuck-sensor-detector.js";
import {
  type ThresholdConfig,
  thresholdDefaults,
  thresholdDetector,
} from "./threshold-detector.js";
import { type TrendConfigInput, trendDefaults, trendDetector } from "./trend-detector.js";
import { type ZScoreConfig, zScoreDefaults, zScoreDetector } from "./z-score-detector.js";

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
  const bySensor = readings.keyBy((r) => r.sensor_id);
  const outputs: Stream<Anomaly>[] = [];
  const { zScore, threshold, trend, stuckSensor, offline, qualityDegradation } = config;
  const equipment = config.equipmentTransition;
  const perSensor: KeyedProcessFunction<string, EnrichedReading, Anomaly>[] = [];
  if (on(zScore)) perSensor.push(zScoreDetector(withoutToggle(zScore ?? {})));
  if (on(threshold)) perSensor.push(thresholdDetector(withoutToggle(threshold ?? {})));
  if (on(trend)) perSensor.push(trendDetector(withoutToggle(trend ?? {})));
  if (on(stuckSensor)) perSensor.push(stuckSensorDetector(withoutToggle(stuckSensor ?? {})));
  if (on(offline)) perSensor.push(offlineDetector(withoutToggle(offline ?? {})));
  if (on(qualityDegradation)) {
    perSensor.push(qualityDegradationDetector(withoutToggle(qualityDegradation ?? {})));
  }
  if (perSensor.length > 0) {
    outputs.push(bySensor.process(DETECTOR_STEPS.perSensor, fuseDetectors(perSensor)));
  }
  const perMachine: KeyedProcessFunction<string, EnrichedReading, Anomaly>[] = [];
  if (on(equipment)) perMachine.push(equipmentTransitionDetector(withoutToggle(equipment ?? {})));
  if (on(config.sensorDrift)) {
    perMachine.push(sensorDriftDetector(withoutToggle(config.sensorDrift ?? {})));
  }
  if (perMachine.length > 0) {
    const known = readings.filter(DETECTOR_STEPS.equipmentKnown, (r) => r.equipment_id !== null);
    const fn = perMachine.length === 1 ? perMachine[0]! : fuseDetectors(perMachine);
    outputs.push(
      known.keyBy((r) => r.equipment_id!).process(DETECTOR_STEPS.equipmentTransition, fn),
    );
  }
  const [first, ...rest] = outputs;
  return rest.length === 0 ? first! : first!.union(DETECTOR_STEPS.union, ...rest);
}

/**
 * One keyed step running several detectors of one key on each reading, in order: one
 * key lookup and one state entry per key instead of one per detector. Their
 * state names are distinct, so they share the key's state without clashing; timers
 * (only the offline detector has them) go to every detector with `onTimer`.
 */
function fuseDetectors(
  detectors: readonly KeyedProcessFunction<string, EnrichedReading, Anomaly>[],
): KeyedProcessFunction<string, EnrichedReading, Anomaly> {
  const withTimers = detectors.filter((d) => d.onTimer !== undefined);
  return {
    processElement(reading, context) {
      for (const d of detectors) d.processElement(reading, context);
    },
    onTimer(time, context) {
      for (const d of withTimers) d.onTimer!(time, context);
    },
  };
}
