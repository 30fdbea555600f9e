/**
 * Production efficiency: per facility, production line and shift, over 10 minute
 * windows sliding by 5 minutes, the mean power, vibration and temperature, the
 * active and running equipment, the optimal-quality readings and an efficiency score
 * (see efficiency-score.ts).
 */
import {
  avg,
  composite,
  count,
  type Stream,
  sliding,
  type WindowOptions,
  type WindowResult,
} from "../../engine/index.js";
import type { EnrichedReading, SensorType } from "../reading/reading.js";
import { countWhere } from "./count-where.js";
import type { DashboardSteps } from "./dashboard-steps.js";
import { distinctOf } from "./distinct-of.js";
import { type EfficiencyScore, efficiencyScore } from "./efficiency-score.js";
import { groupFields } from "./group-fields.js";
import { sensorGroupKeys } from "./sensor-group-keys.js";
import { type WindowBounds, windowBounds, windowRecordId } from "./window-bounds.js";

/** The name of this dashboard: the prefix of its step names and record ids. */
export const PRODUCTION_EFFICIENCY = "production-efficiency";

/** One facility's production line during one shift over one window. */
export interface ProductionEfficiencyRecord extends WindowBounds, EfficiencyScore {
  /** `production-efficiency|<facility_id>|<production_line>|<shift>|<window_start_ms>`. */
  readonly id: string;
  readonly facility_id: string;
  readonly production_line: string;
  /** The shift of the readings (a window across a shift change gives one record per shift). */
  readonly shift: string;
  /** Readings of the considered sensor types (default power, vibration, temperature). */
  readonly readings: number;
  /** Mean primary value of the power readings, W; `null` without any. */
  readonly avg_power: number | null;
  /** Mean vibration magnitude; `null` without any. */
  readonly avg_vibration: number | null;
  /** Mean temperature, °C; `null` without any. */
  readonly avg_temperature: number | null;
  /** Distinct equipment that reported. */
  readonly active_equipment: number;
  /** Distinct equipment with at least one power reading above idle. */
  readonly running_equipment: number;
  /** Readings with `quality_score` above `optimalQualityAbove`. */
  readonly optimal_readings: number;
  /** Power readings, and those above idle: the utilisation's counts. */
  readonly power_readings: number;
  readonly running_readings: number;
}

/** Settings of {@link productionEfficiency}; every field is optional. */
export interface ProductionEfficiencyConfig {
  /** Window size in ms. Default 600,000 (10 min). */
  readonly size?: number;
  /** Window slide in ms. Default 300,000 (5 min). */
  readonly slide?: number;
  /** The sensor types considered. Default power, vibration and temperature. */
  readonly sensorTypes?: readonly SensorType[];
  /** A reading with `quality_score` strictly above this is optimal. Default 0.95. */
  readonly optimalQualityAbove?: number;
  /** A power reading strictly above this many watts means the equipment runs. Default 100. */
  readonly idlePowerWatts?: number;
  /** Allowed lateness and early updates of the window step. Default none. */
  readonly window?: WindowOptions;
}

/** The defaults of {@link ProductionEfficiencyConfig}. */
export const PRODUCTION_EFFICIENCY_DEFAULTS = Object.freeze({
  size: 600_000,
  slide: 300_000,
  sensorTypes: Object.freeze(["power", "vibration", "temperature"] as const),
  optimalQualityAbove: 0.95,
  idlePowerWatts: 100,
});

/** `value` of readings of `type`, NaN (skipped by `avg`) for the others. */
const primaryValueOf =
  (type: SensorType) =>
  (r: EnrichedReading): number =>
    r.sensor_type === type ? r.value : Number.NaN;

/**
 * Production efficiency of `readings` per (facility, production line, shift) over
 * sliding windows. Steps: `production-efficiency.considered` (keeps readings of the
 * considered sensor types that have a production line), `production-efficiency` (the
 * window) and `production-efficiency.record`.
 *
 * Readings without a production line (unknown sensors) are excluded: there is no line
 * to credit them to.
 */
