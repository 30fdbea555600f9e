/**
 * PagerDuty Events API v2 events for a notification: the action from the
 * notification's event (firing and escalated trigger, acknowledged acknowledges,
 * resolved resolves) and a stable `dedup_key`, so repeated and later events of the
 * same incident land on the same PagerDuty alert.
 */
import { createHash } from "node:crypto";
import type { AlarmSnapshot, Notification } from "../../notification.js";
import { type AlarmSummary, summarize } from "../message/notification-summary.js";

/** `trigger`, `acknowledge` or `resolve`. */
export type PagerDutyAction = "trigger" | "acknowledge" | "resolve";

/**
 * What a PagerDuty incident is: one per notification group (`group`, the default,
 * like Alertmanager) with `dedup_key` = the group key, or one per alarm (`alarm`) with
 * `dedup_key` = the alarm id, each alarm then sent as its own event.
 */
export type DedupKeyMode = "group" | "alarm";

/** One event to post. */
export interface PagerDutyEvent {
  /** The part id, for multi-event notifications (`alarm` mode): the alarm id. */
  readonly part: string;
  readonly body: Record<string, unknown>;
}

const SEVERITY: Readonly<Record<string, string>> = {
  critical: "critical",
  high: "error",
  medium: "warning",
  low: "info",
};

/** The `dedup_key` of `key`: itself up to 255 characters, else a SHA-256 digest of it. */
export function dedupKey(key: string): string {
  return key.length <= 255 ? key : `sha256:${createHash("sha256").update(key).digest("hex")}`;
}

function actionOfEvent(event: unknown): PagerDutyAction {
  if (event === "acknowledged") return "acknowledge";
  if (event === "resolved") return "resolve";
  return "trigger";
}

function actionOfAlarm(alarm: AlarmSnapshot): PagerDutyAction {
  if (alarm.state === "CLEARED_ACK" || alarm.state === "CLEARED_UNACK") return "resolve";
  if (alarm.state === "ACTIVE_ACK") return "acknowledge";
  return "trigger";
}

/** Builds the events for `notification` (one in `group` mode, one per alarm in `alarm` mode). */
export function pagerDutyEvents(
  notification: Notification,
  routingKey: string,
  mode: DedupKeyMode,
  client: string,
): PagerDutyEvent[] {
  const summary = summarize(notification);
  const alarms = Array.isArray(notification.alarms) ? notification.alarms : [];
  const base = (action: PagerDutyAction, key: string) => ({
    routing_key: routingKey,
    event_action: action,
    dedup_key: dedupKey(key),
  });
  const links = (items: readonly AlarmSummary[]) => {
    const seen = new Set<string>();
    const out: { href: string; text: string }[] = [];
    for (const a of items) {
      if (a.link !== null && !seen.has(a.link)) {
        seen.add(a.link);
        out.push({ href: a.link, text: `Dashboard: ${a.subject}` });
      }
    }
    if (out.length === 0 && summary.link !== null) {
      out.push({ href: summary.link, text: "Dashboard" });
    }
    return out;
  };
  const details = (items: readonly AlarmSummary[]) => ({
    notification_id: summary.id,
    event: summary.event,
    group: String(notification.groupKey ?? ""),
    alarms: items.map((a) => ({
      alarm_id: a.alarmId,
      what: a.what,
      where: a.where,
      how_bad: a.howBad,
      since: a.since,
      value: a.value,
      state: a.state,
      ...(a.link !== null ? { dashboard: a.link } : {}),
    })),
  });
  const timestamp = Number.isFinite(notification.createdAt)
    ? new Date(notification.createdAt).toISOString()
    : undefined;
  const payload = (
    alarm: AlarmSnapshot | undefined,
    items: readonly AlarmSummary[],
    title: string,
  ) => {
    return {
      summary: title.slice(0, 1024),
      source: String(alarm?.equipmentId ?? alarm?.sensorId ?? alarm?.source?.id ?? client),
      severity: SEVERITY[String(alarm?.severity ?? notification.severity)] ?? "error",
      ...(timestamp !== undefined ? { timestamp } : {}),
      ...(alarm?.sensorId ? { component: alarm.sensorId } : {}),
      ...(alarm?.facilityId ? { group: alarm.facilityId } : {}),
      ...(alarm?.type ? { class: alarm.type } : {}),
      custom_details: details(items),
    };
  };

  if (mode === "alarm" && alarms.length > 0) {
    return alarms.map((alarm, i) => {
      const item = summary.alarms[i] as AlarmSummary;
      const action = actionOfAlarm(alarm);
      const key = String(alarm.alarmId ?? `${summary.id}#${i}`);
      const body: Record<string, unknown> = base(action, key);
      if (action === "trigger") {
        body.payload = payload(
          alarm,
          [item],
          `[${summary.severity}] ${item.headline}: ${item.what}`,
        );
        body.links = links([item]);
        body.client = client;
      }
      return { part: key, body };
    });
  }
  const action = actionOfEvent(notification.event);
  const key = String(notification.groupKey || alarms[0]?.alarmId || summary.id);
  const body: Record<string, unknown> = base(action, key);
  if (action === "trigger") {
    const first = summary.alarms[0];
    const title = first ? `${summary.title}: ${first.what}` : summary.title;
    body.payload = payload(alarms[0], summary.alarms, title);
    body.links = links(summary.alarms);
    body.client = client;
    if (summary.link !== null) body.client_url = summary.link;
  }
  return [{ part: key, body }];
}
