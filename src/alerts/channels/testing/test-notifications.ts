/**
 * Sample notifications for channel and delivery tests (test files only).
 */
import type { AlarmSnapshot, Notification } from "../../notification.js";

/** 2026-11-01 08:14:03 UTC. */
export const ACTIVE_SINCE = Date.UTC(2026, 10, 1, 8, 14, 3);

/** An alarm on TEMP-001 of OVEN-1 in plant-a; `overrides` replace fields. */
export function sampleAlarm(overrides: Partial<AlarmSnapshot> = {}): AlarmSnapshot {
  return {
    alarmId: "z-score/sensor/TEMP-001",
    type: "z-score",
    source: { kind: "sensor", id: "TEMP-001" },
    state: "ACTIVE_UNACK",
    severity: "critical",
    priority: 95,
    count: 14,
    activeSince: ACTIVE_SINCE,
    lastSeen: ACTIVE_SINCE + 11 * 60_000 + 58_000,
    facilityId: "plant-a",
    equipmentId: "OVEN-1",
    sensorId: "TEMP-001",
    value: 181.2,
    baseline: { mean: 72.4, stddev: 1.25 },
    message: "temperature 181.2 °C is 6.1σ above its 5-minute mean 72.4 °C",
    labels: { criticality: "critical", line: "line-3" },
    dashboardUrl: "https://dash.plant.example/equipment/OVEN-1",
    ...overrides,
  };
}

/** A firing notification of one alarm (`sampleAlarm`) for `channel`; `overrides` replace fields. */
export function sampleNotification(overrides: Partial<Notification> = {}): Notification {
  return {
    id: "ntf-0001",
    channel: "test",
    event: "firing",
    groupKey: "route-critical/plant-a",
    createdAt: ACTIVE_SINCE + 12 * 60_000,
    priority: 95,
    severity: "critical",
    title: "[CRITICAL] z-score on TEMP-001 (OVEN-1, plant-a)",
    alarms: [sampleAlarm()],
    dashboardUrl: "https://dash.plant.example/equipment/OVEN-1",
    ...overrides,
  };
}

/** A notification grouping three alarms on three machines. */
export function groupedNotification(overrides: Partial<Notification> = {}): Notification {
  const alarms = ["OVEN-1", "OVEN-2", "PRESS-7"].map((equipment, i) =>
    sampleAlarm({
      alarmId: `z-score/equipment/${equipment}`,
      source: { kind: "equipment", id: equipment },
      equipmentId: equipment,
      sensorId: `S-${i}`,
      severity: i === 0 ? "critical" : "high",
      value: 100 + i,
      dashboardUrl: `https://dash.plant.example/equipment/${equipment}`,
    }),
  );
  return sampleNotification({
    id: "ntf-group-1",
    title: "[CRITICAL] 3 z-score alarms in plant-a",
    alarms,
    ...overrides,
  });
}
