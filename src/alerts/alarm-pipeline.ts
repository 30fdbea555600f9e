/**
 * Alarm management as dataflow steps: signals (and operator commands) in; alarm
 * transitions (the history) and notifications out. Four keyed steps:
 *
 * 1. `lifecycle`, keyed by alarm id: dedup, states, hysteresis, escalation, flapping, acks;
 * 2. `router`, one key: shelves and silences by matcher, route groups per alarm;
 * 3. `group`, keyed by group key: Alertmanager grouping → one notification per channel;
 * 4. `rate-limit`, keyed by channel: per-channel rate limits.
 *
 * Every step keeps its state in keyed state, so alarms, holds, groups and queues are in
 * every checkpoint and a restored job carries on where it stopped, with the same ids.
 */
import type { DeadLetter, Stream } from "../engine/index.js";
import type { AlarmRejection } from "./alarm-rejection.js";
import type { AlarmSignal } from "./alarm-signal.js";
import { type AlarmsConfigInput, resolveAlarmsConfig } from "./alarms-config.js";
import {
  type AcknowledgeCommand,
  type AlarmCommand,
  isSuppressionCommand,
  type SuppressionCommand,
} from "./commands/alarm-command.js";
import { dashboardLink } from "./dashboard-url.js";
import { alarmGrouper } from "./grouping/alarm-grouper.js";
import {
  channelRateLimiter,
  HELD_NOTIFICATIONS,
  type HeldNotification,
} from "./grouping/channel-rate-limiter.js";
import {
  alarmLifecycle,
  LIFECYCLE_REJECTED,
  type LifecycleInput,
  lifecycleKey,
} from "./lifecycle/alarm-lifecycle.js";
import type { AlarmTransition } from "./lifecycle/alarm-transition.js";
import type { Notification } from "./notification.js";
import { priorityFunction } from "./priority.js";
import {
  alarmRouter,
  ROUTED,
  ROUTER_KEY,
  ROUTER_REJECTED,
  type RouterInput,
} from "./routing/alarm-router.js";
import { compileRoutes } from "./routing/route-config.js";

/** Options of {@link alarmPipeline}. */
export interface AlarmPipelineOptions {
  readonly config?: AlarmsConfigInput;
  /** Operator commands, with event time `at` (see `alarmCommands`). */
  readonly commands?: Stream<AlarmCommand>;
  /** Prefix of the step names; keep it stable, it keys the state. Default `"alarms"`. */
  readonly name?: string;
}

/** The outputs of alarm management. */
export interface AlarmStreams {
  /** Every change of every alarm (the history), at the event time of the change. */
  readonly transitions: Stream<AlarmTransition>;
  /** Notifications to deliver, one per channel, with deterministic ids. */
  readonly notifications: Stream<Notification>;
  /** Notifications held by a channel's rate limit. */
  readonly held: Stream<HeldNotification>;
  /** Signals and commands that could not be used, with a reason. */
  readonly rejected: Stream<AlarmRejection>;
  /** Records a step failed on (a bug, never expected); see `Stream.deadLetters()`. */
  readonly deadLetters: Stream<DeadLetter>;
}

/**
 * Adds alarm management to a dataflow. Throws when the configuration cannot work (a
 * route naming a channel that does not exist, a bad matcher, a bad time), with a
 * message naming the field.
 */
export function alarmPipeline(
  signals: Stream<AlarmSignal>,
  options: AlarmPipelineOptions = {},
): AlarmStreams {
  const n = options.name ?? "alarms";
  const config = resolveAlarmsConfig(options.config);
  const routes = compileRoutes(config.routes, config.channels, config.grouping);
  const { commands } = options;

  let lifecycleInput: Stream<LifecycleInput> = signals.map(
    `${n}.signals`,
    (signal): LifecycleInput => ({ kind: "signal", signal }),
  );
  if (commands) {
    const acks = commands
      .filter(`${n}.acks`, (c): c is AcknowledgeCommand => c.kind === "acknowledge")
      .map(`${n}.ack-input`, (command): LifecycleInput => ({ kind: "acknowledge", command }));
    lifecycleInput = lifecycleInput.union(`${n}.lifecycle-input`, acks);
  }
  const lifecycle = lifecycleInput.keyBy(lifecycleKey).process(
    `${n}.lifecycle`,
    alarmLifecycle({
      config: config.lifecycle,
      priority: priorityFunction(config.priority),
      link: dashboardLink(config.dashboardUrl),
      step: `${n}.lifecycle`,
    }),
  );

  let routerInput: Stream<RouterInput> = lifecycle.map(
    `${n}.router-transitions`,
    (transition): RouterInput => ({ kind: "transition", transition }),
  );
  if (commands) {
    const holds = commands
      .filter(`${n}.holds`, (c): c is SuppressionCommand => isSuppressionCommand(c))
      .map(`${n}.hold-input`, (command): RouterInput => ({ kind: "command", command }));
    routerInput = routerInput.union(`${n}.router-input`, holds);
  }
  const router = routerInput
    .keyBy(() => ROUTER_KEY)
    .process(`${n}.router`, alarmRouter({ routes, step: `${n}.router` }));

  const grouped = router
    .sideOutput(ROUTED)
    .keyBy((r) => r.groupKey)
    .process(`${n}.group`, alarmGrouper(routes));
  const limited = grouped
    .keyBy((x) => x.channel)
    .process(`${n}.rate-limit`, channelRateLimiter(config.rateLimits, config.channels));

  const rejected = lifecycle
    .sideOutput(LIFECYCLE_REJECTED)
    .union(`${n}.rejected`, router.sideOutput(ROUTER_REJECTED));
  const deadLetters = lifecycle
    .deadLetters()
    .union(`${n}.dead-letters`, router.deadLetters(), grouped.deadLetters(), limited.deadLetters());
  return {
    transitions: router,
    notifications: limited,
    held: limited.sideOutput(HELD_NOTIFICATIONS),
    rejected,
    deadLetters,
  };
}
