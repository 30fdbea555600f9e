/**
 * The notification contract between alarm management (lifecycle, priority, routing,
 * grouping) and delivery (outbox, dispatcher, channels). Alarm management produces
 * `Notification` records in the dataflow; the outbox stores them with the checkpoint
 * and the dispatcher hands each to the channel it names.
 */

/** Alarm severity, lowest first. */
export type AlarmSeverity = "low" | "medium" | "high" | "critical";

/** ISA-18.2 alarm states. */
export type AlarmState = "ACTIVE_UNACK" | "ACTIVE_ACK" | "CLEARED_UNACK" | "CLEARED_ACK";

/**
 * Why a notification was sent: an alarm opened (or reopened), got worse, was
 * acknowledged, or cleared. Channels with incident semantics (PagerDuty) map
 * them to trigger / acknowledge / resolve.
 */
export type NotificationEvent = "firing" | "escalated" | "acknowledged" | "resolved";

/** One alarm as a notification shows it: what, where, how bad, since when, value against baseline. */
export interface AlarmSnapshot {
  /** Stable alarm id: one alarm per (type, source). */
  readonly alarmId: string;
  /** Alarm type, e.g. the detector name (`z-score`) or a pipeline alarm (`watermark-lag`). */
  readonly type: string;
  /** What the alarm is about. */
  readonly source: { readonly kind: "sensor" | "equipment" | "pipeline"; readonly id: string };
  readonly state: AlarmState;
  readonly severity: AlarmSeverity;
  /** 0–100, from the configured priority rules. */
  readonly priority: number;
  /** Anomalies folded into this alarm since it opened. */
  readonly count: number;
  /** Event time the alarm became active, epoch ms. */
  readonly activeSince: number;
  /** Event time of the latest anomaly, epoch ms. */
  readonly lastSeen: number;
  readonly facilityId: string | null;
  readonly equipmentId: string | null;
  readonly sensorId: string | null;
  /** Latest value, when the alarm is about a measured value. */
  readonly value: number | null;
  /** What the value was compared with (mean, stddev, threshold, …). */
  readonly baseline: Readonly<Record<string, number>>;
  /** One human sentence, e.g. "temperature 181.2 °C is 6.1σ above its 5-minute mean 72.4 °C". */
  readonly message: string;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Link to the dashboard page of this alarm's equipment, when a dashboard URL is
   * configured. Channels fall back to `Notification.dashboardUrl`.
   */
  readonly dashboardUrl?: string;
  /** Who acknowledged it and why, once acknowledged. */
  readonly acknowledgedBy?: {
    readonly user: string;
    readonly comment: string;
    readonly at: number;
  };
  /** Highest severity since the alarm became active (`severity` is the current one). */
  readonly peakSeverity?: AlarmSeverity;
  /** True while the alarm is flapping: its notifications are held until it settles. */
  readonly flapping?: boolean;
  /** Event time the alarm cleared, epoch ms, once cleared. */
  readonly clearedAt?: number;
}

/**
 * A message for one channel, possibly covering a group of alarms.
 *
 * `id` is the idempotency key: deterministic from (route, group, event, alarm
 * versions), so the same notification recomputed after a restart has the same id and
 * receivers can drop duplicates. Delivery is at-least-once per id.
 */
export interface Notification {
  readonly id: string;
  /** The configured channel name (a key of the channels config), e.g. `"slack-ops"`. */
  readonly channel: string;
  readonly event: NotificationEvent;
  /** Alertmanager-style group key: the route and the values of its group-by labels. */
  readonly groupKey: string;
  /** Event time the notification was decided, epoch ms. */
  readonly createdAt: number;
  /** Highest priority and severity among the alarms. */
  readonly priority: number;
  readonly severity: AlarmSeverity;
  /** One line, e.g. "[CRITICAL] z-score on TEMP-001 (OVEN-1, plant-a)". */
  readonly title: string;
  readonly alarms: readonly AlarmSnapshot[];
  /** Link to the dashboard page of the (first) equipment, when a dashboard URL is configured. */
  readonly dashboardUrl?: string;
}
