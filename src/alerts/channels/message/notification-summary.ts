/**
 * What every message says, whatever the channel: for each alarm what happened,
 * where, how bad, since when, the value against its baseline, and the link to the
 * equipment's dashboard page. Channels render this summary (Block Kit, HTML, text,
 * SMS, PagerDuty fields) instead of reading the notification themselves, so they
 * agree on content and all cope the same way with missing or odd fields.
 */
import type { AlarmSnapshot, Notification } from "../../notification.js";

/** One alarm, as text lines. */
export interface AlarmSummary {
  readonly alarmId: string;
  /** `z-score on sensor TEMP-001`. */
  readonly headline: string;
  /** The alarm type and its sentence: `z-score: temperature 181.2 °C is 6.1σ above …`. */
  readonly what: string;
  /** `sensor TEMP-001, equipment OVEN-1, facility plant-a`. */
  readonly where: string;
  /** `CRITICAL, priority 95, 14 anomalies`. */
  readonly howBad: string;
  /** `since 2026-11-01 08:14:03 UTC (12 min), last seen 08:26:01 UTC`. */
  readonly since: string;
  /** `181.2 against mean 72.4, stddev 1.2`; `no value` when the alarm has none. */
  readonly value: string;
  /** `active, unacknowledged`; `acknowledged by ana: "on it"`. */
  readonly state: string;
  /** The dashboard page of the alarm's equipment (http/https only), or null. */
  readonly link: string | null;
  /** Equipment, else sensor, else source id: what the dashboard link is about. */
  readonly subject: string;
}

/** A whole notification, as text lines. */
export interface NotificationSummary {
  readonly id: string;
  readonly title: string;
  /** `FIRING`, `ESCALATED`, `ACKNOWLEDGED`, `RESOLVED`. */
  readonly event: string;
  readonly severity: string;
  /** `FIRING, CRITICAL, priority 95, 3 alarms`. */
  readonly eventLine: string;
  readonly alarms: readonly AlarmSummary[];
  /** The notification's dashboard link (or its first alarm's), or null. */
  readonly link: string | null;
  /** `notification <id>, group <groupKey>`. */
  readonly footer: string;
}

const EVENTS: Readonly<Record<string, string>> = {
  firing: "FIRING",
  escalated: "ESCALATED",
  acknowledged: "ACKNOWLEDGED",
  resolved: "RESOLVED",
};

const STATES: Readonly<Record<string, string>> = {
  ACTIVE_UNACK: "active, unacknowledged",
  ACTIVE_ACK: "active, acknowledged",
  CLEARED_UNACK: "cleared, unacknowledged",
  CLEARED_ACK: "cleared, acknowledged",
};

/** Summarises a notification. Never throws, whatever fields are missing or malformed. */
export function summarize(notification: Notification): NotificationSummary {
  const n = notification as Partial<Notification>;
  const alarms = Array.isArray(n.alarms) ? n.alarms : [];
  const createdAt = finite(n.createdAt);
  const summaries = alarms.map((a) => summarizeAlarm(a, createdAt, n.dashboardUrl));
  const event = EVENTS[String(n.event)] ?? String(n.event ?? "NOTIFICATION").toUpperCase();
  const severity = String(n.severity ?? "unknown").toUpperCase();
  const parts = [event, severity];
  if (finite(n.priority) !== null) parts.push(`priority ${n.priority}`);
  parts.push(alarms.length === 1 ? "1 alarm" : `${alarms.length} alarms`);
  const id = String(n.id ?? "");
  const title =
    typeof n.title === "string" && n.title.trim() !== ""
      ? oneLine(n.title)
      : `[${severity}] ${summaries[0]?.headline ?? "millstream notification"}`;
  return {
    id,
    title,
    event,
    severity,
    eventLine: parts.join(", "),
    alarms: summaries,
    link: safeLink(n.dashboardUrl) ?? summaries.find((s) => s.link !== null)?.link ?? null,
    footer: `notification ${id}${n.groupKey ? `, group ${String(n.groupKey)}` : ""}`,
  };
}

