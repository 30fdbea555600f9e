/**
 * Routes, grouping and channels as configured, and their compiled form. A route
 * matches alarms (priority, severity, facility, labels, …) and names the channels
 * that get them, and how they are grouped (Alertmanager's group_by, group_wait,
 * group_interval, repeat_interval, in event time).
 */
import {
  type AlarmMatcher,
  compileMatcher,
  type MatchPredicate,
  type MatchSubject,
} from "../matcher.js";
import type { NotificationEvent } from "../notification.js";

/** The channel types delivery knows. */
export const CHANNEL_TYPES = ["slack", "email", "sms", "pagerduty", "webhook"] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** At most `max` notifications per `perMs` of event time on a channel; up to `maxQueued` wait. */
export interface RateLimitConfig {
  readonly max: number;
  readonly perMs: number;
  /** Notifications waiting for the limit beyond this many are held (`rate-limited`). Default 100. */
  readonly maxQueued?: number;
}

/**
 * A channel by name: its type and the options delivery reads (validated by the
 * channels' own schemas, `src/alerts/channels`). Routing only needs the type.
 */
export interface ChannelConfig {
  readonly type: ChannelType;
  readonly [option: string]: unknown;
}

/** Alertmanager-style grouping, the default of every route. */
export interface GroupingConfig {
  /** Labels whose values make a group (`type`, `alarmId`, `source`, `sourceKind` or any label). */
  readonly groupBy: readonly string[];
  /** How long a new group waits for more alarms before its first notification, ms. */
  readonly groupWaitMs: number;
  /** Least time between two notifications of a group about changes, ms. */
  readonly groupIntervalMs: number;
  /** An unacknowledged active alarm is notified again after this long without a notification, ms. */
  readonly repeatIntervalMs: number;
}

/** Defaults: group by facility and equipment, notify at once, then at most every minute, repeat every 4 h. */
export const groupingDefaults: GroupingConfig = Object.freeze({
  groupBy: Object.freeze(["facility", "equipment"]),
  groupWaitMs: 0,
  groupIntervalMs: 60_000,
  repeatIntervalMs: 4 * 3_600_000,
});

/** The notification events, in the order a flush sends them. */
export const NOTIFICATION_EVENTS: readonly NotificationEvent[] = Object.freeze([
  "firing",
  "escalated",
  "acknowledged",
  "resolved",
]);

/** One route. Its channels are the union of `channels`, `channelTypes` and `allChannels`. */
export interface RouteConfig {
  readonly name: string;
  /** Which alarms; default every alarm. */
  readonly match?: AlarmMatcher;
  /** Channel names (keys of the channels config). */
  readonly channels?: readonly string[];
  /** Every configured channel of these types. */
  readonly channelTypes?: readonly ChannelType[];
  /** Every configured channel. */
  readonly allChannels?: boolean;
  /** Keep looking at the next routes after this one matched. Default false: first match wins. */
  readonly continue?: boolean;
  /** Events that notify. Default all: firing, escalated, acknowledged, resolved. */
  readonly notifyOn?: readonly NotificationEvent[];
  readonly groupBy?: readonly string[];
  readonly groupWaitMs?: number;
  readonly groupIntervalMs?: number;
  readonly repeatIntervalMs?: number;
}

/**
 * The article's routing: priority ≥ 90 to every channel, ≥ 70 to the Slack and email
 * channels, anything else to Slack.
 */
export const defaultRoutes: readonly RouteConfig[] = Object.freeze([
  { name: "critical", match: { minPriority: 90 }, allChannels: true },
  { name: "high", match: { minPriority: 70 }, channelTypes: ["slack", "email"] },
  { name: "default", channelTypes: ["slack"] },
]);

/**
 * The article's four channels, used when none are configured, so that a replay shows
 * the routing: each named after its type, without options (delivery needs real ones).
 */
export const defaultChannels: Readonly<Record<string, ChannelConfig>> = Object.freeze({
  slack: { type: "slack" },
  email: { type: "email" },
  sms: { type: "sms" },
  webhook: { type: "webhook" },
});

/** A route ready to use. */
export interface CompiledRoute {
  readonly name: string;
  readonly test: MatchPredicate;
  readonly channels: readonly string[];
  readonly continue: boolean;
  readonly notifyOn: ReadonlySet<NotificationEvent>;
  readonly groupBy: readonly string[];
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
}

