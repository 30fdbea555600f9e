/**
 * The whole alarm management configuration — lifecycle, priority, channels, routes,
 * grouping, dashboard links — with defaults for every field.
 */
import {
  type FlappingConfig,
  type LifecycleConfig,
  lifecycleDefaults,
} from "./lifecycle/lifecycle-config.js";
import { type PriorityConfig, priorityDefaults } from "./priority.js";
import {
  type ChannelConfig,
  defaultChannels,
  defaultRoutes,
  type GroupingConfig,
  groupingDefaults,
  type RateLimitConfig,
  type RouteConfig,
} from "./routing/route-config.js";

/** Alarm management settings, every field filled in. */
export interface AlarmsConfig {
  readonly lifecycle: LifecycleConfig;
  readonly priority: PriorityConfig;
  /** Channels by name. Default: the article's four, `slack`, `email`, `sms`, `webhook`. */
  readonly channels: Readonly<Record<string, ChannelConfig>>;
  /** Tried in order; the first that matches wins unless it says `continue`. */
  readonly routes: readonly RouteConfig[];
  /** Defaults of every route's grouping. */
  readonly grouping: GroupingConfig;
  /** Per-channel rate limits, by channel name. Default none. */
  readonly rateLimits: Readonly<Record<string, RateLimitConfig>>;
  /** URL template of an alarm's dashboard page (`{equipment}`, `{facility}`, `{sensor}`, `{alarmId}`), or `null`. */
  readonly dashboardUrl: string | null;
}

/** Alarm settings as written: every field optional; nested objects are merged with the defaults. */
export interface AlarmsConfigInput {
  readonly lifecycle?: Partial<Omit<LifecycleConfig, "flapping">> & {
    readonly flapping?: Partial<FlappingConfig>;
  };
  /** `severityPoints`, when given, replaces the default points entirely (a severity left out gets 0). */
  readonly priority?: Partial<PriorityConfig>;
  /** When given, replaces the default channels entirely. */
  readonly channels?: Readonly<Record<string, ChannelConfig>>;
  /** When given, replaces the default routes entirely. */
  readonly routes?: readonly RouteConfig[];
  readonly grouping?: Partial<GroupingConfig>;
  readonly rateLimits?: Readonly<Record<string, RateLimitConfig>>;
  readonly dashboardUrl?: string | null;
}

/** Fills in the defaults of everything `input` leaves out. */
export function resolveAlarmsConfig(input: AlarmsConfigInput = {}): AlarmsConfig {
  return {
    lifecycle: {
      ...lifecycleDefaults,
      ...input.lifecycle,
      flapping: { ...lifecycleDefaults.flapping, ...input.lifecycle?.flapping },
    },
    priority: { ...priorityDefaults, ...input.priority },
    channels: input.channels ?? defaultChannels,
    routes: input.routes ?? defaultRoutes,
    grouping: { ...groupingDefaults, ...input.grouping },
    rateLimits: input.rateLimits ?? {},
    dashboardUrl: input.dashboardUrl ?? null,
  };
}