function summarizeAlarm(
  alarm: AlarmSnapshot,
  createdAt: number | null,
  fallbackLink: unknown,
): AlarmSummary {
  const a = (alarm ?? {}) as Partial<AlarmSnapshot>;
  const type = String(a.type ?? "alarm");
  const source = a.source && typeof a.source === "object" ? a.source : undefined;
  const places: string[] = [];
  if (a.sensorId) places.push(`sensor ${a.sensorId}`);
  if (a.equipmentId) places.push(`equipment ${a.equipmentId}`);
  if (a.facilityId) places.push(`facility ${a.facilityId}`);
  if (places.length === 0 && source) places.push(`${source.kind} ${source.id}`);
  const subject = String(a.equipmentId ?? a.sensorId ?? source?.id ?? "unknown");
  const headline = `${type} on ${places[0] ?? "unknown source"}`;
  const message =
    typeof a.message === "string" && a.message.trim() !== "" ? oneLine(a.message) : "";
  const bad = [String(a.severity ?? "unknown").toUpperCase()];
  if (finite(a.priority) !== null) bad.push(`priority ${a.priority}`);
  if (finite(a.count) !== null) bad.push(a.count === 1 ? "1 anomaly" : `${a.count} anomalies`);
  const activeSince = finite(a.activeSince);
  const lastSeen = finite(a.lastSeen);
  let since = activeSince === null ? "since an unknown time" : `since ${formatTime(activeSince)}`;
  if (activeSince !== null && createdAt !== null && createdAt >= activeSince) {
    since += ` (${formatDuration(createdAt - activeSince)})`;
  }
  if (lastSeen !== null) since += `, last seen ${formatTime(lastSeen)}`;
  let state = STATES[String(a.state)] ?? String(a.state ?? "unknown state");
  if (a.acknowledgedBy && typeof a.acknowledgedBy === "object") {
    const { user, comment } = a.acknowledgedBy;
    state += `, by ${String(user)}${comment ? `: "${oneLine(String(comment))}"` : ""}`;
  }
  return {
    alarmId: String(a.alarmId ?? ""),
    headline,
    what: message ? `${type}: ${message}` : type,
    where: places.join(", ") || "unknown source",
    howBad: bad.join(", "),
    since,
    value: formatValueAgainstBaseline(a.value, a.baseline),
    state,
    link: safeLink(a.dashboardUrl) ?? safeLink(fallbackLink),
    subject,
  };
}

/** `181.2 against mean 72.4, stddev 1.2`. */
export function formatValueAgainstBaseline(value: unknown, baseline: unknown): string {
  const v = finite(value);
  const entries =
    baseline && typeof baseline === "object"
      ? Object.entries(baseline as Record<string, unknown>).filter(([, b]) => finite(b) !== null)
      : [];
  const base = entries.map(([k, b]) => `${k} ${formatNumber(b as number)}`).join(", ");
  if (v === null) return base ? `no value (baseline ${base})` : "no value";
  return base ? `${formatNumber(v)} against ${base}` : `${formatNumber(v)} (no baseline)`;
}

/** A number with at most 6 significant digits, no grouping. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** `2026-11-01 08:14:03 UTC`. */
export function formatTime(epochMs: number): string {
  const date = new Date(epochMs);
  if (Number.isNaN(date.getTime())) return "an invalid time";
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** The URL if it is an absolute http(s) URL, else null (never a `javascript:` link). */
export function safeLink(url: unknown): string | null {
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function finite(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * The summary as plain text (e-mail text part, webhook `text`): the event line, then
 * one block per alarm, at most `maxAlarms` of them, then the footer.
 */
export function summaryText(summary: NotificationSummary, maxAlarms = 20): string {
  const lines = [summary.title, summary.eventLine, ""];
  for (const a of summary.alarms.slice(0, maxAlarms)) {
    lines.push(
      `* ${a.headline}`,
      `  What:     ${a.what}`,
      `  Where:    ${a.where}`,
      `  How bad:  ${a.howBad}`,
      `  Since:    ${a.since}`,
      `  Value:    ${a.value}`,
      `  State:    ${a.state}`,
    );
    if (a.link) lines.push(`  Dashboard: ${a.link}`);
    lines.push("");
  }
  const more = summary.alarms.length - maxAlarms;
  if (more > 0) lines.push(`… and ${more} more alarm(s)`, "");
  if (summary.link && !summary.alarms.some((a) => a.link === summary.link)) {
    lines.push(`Dashboard: ${summary.link}`);
  }
  lines.push(summary.footer);
  return lines.join("\n");
}