export function productionEfficiency(
  readings: Stream<EnrichedReading>,
  config: ProductionEfficiencyConfig = {},
): Stream<ProductionEfficiencyRecord> {
  return productionEfficiencySteps(readings, config).records;
}

/** {@link productionEfficiency} with the late output of its window step. */
export function productionEfficiencySteps(
  readings: Stream<EnrichedReading>,
  config: ProductionEfficiencyConfig = {},
): DashboardSteps<ProductionEfficiencyRecord, EnrichedReading> {
  const d = PRODUCTION_EFFICIENCY_DEFAULTS;
  const types = new Set<SensorType>(config.sensorTypes ?? d.sensorTypes);
  const optimalAbove = config.optimalQualityAbove ?? d.optimalQualityAbove;
  const idle = config.idlePowerWatts ?? d.idlePowerWatts;
  const running = (r: EnrichedReading) => r.sensor_type === "power" && r.value > idle;
  const keyOf = sensorGroupKeys();
  const window = readings
    .filter(
      `${PRODUCTION_EFFICIENCY}.considered`,
      (r) => r.production_line !== null && types.has(r.sensor_type),
    )
    .keyBy((r) => keyOf(r, r.facility_id, r.production_line!, r.shift))
    .window(
      PRODUCTION_EFFICIENCY,
      sliding({ size: config.size ?? d.size, slide: config.slide ?? d.slide }),
      composite({
        fields: groupFields((r: EnrichedReading) => ({
          facility_id: r.facility_id,
          production_line: r.production_line!,
          shift: r.shift,
        })),
        readings: count(),
        avg_power: avg(primaryValueOf("power")),
        avg_vibration: avg(primaryValueOf("vibration")),
        avg_temperature: avg(primaryValueOf("temperature")),
        active_equipment: distinctOf((r: EnrichedReading) => r.equipment_id),
        running_equipment: distinctOf((r: EnrichedReading) => (running(r) ? r.equipment_id : null)),
        optimal_readings: countWhere((r: EnrichedReading) => r.quality_score > optimalAbove),
        power_readings: countWhere((r: EnrichedReading) => r.sensor_type === "power"),
        running_readings: countWhere(running),
      }),
      config.window,
    );
  const records = window.map(`${PRODUCTION_EFFICIENCY}.record`, toRecord);
  return { records, late: window.late() };
}

type EfficiencyWindow = WindowResult<
  string,
  {
    fields: { facility_id: string; production_line: string; shift: string } | null;
    readings: number;
    avg_power: number | null;
    avg_vibration: number | null;
    avg_temperature: number | null;
    active_equipment: number;
    running_equipment: number;
    optimal_readings: number;
    power_readings: number;
    running_readings: number;
  }
>;

function toRecord(w: EfficiencyWindow): ProductionEfficiencyRecord {
  const v = w.value;
  // A window exists only once a reading fell in it, so `fields` is set.
  const fields = v.fields!;
  return {
    id: windowRecordId(PRODUCTION_EFFICIENCY, w.key, w.start),
    facility_id: fields.facility_id,
    production_line: fields.production_line,
    shift: fields.shift,
    ...windowBounds(w.start, w.end, w.kind),
    readings: v.readings,
    avg_power: v.avg_power,
    avg_vibration: v.avg_vibration,
    avg_temperature: v.avg_temperature,
    active_equipment: v.active_equipment,
    running_equipment: v.running_equipment,
    optimal_readings: v.optimal_readings,
    power_readings: v.power_readings,
    running_readings: v.running_readings,
    ...efficiencyScore({
      readings: v.readings,
      optimalReadings: v.optimal_readings,
      powerReadings: v.power_readings,
      runningReadings: v.running_readings,
    }),
  };
}
