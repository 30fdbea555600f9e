/**
 * The alarm outputs of the plant pipeline as sink steps: the alarm history
 * (transitions), notifications, held notifications and rejected alarm inputs, with
 * operator commands read from an optional source of JSON lines.
 */
import type { AlarmRejection } from "../../alerts/alarm-rejection.js";
import type { AlarmSignal } from "../../alerts/alarm-signal.js";
import { alarmCommands } from "../../alerts/commands/alarm-commands.js";
import type { HeldNotification } from "../../alerts/grouping/channel-rate-limiter.js";
import type { AlarmTransition } from "../../alerts/lifecycle/alarm-transition.js";
import type { Notification } from "../../alerts/notification.js";
import {
  type Dataflow,
  dataflow,
  type JobLink,
  linkedStream,
  type Sink,
  type SinkStep,
  type Source,
  type Stream,
  source,
} from "../../engine/index.js";
import type { MetadataCatalog } from "../metadata/metadata-catalog.js";
import type { Anomaly } from "../reading/reading.js";
import { type PlantAlarmsConfig, plantAlarms } from "./plant-alarms.js";

/** Where the alarm outputs go; alarm management runs when `alarms` or `notifications` is given. */
export interface PlantAlarmSinks {
  /**
   * Alarm management in a job of its own (see `plantAlarmJob`): the anomalies go into
   * this link, and the plant job has no alarm steps; the alarm sinks below then belong
   * to the alarm job.
   */
  readonly alarmLink?: JobLink<Anomaly>;
  /** Every alarm transition (`alarms.jsonl`). */
  readonly alarms?: Sink<AlarmTransition>;
  /** Notifications for delivery (`notifications.jsonl`, or the outbox). */
  readonly notifications?: Sink<Notification>;
  /** Signals and commands alarm management could not use, with a reason. */
  readonly alarmRejections?: Sink<AlarmRejection>;
  /** Notifications a channel's rate limit held back. */
  readonly heldNotifications?: Sink<HeldNotification>;
}

/** Options of {@link plantAlarmSteps}. */
export interface PlantAlarmStepsOptions {
  readonly catalog: MetadataCatalog;
  readonly config?: PlantAlarmsConfig;
  /** Operator commands, one JSON document per record (see docs/alarms.md). */
  readonly commands?: Source<string>;
  /** More signals into the same alarm management, e.g. of a `JobMonitorSource`. */
  readonly signals?: Stream<AlarmSignal>;
}

/** The sink steps of the alarm outputs; none when neither `alarms` nor `notifications` has a sink. */
export function plantAlarmSteps(
  anomalies: Stream<Anomaly>,
  options: PlantAlarmStepsOptions,
  sinks: PlantAlarmSinks,
): SinkStep[] {
  if (sinks.alarmLink) return [anomalies.to("alarm-link", sinks.alarmLink.sink())];
  if (!sinks.alarms && !sinks.notifications) return [];
  const commands = options.commands
    ? alarmCommands(source("alarm-commands", options.commands))
    : undefined;
  const out = plantAlarms(anomalies, {
    catalog: options.catalog,
    ...(options.config ? { config: options.config } : {}),
    ...(commands ? { commands: commands.commands } : {}),
    ...(options.signals ? { signals: options.signals } : {}),
  });
  const steps: SinkStep[] = [];
  if (sinks.alarms) steps.push(out.transitions.to("alarms-out", sinks.alarms));
  if (sinks.notifications)
    steps.push(out.notifications.to("notifications-out", sinks.notifications));
  if (sinks.heldNotifications)
    steps.push(out.held.to("held-notifications-out", sinks.heldNotifications));
  if (sinks.alarmRejections) {
    const rejected = commands
      ? out.rejected.union("alarm-rejections", commands.rejected)
      : out.rejected;
    steps.push(rejected.to("alarm-rejections-out", sinks.alarmRejections));
  }
  return steps;
}

/**
 * Alarm management as a job of its own, `name`, reading the plant job's anomalies from
 * `link` as they are detected (steps `alarm-anomalies`, `alarm-anomalies-dedup`,
 * `alarm-anomalies-confirm`, then the alarm steps). It checkpoints on its own, small
 * state, so its notifications are published by its own checkpoints rather than waiting
 * for the plant job's; results stay exactly once (see `JobLink`). Run it with the plant
 * job through `LinkedJobs`.
 */
export function plantAlarmJob(
  name: string,
  link: JobLink<Anomaly>,
  options: PlantAlarmStepsOptions,
  sinks: Omit<PlantAlarmSinks, "alarmLink">,
): Dataflow {
  const anomalies = linkedStream("alarm-anomalies", link);
  const steps = plantAlarmSteps(anomalies.records, options, sinks);
  return dataflow(name, [...steps, anomalies.confirm]);
}
