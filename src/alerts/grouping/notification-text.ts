/**
 * What a notification says in one line, and its deterministic id.
 */
import { createHash } from "node:crypto";
import { severityRank } from "../alarm-signal.js";
import type { AlarmSeverity, AlarmSnapshot, NotificationEvent } from "../notification.js";

function where(a: AlarmSnapshot): string {
  const places = [a.equipmentId, a.facilityId].filter(
    (p): p is string => p !== null && p !== "" && p !== a.source.id,
  );
  return places.length > 0 ? ` (${places.join(", ")})` : "";
}

/** `z-score on TEMP-001 (OVEN-1, plant-a)`. */
export function describeAlarm(a: AlarmSnapshot): string {
  return `${a.type} on ${a.source.id}${where(a)}`;
}

/** The worst severity among `alarms`. */
export function worstSeverity(alarms: readonly AlarmSnapshot[]): AlarmSeverity {
  let worst: AlarmSeverity = "low";
  for (const a of alarms) if (severityRank(a.severity) > severityRank(worst)) worst = a.severity;
  return worst;
}

/**
 * The title: `[CRITICAL] z-score on TEMP-001 (OVEN-1, plant-a)`, with the event in
 * the tag (`[ESCALATED: CRITICAL]`, `[ACKNOWLEDGED by alice]`, `[RESOLVED]`,
 * `[FLAPPING]`) and `and N more` for a group.
 */
export function notificationTitle(
  event: NotificationEvent,
  alarms: readonly AlarmSnapshot[],
  flapping = false,
): string {
  const first = alarms[0]!;
  const severity = worstSeverity(alarms).toUpperCase();
  let tag: string;
  if (flapping) tag = `FLAPPING: ${severity}`;
  else if (event === "firing") tag = severity;
  else if (event === "escalated") tag = `ESCALATED: ${severity}`;
  else if (event === "acknowledged") {
    tag = first.acknowledgedBy ? `ACKNOWLEDGED by ${first.acknowledgedBy.user}` : "ACKNOWLEDGED";
  } else tag = "RESOLVED";
  const more = alarms.length > 1 ? ` and ${alarms.length - 1} more` : "";
  return `[${tag}] ${describeAlarm(first)}${more}`;
}

/**
 * The idempotency key of a notification: a hash of the channel, the group, the event,
 * the decision time and the version (transition id) of every alarm in it. The same
 * decision recomputed after a restart gives the same id.
 */
export function notificationId(
  channel: string,
  groupKey: string,
  event: NotificationEvent,
  createdAt: number,
  versions: readonly string[],
): string {
  const h = createHash("sha256");
  h.update(`${channel}\n${groupKey}\n${event}\n${createdAt}\n`);
  for (const v of versions) h.update(`${v}\n`);
  return `ntf-${h.digest("hex").slice(0, 32)}`;
}
