/**
 * A sensor's metadata (`sensors.json` / `.csv`) and its validation.
 */
import { type AlertThresholds, SENSOR_TYPES, type SensorType } from "../reading/reading.js";
import {
  asRecord,
  describe,
  fieldError,
  optionalNumber,
  optionalString,
  type RecordContext,
  requireOneOf,
  requireString,
} from "./record-fields.js";

/** One sensor. */
export interface SensorMeta {
  readonly sensor_id: string;
  readonly facility_id: string;
  readonly equipment_id: string;
  readonly production_line: string;
  readonly sensor_type: SensorType;
  /** Free text (`weekly`, `2025-03-01`, a cron line); `null` when absent. */
  readonly maintenance_schedule: string | null;
  /** `YYYY-MM-DD`; `null` when absent. */
  readonly calibration_date: string | null;
  /** Warning and critical bands; `{}` when absent. */
  readonly alert_thresholds: AlertThresholds;
}

const BOUNDS = ["warning_min", "warning_max", "critical_min", "critical_max"] as const;

/** Validates one sensor record; throws a `MetadataError` naming the record and field. */
export function validateSensor(value: unknown, ctx: RecordContext): SensorMeta {
  const o = asRecord(value, ctx);
  const sensorId = requireString(o, "sensor_id", ctx);
  ctx.id = `sensor_id ${JSON.stringify(sensorId)}`;
  const calibration = optionalString(o, "calibration_date", ctx);
  if (calibration !== null && !isCalendarDate(calibration)) {
    fieldError(ctx, "calibration_date", `expected a date YYYY-MM-DD, got ${describe(calibration)}`);
  }
  return Object.freeze({
    sensor_id: sensorId,
    facility_id: requireString(o, "facility_id", ctx),
    equipment_id: requireString(o, "equipment_id", ctx),
    production_line: requireString(o, "production_line", ctx),
    sensor_type: requireOneOf(o, "sensor_type", SENSOR_TYPES, ctx),
    maintenance_schedule: optionalString(o, "maintenance_schedule", ctx),
    calibration_date: calibration,
    alert_thresholds: validateThresholds(o.alert_thresholds, ctx),
  });
}

function validateThresholds(value: unknown, ctx: RecordContext): AlertThresholds {
  if (value === undefined || value === null) return Object.freeze({});
  if (typeof value !== "object" || Array.isArray(value)) {
    fieldError(ctx, "alert_thresholds", `expected an object, got ${describe(value)}`);
  }
  const o = value as Record<string, unknown>;
  const t: { -readonly [K in keyof AlertThresholds]: number } = {};
  for (const bound of BOUNDS) {
    const n = optionalNumber(o, bound, ctx, `alert_thresholds.${bound}`);
    if (n !== undefined) t[bound] = n;
  }
  for (const key of Object.keys(o)) {
    if (!(BOUNDS as readonly string[]).includes(key)) {
      fieldError(
        ctx,
        `alert_thresholds.${key}`,
        `unknown bound; expected one of ${BOUNDS.join(", ")}`,
      );
    }
  }
  checkOrder(t.warning_min, t.warning_max, "warning", ctx);
  checkOrder(t.critical_min, t.critical_max, "critical", ctx);
  return Object.freeze(t);
}

function checkOrder(
  min: number | undefined,
  max: number | undefined,
  band: string,
  ctx: RecordContext,
) {
  if (min !== undefined && max !== undefined && min > max) {
    fieldError(
      ctx,
      `alert_thresholds.${band}_min`,
      `${band}_min ${min} is above ${band}_max ${max}`,
    );
  }
}

function isCalendarDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}
