/**
 * Facility metrics: what a plant's overview dashboard shows, per facility over
 * 1 minute windows sliding by 30 s — readings, active sensors and equipment, quality
 * alerts, anomalies, and per sensor type the count, mean, minimum and maximum of the
 * primary value.
 */
import {
  composite,
  type Stream,
  sliding,
  type WindowOptions,
  type WindowResult,
} from "../../engine/index.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";
import { countWhere } from "./count-where.js";
import type { DashboardSteps } from "./dashboard-steps.js";
import { distinctOf } from "./distinct-of.js";
import { groupFields } from "./group-fields.js";
import { isAnomaly, type PlantEvent, plantEvents, readingOf } from "./plant-event.js";
import { type SensorTypeStatsResult, sensorTypeStats } from "./sensor-type-stats.js";
import { type WindowBounds, windowBounds, windowRecordId } from "./window-bounds.js";

/** The name of this dashboard: the prefix of its step names and record ids. */
export const FACILITY_METRICS = "facility-metrics";

/** One facility over one window. */
export interface FacilityMetricsRecord extends WindowBounds {
  /** `facility-metrics|<facility_id>|<window_start_ms>`. */
  readonly id: string;
  readonly facility_id: string;
  /** From the metadata; `null` when no reading of the window named it. */
  readonly facility_name: string | null;
  /** Valid readings in the window. */
  readonly readings: number;
  /** Distinct `sensor_id`s among them (exact). */
  readonly active_sensors: number;
  /** Distinct non-null `equipment_id`s among them (exact). */
  readonly active_equipment: number;
  /** Readings without equipment (unknown sensors, or sensors attached to none). */
  readonly unassigned_readings: number;
  /** Readings with `quality_score` below `qualityAlertBelow`. */
  readonly quality_alerts: number;
  /** Anomalies of the facility whose event time lies in the window. */
  readonly anomalies: number;
  /** Per sensor type seen in the window: count, avg, min and max of the primary value. */
  readonly by_sensor_type: SensorTypeStatsResult;
}

/** Settings of {@link facilityMetrics}; every field is optional. */
export interface FacilityMetricsConfig {
  /** Window size in ms. Default 60,000 (1 min). */
  readonly size?: number;
  /** Window slide in ms. Default 30,000 (30 s). */
  readonly slide?: number;
  /** A reading with `quality_score` strictly below this is a quality alert. Default 0.8. */
  readonly qualityAlertBelow?: number;
  /** Allowed lateness and early updates of the window step. Default none. */
  readonly window?: WindowOptions;
}

/** The defaults of {@link FacilityMetricsConfig}. */
export const FACILITY_METRICS_DEFAULTS = Object.freeze({
  size: 60_000,
  slide: 30_000,
  qualityAlertBelow: 0.8,
});

/**
 * Facility metrics of `readings` (and the anomalies of `anomalies`, when given) per
 * facility over sliding windows. Steps: `facility-metrics.readings`,
 * `facility-metrics.events` (the union, see {@link plantEvents}), `facility-metrics` (the window) and `facility-metrics.record`.
 *
 * Anomalies are joined by a union, not a lookup: both streams are tagged, unioned and
 * keyed by `facility_id`, and one composite aggregator counts readings and anomalies
 * apart. A window with anomalies but no reading is emitted with `readings: 0`. Events
 * too late for every window go to the window step's late output: use
 * {@link facilityMetricsSteps} to reach it.
 */
export function facilityMetrics(
  readings: Stream<EnrichedReading>,
  anomalies?: Stream<Anomaly>,
  config: FacilityMetricsConfig = {},
): Stream<FacilityMetricsRecord> {
  return facilityMetricsSteps(readings, anomalies, config).records;
}

/** {@link facilityMetrics} with the late output of its window step. */
export function facilityMetricsSteps(
  readings: Stream<EnrichedReading>,
  anomalies?: Stream<Anomaly>,
  config: FacilityMetricsConfig = {},
): DashboardSteps<FacilityMetricsRecord, PlantEvent> {
  const size = config.size ?? FACILITY_METRICS_DEFAULTS.size;
  const slide = config.slide ?? FACILITY_METRICS_DEFAULTS.slide;
  const alertBelow = config.qualityAlertBelow ?? FACILITY_METRICS_DEFAULTS.qualityAlertBelow;
  const window = plantEvents(FACILITY_METRICS, readings, anomalies)
    .keyBy((e) => e.facility_id)
    .window(
      FACILITY_METRICS,
      sliding({ size, slide }),
      composite({
        fields: groupFields((e: PlantEvent) => {
          const r = readingOf(e);
          return r === null ? null : { facility_name: r.facility_name };
        }),
        readings: countWhere((e: PlantEvent) => !isAnomaly(e)),
        active_sensors: distinctOf((e: PlantEvent) => readingOf(e)?.sensor_id),
        active_equipment: distinctOf((e: PlantEvent) => readingOf(e)?.equipment_id),
        unassigned_readings: countWhere((e: PlantEvent) => readingOf(e)?.equipment_id === null),
        quality_alerts: countWhere((e: PlantEvent) => {
          const r = readingOf(e);
          return r !== null && r.quality_score < alertBelow;
        }),
        anomalies: countWhere(isAnomaly),
        by_sensor_type: sensorTypeStats(
          (e: PlantEvent) => readingOf(e)?.sensor_type ?? null,
          (e: PlantEvent) => readingOf(e)?.value ?? Number.NaN,
        ),
      }),
      config.window,
    );
  const records = window.map(`${FACILITY_METRICS}.record`, toRecord);
  return { records, late: window.late() };
}

type FacilityWindow = WindowResult<
  string,
  {
    fields: { facility_name: string | null } | null;
    readings: number;
    active_sensors: number;
    active_equipment: number;
    unassigned_readings: number;
    quality_alerts: number;
    anomalies: number;
    by_sensor_type: SensorTypeStatsResult;
  }
>;

function toRecord(w: FacilityWindow): FacilityMetricsRecord {
  const v = w.value;
  return {
    id: windowRecordId(FACILITY_METRICS, w.key, w.start),
    facility_id: w.key,
    facility_name: v.fields?.facility_name ?? null,
    ...windowBounds(w.start, w.end, w.kind),
    readings: v.readings,
    active_sensors: v.active_sensors,
    active_equipment: v.active_equipment,
    unassigned_readings: v.unassigned_readings,
    quality_alerts: v.quality_alerts,
    anomalies: v.anomalies,
    by_sensor_type: v.by_sensor_type,
  };
}
