/**
 * Alarm management: signals in; an ISA-18.2 lifecycle per alarm (dedup, hysteresis,
 * escalation, flapping, acknowledgement), shelves and silences, priority rules,
 * routes, Alertmanager-style grouping and per-channel rate limits; alarm history and
 * notifications out. Pipeline alarms from a job's progress. See docs/alarms.md.
 */

export { type AlarmPipelineOptions, type AlarmStreams, alarmPipeline } from "./alarm-pipeline.js";
export type { AlarmRejection, AlarmRejectionReason } from "./alarm-rejection.js";
export {
  type AlarmSignal,
  type AlarmSource,
  alarmIdOf,
  isSeverity,
  LABEL,
  maxSeverity,
  SEVERITIES,
  severityRank,
  signalProblem,
} from "./alarm-signal.js";
export { type AlarmsConfig, type AlarmsConfigInput, resolveAlarmsConfig } from "./alarms-config.js";
export type {
  AcknowledgeCommand,
  AlarmCommand,
  SuppressCommand,
  SuppressionCommand,
  UnsuppressCommand,
} from "./commands/alarm-command.js";
export { type AlarmCommandsOptions, alarmCommands } from "./commands/alarm-commands.js";
export { type ParsedAlarmCommand, parseAlarmCommand } from "./commands/parse-alarm-command.js";
export { type DashboardLink, dashboardLink } from "./dashboard-url.js";
export { alarmGrouper } from "./grouping/alarm-grouper.js";
export {
  channelRateLimiter,
  HELD_NOTIFICATIONS,
  type HeldNotification,
} from "./grouping/channel-rate-limiter.js";
export { notificationId, notificationTitle } from "./grouping/notification-text.js";
export {
  type AlarmHistoryQuery,
  AlarmHistoryStore,
  type AlarmHistoryStoreOptions,
} from "./history/alarm-history-store.js";
export {
  alarmLifecycle,
  LIFECYCLE_REJECTED,
  type LifecycleInput,
  type LifecycleOptions,
  lifecycleKey,
} from "./lifecycle/alarm-lifecycle.js";
export {
  type AlarmTransition,
  type HeldBy,
  isActive,
  type TransitionKind,
} from "./lifecycle/alarm-transition.js";
export {
  type FlappingConfig,
  type LifecycleConfig,
  lifecycleDefaults,
} from "./lifecycle/lifecycle-config.js";
export {
  type AlarmMatcher,
  compileMatcher,
  type LabelMatch,
  MatcherError,
  type MatchPredicate,
  type MatchSubject,
} from "./matcher.js";
export { labelMatchSchema, matcherSchema, severitySchema } from "./matcher-schema.js";
export {
  type JobMonitorOptions,
  JobMonitorSource,
  type MonitoredJob,
  processMemory,
} from "./monitor/job-monitor-source.js";
export {
  PIPELINE_ALARMS,
  type PipelineSample,
  type PipelineThresholds,
  pipelineSignals,
  pipelineThresholdDefaults,
} from "./monitor/pipeline-signals.js";
export type {
  AlarmSeverity,
  AlarmSnapshot,
  AlarmState,
  Notification,
  NotificationEvent,
} from "./notification.js";
export {
  articlePriority,
  type PriorityConfig,
  type PriorityFunction,
  type PriorityRule,
  priorityDefaults,
  priorityFunction,
} from "./priority.js";
export {
  alarmRouter,
  type ChannelEvents,
  ROUTED,
  ROUTER_KEY,
  type RoutedAlarm,
  type RouterInput,
} from "./routing/alarm-router.js";
export {
  CHANNEL_TYPES,
  type ChannelConfig,
  type ChannelType,
  type CompiledRoute,
  compileRoutes,
  defaultChannels,
  defaultRoutes,
  type GroupingConfig,
  groupingDefaults,
  NOTIFICATION_EVENTS,
  type RateLimitConfig,
  type RouteConfig,
  RouteConfigError,
} from "./routing/route-config.js";