/** A route or channel setting that cannot work; the message names the route and field. */
export class RouteConfigError extends Error {
  override readonly name = "RouteConfigError";
}

function checkMs(route: string, field: string, value: number, orZero: boolean): number {
  if (!(Number.isFinite(value) && (orZero ? value >= 0 : value > 0))) {
    throw new RouteConfigError(
      `routes.${route}.${field}: expected a number ${orZero ? ">= 0" : "> 0"} (ms), got ${value}`,
    );
  }
  return value;
}

/**
 * Compiles `routes` against the configured `channels`. Throws a {@link RouteConfigError}
 * for a duplicate route name, a channel name that is not configured, or a bad time; a
 * `MatcherError` for a bad matcher. A route whose types match no configured channel
 * has no channels: its alarms are routed (and recorded) but notify nobody.
 */
export function compileRoutes(
  routes: readonly RouteConfig[],
  channels: Readonly<Record<string, ChannelConfig>>,
  grouping: GroupingConfig = groupingDefaults,
): CompiledRoute[] {
  const names = new Set<string>();
  return routes.map((r, i) => {
    if (typeof r.name !== "string" || r.name === "") {
      throw new RouteConfigError(`routes[${i}].name: expected a non-empty string`);
    }
    if (names.has(r.name))
      throw new RouteConfigError(`routes[${i}].name: duplicate route "${r.name}"`);
    names.add(r.name);
    const list = new Set<string>();
    for (const c of r.channels ?? []) {
      if (channels[c] === undefined) {
        throw new RouteConfigError(
          `routes.${r.name}.channels: expected one of the configured channels (${Object.keys(channels).join(", ") || "none"}), got "${c}"`,
        );
      }
      list.add(c);
    }
    const types = new Set<string>(r.channelTypes ?? []);
    for (const [name, channel] of Object.entries(channels)) {
      if (r.allChannels || types.has(channel.type)) list.add(name);
    }
    return {
      name: r.name,
      test: compileMatcher(r.match ?? {}, `routes.${r.name}.match`),
      channels: [...list].sort(),
      continue: r.continue ?? false,
      notifyOn: new Set(r.notifyOn ?? NOTIFICATION_EVENTS),
      groupBy: [...(r.groupBy ?? grouping.groupBy)],
      groupWaitMs: checkMs(r.name, "groupWaitMs", r.groupWaitMs ?? grouping.groupWaitMs, true),
      groupIntervalMs: checkMs(
        r.name,
        "groupIntervalMs",
        r.groupIntervalMs ?? grouping.groupIntervalMs,
        false,
      ),
      repeatIntervalMs: checkMs(
        r.name,
        "repeatIntervalMs",
        r.repeatIntervalMs ?? grouping.repeatIntervalMs,
        false,
      ),
    };
  });
}

/** The routes an alarm takes: the first that matches, and more while they say `continue`. */
export function matchRoutes(
  routes: readonly CompiledRoute[],
  subject: MatchSubject,
): CompiledRoute[] {
  const matched: CompiledRoute[] = [];
  for (const route of routes) {
    if (!route.test(subject)) continue;
    matched.push(route);
    if (!route.continue) break;
  }
  return matched;
}

/** The value of group-by label `name` for an alarm. */
export function groupValue(subject: MatchSubject, name: string): string {
  switch (name) {
    case "type":
      return subject.type;
    case "alarmId":
      return subject.alarmId;
    case "source":
      return subject.source.id;
    case "sourceKind":
      return subject.source.kind;
    default:
      return subject.labels[name] ?? "";
  }
}

/** The group of an alarm on a route: key `<route>|<label>=<value>,…` and the label values. */
export function groupOf(
  route: CompiledRoute,
  subject: MatchSubject,
): { key: string; labels: Record<string, string> } {
  const labels: Record<string, string> = {};
  const parts: string[] = [];
  for (const name of route.groupBy) {
    const value = groupValue(subject, name);
    labels[name] = value;
    parts.push(`${name}=${value}`);
  }
  return { key: `${route.name}|${parts.join(",")}`, labels };
}
