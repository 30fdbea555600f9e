/**
 * The input of alarm management: one observation that a condition is present, from
 * any layer above (an anomaly of a detector, a pipeline health check). Alarm
 * management knows nothing of sensors or readings; it sees types, sources, severities
 * and labels.
 */
import type { AlarmSeverity, AlarmSnapshot } from "./notification.js";

/** Severities, lowest first. */
export const SEVERITIES: readonly AlarmSeverity[] = Object.freeze([
  "low",
  "medium",
  "high",
  "critical",
]);

/** The rank of a severity: low 0, medium 1, high 2, critical 3. */
export function severityRank(severity: AlarmSeverity): number {
  return SEVERITIES.indexOf(severity);
}

/** Whether `value` is one of the four severities. */
export function isSeverity(value: unknown): value is AlarmSeverity {
  return typeof value === "string" && (SEVERITIES as readonly string[]).includes(value);
}

/** The higher of two severities. */
export function maxSeverity(a: AlarmSeverity, b: AlarmSeverity): AlarmSeverity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

/** What an alarm is about: a sensor, a piece of equipment, or the pipeline itself. */
export type AlarmSource = AlarmSnapshot["source"];

/**
 * Label names alarm management gives a meaning to. `facility`, `equipment` and
 * `sensor` fill the snapshot's `facilityId`, `equipmentId` and `sensorId`; the
 * others are what the default priority rules and the article's rule look at. Any
 * other label may be added and matched on.
 */
export const LABEL = Object.freeze({
  facility: "facility",
  facilityName: "facility_name",
  equipment: "equipment",
  sensor: "sensor",
  productionLine: "production_line",
  criticality: "criticality",
  equipmentClass: "equipment_class",
  sensorType: "sensor_type",
});

/**
 * One observation that the condition of alarm `type` on `source` is present at event
 * time `time`. Signals of one (type, source) fold into one alarm; the alarm clears
 * once no signal came for its hysteresis time.
 */
export interface AlarmSignal {
  /** Alarm type: a detector name (`z-score`), a pipeline check (`watermark-lag`), … */
  readonly type: string;
  readonly source: AlarmSource;
  readonly severity: AlarmSeverity;
  /** How far from normal, type-specific (a z-score, a threshold excess ratio, …). */
  readonly score: number;
  /** The measured value, or `null`. */
  readonly value: number | null;
  /** What the value was compared with. */
  readonly baseline: Readonly<Record<string, number>>;
  /** Event time, epoch ms. The stream's event time should be the same. */
  readonly time: number;
  /** Where and what: `facility`, `equipment`, `sensor`, `criticality`, … (see {@link LABEL}). */
  readonly labels: Readonly<Record<string, string>>;
  /** One human sentence. */
  readonly message: string;
  /** The id of what raised it (an anomaly id), for tracing; optional. */
  readonly cause?: string;
}

/** The alarm id of a (type, source): `<type>|<source kind>:<source id>`. Stable across runs. */
export function alarmIdOf(type: string, source: AlarmSource): string {
  return `${type}|${source.kind}:${source.id}`;
}

/**
 * Why a signal cannot be used, or `null` when it can: a type, a source, a severity
 * and a finite time are required, labels must be strings.
 */
export function signalProblem(signal: AlarmSignal): string | null {
  if (signal === null || typeof signal !== "object") return "expected an object";
  if (typeof signal.type !== "string" || signal.type === "")
    return "type: expected a non-empty string";
  const src = signal.source;
  if (
    src === null ||
    typeof src !== "object" ||
    !["sensor", "equipment", "pipeline"].includes(src.kind) ||
    typeof src.id !== "string" ||
    src.id === ""
  ) {
    return "source: expected { kind: sensor|equipment|pipeline, id: non-empty string }";
  }
  if (!isSeverity(signal.severity)) return "severity: expected low, medium, high or critical";
  if (!Number.isFinite(signal.time)) return "time: expected a finite epoch ms";
  if (typeof signal.score !== "number" || Number.isNaN(signal.score))
    return "score: expected a number";
  if (signal.labels === null || typeof signal.labels !== "object")
    return "labels: expected an object of strings";
  for (const [k, v] of Object.entries(signal.labels)) {
    if (typeof v !== "string") return `labels.${k}: expected a string`;
  }
  return null;
}
