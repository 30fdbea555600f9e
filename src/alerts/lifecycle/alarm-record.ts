/**
 * The keyed state of one alarm and its snapshot. The record is plain JSON, so it is
 * part of every checkpoint as it is.
 */
import { type AlarmSource, LABEL, SEVERITIES, severityRank } from "../alarm-signal.js";
import type { DashboardLink } from "../dashboard-url.js";
import type { AlarmSeverity, AlarmSnapshot, AlarmState } from "../notification.js";

/** The latest event time and the highest priority signalled at one severity. */
export interface SeverityLevel {
  lastSeen: number;
  priority: number;
}

/** One alarm, as the lifecycle keeps it. Mutated in place only inside the lifecycle. */
export interface AlarmRecord {
  alarmId: string;
  type: string;
  source: AlarmSource;
  labels: Readonly<Record<string, string>>;
  state: AlarmState;
  /** Current severity: the highest one still live in `levels`. */
  severity: AlarmSeverity;
  peakSeverity: AlarmSeverity;
  priority: number;
  /** Severities signalled within the de-escalation time, with when and how urgent. */
  levels: Partial<Record<AlarmSeverity, SeverityLevel>>;
  count: number;
  activeSince: number;
  /** Event time since when the alarm needs acknowledging: its activation or last re-alarming escalation. */
  unackSince: number;
  lastSeen: number;
  clearedAt: number | null;
  value: number | null;
  baseline: Readonly<Record<string, number>>;
  message: string;
  acknowledgedBy: { user: string; comment: string; at: number } | null;
  /** Changes emitted in this episode; the last part of transition ids. */
  seq: number;
  /** Event times of recent activations and clears (flapping window). */
  changes: number[];
  flapping: boolean;
  /** The pending timer of the hysteresis / de-escalation / flapping checks, if any. */
  armed: number | null;
}

/** The highest severity present in `levels`, or `null`. */
export function topLevel(levels: AlarmRecord["levels"]): AlarmSeverity | null {
  for (let i = SEVERITIES.length - 1; i >= 0; i--) {
    const s = SEVERITIES[i]!;
    if (levels[s] !== undefined) return s;
  }
  return null;
}

/** The highest priority among `levels` (0 when empty). */
export function levelPriority(levels: AlarmRecord["levels"]): number {
  let p = 0;
  for (const s of SEVERITIES) {
    const level = levels[s];
    if (level !== undefined && level.priority > p) p = level.priority;
  }
  return p;
}

/** Whether `a` is worse than `b`. */
export function worse(a: AlarmSeverity, b: AlarmSeverity): boolean {
  return severityRank(a) > severityRank(b);
}

/** The alarm as notifications and history show it. */
export function snapshotOf(record: AlarmRecord, link: DashboardLink): AlarmSnapshot {
  const labels = record.labels;
  const url = link(labels, record.alarmId);
  return {
    alarmId: record.alarmId,
    type: record.type,
    source: record.source,
    state: record.state,
    severity: record.severity,
    priority: record.priority,
    count: record.count,
    activeSince: record.activeSince,
    lastSeen: record.lastSeen,
    facilityId: labels[LABEL.facility] ?? null,
    equipmentId: labels[LABEL.equipment] ?? null,
    sensorId: labels[LABEL.sensor] ?? null,
    value: record.value,
    baseline: record.baseline,
    message: record.message,
    labels,
    ...(url === undefined ? {} : { dashboardUrl: url }),
    ...(record.acknowledgedBy === null ? {} : { acknowledgedBy: { ...record.acknowledgedBy } }),
    peakSeverity: record.peakSeverity,
    flapping: record.flapping,
    ...(record.clearedAt === null ? {} : { clearedAt: record.clearedAt }),
  };
}
