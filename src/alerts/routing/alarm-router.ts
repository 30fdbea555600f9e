/**
 * Shelving, silencing and routing, as one keyed process function under a single key.
 * Shelves and silences select alarms by matcher, so they must see every alarm: this
 * step holds them, with the open alarms and the route groups each alarm went to,
 * and annotates every transition with the hold (if any) before it goes to history
 * and to the groups. When a shelve or silence ends while an alarm it held is still
 * open, the alarm is routed again, so the groups notify what was held.
 *
 * Only transitions pass here (a few per alarm), not signals, so one key is enough.
 */
import {
  type KeyedProcessFunction,
  mapState,
  OutputTag,
  type ProcessContext,
} from "../../engine/index.js";
import type { AlarmRejection } from "../alarm-rejection.js";
import type { SuppressCommand, SuppressionCommand } from "../commands/alarm-command.js";
import { iso } from "../format.js";
import {
  type AlarmTransition,
  type HeldBy,
  isActive,
  type TransitionKind,
} from "../lifecycle/alarm-transition.js";
import {
  type AlarmMatcher,
  compileMatcher,
  type MatchPredicate,
  type MatchSubject,
} from "../matcher.js";
import type { AlarmSnapshot, NotificationEvent } from "../notification.js";
import { type CompiledRoute, groupOf, matchRoutes, NOTIFICATION_EVENTS } from "./route-config.js";

/** What the router reads: transitions from the lifecycle and shelve/silence commands. */
export type RouterInput =
  | { readonly kind: "transition"; readonly transition: AlarmTransition }
  | { readonly kind: "command"; readonly command: SuppressionCommand };

/** The single key of the router step. */
export const ROUTER_KEY = "alarms";

/** Channel name → the events that notify it. */
export type ChannelEvents = Readonly<Record<string, readonly NotificationEvent[]>>;

/** One alarm change on its way to one route group. */
export interface RoutedAlarm {
  /** The route that made the group: the group's timing comes from it. */
  readonly route: string;
  readonly groupKey: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  /** The channels this alarm goes to in this group, with the events each is told. */
  readonly channels: ChannelEvents;
  readonly transitionId: string;
  readonly kind: TransitionKind;
  readonly alarm: AlarmSnapshot;
  /** Notifications about this change are held (flapping, shelved, silenced). */
  readonly held: boolean;
  readonly at: number;
}

/** Side output: alarm changes for the grouping step. */
export const ROUTED = new OutputTag<RoutedAlarm>("routed");
/** Side output: commands naming a shelve or silence that does not exist. */
export const ROUTER_REJECTED = new OutputTag<AlarmRejection>("rejected");

interface Suppression {
  readonly id: string;
  readonly kind: "shelve" | "silence";
  readonly matcher: AlarmMatcher;
  readonly user: string;
  readonly comment: string;
  readonly startsAt: number;
  endsAt: number;
  /** Whether its start has been applied to the open alarms. */
  started: boolean;
}

interface Group {
  readonly route: string;
  readonly key: string;
  readonly labels: Record<string, string>;
  channels: Record<string, NotificationEvent[]>;
}

interface OpenAlarm {
  alarm: AlarmSnapshot;
  transitionId: string;
  groups: Group[];
  /** The shelve or silence holding it, if any. */
  heldBy: string | null;
}

const SUPPRESSIONS = mapState<string, Suppression>("suppressions");
const OPEN = mapState<string, OpenAlarm>("open-alarms");

type Ctx = ProcessContext<string, AlarmTransition>;

/** The matcher view of a snapshot. */
export function subjectOf(alarm: AlarmSnapshot): MatchSubject {
  return {
    alarmId: alarm.alarmId,
    type: alarm.type,
    source: alarm.source,
    severity: alarm.severity,
    priority: alarm.priority,
    labels: alarm.labels,
  };
}

function heldOf(s: Suppression): HeldBy {
  return {
    reason: s.kind === "shelve" ? "shelved" : "silenced",
    id: s.id,
    user: s.user,
    comment: s.comment,
    until: s.endsAt,
  };
}

/** Options of {@link alarmRouter}. */
export interface RouterOptions {
  readonly routes: readonly CompiledRoute[];
  /** Step name recorded in rejections. Default "alarms.router". */
  readonly step?: string;
}

/**
 * Builds the router, to be keyed by {@link ROUTER_KEY}. Main output: every
 * transition, with `held` set when a shelve or silence covers it at its event time
 * (a hold for flapping set by the lifecycle stays unless a shelve or silence
 * applies), plus `suppressed` / `unsuppressed` transitions when a shelve or silence
 * starts or ends (event-time timers) while an alarm it matches is open. Side output
 * {@link ROUTED}: each transition once per route group of the alarm, with the
 * channels of the routes it matched in this episode (see `groupsOf`).
 *
 * A shelve or silence applies to transitions whose event time lies in
 * `[startsAt, endsAt)`; `unshelve` / `unsilence` moves `endsAt` earlier. At the end of
 * a finite input, pending starts and ends are not acted on.
 */
export function alarmRouter(
  options: RouterOptions,
): KeyedProcessFunction<string, RouterInput, AlarmTransition> {
  const { routes } = options;
  const step = options.step ?? "alarms.router";
  const compiled = new Map<string, { matcher: AlarmMatcher; test: MatchPredicate }>();
  const testOf = (s: Suppression): MatchPredicate => {
    const cached = compiled.get(s.id);
    if (cached !== undefined && cached.matcher === s.matcher) return cached.test;
    const test = compileMatcher(s.matcher, `${s.kind} ${s.id}`);
    compiled.set(s.id, { matcher: s.matcher, test });
    return test;
  };

  const activeAt = (ctx: Ctx, subject: MatchSubject, t: number, except?: string) => {
    for (const [id, s] of ctx.state(SUPPRESSIONS).entries()) {
      if (id === except || t < s.startsAt || t >= s.endsAt) continue;
      if (testOf(s)(subject)) return s;
    }
    return undefined;
  };

  const route = (ctx: Ctx, transition: AlarmTransition, groups: Group[], at: number) => {
    const held = transition.held !== undefined;
    for (const g of groups) {
      ctx.output(
        ROUTED,
        {
          route: g.route,
          groupKey: g.key,
          groupLabels: g.labels,
          channels: g.channels,
          transitionId: transition.id,
          kind: transition.kind,
          alarm: transition.alarm,
          held,
          at,
        },
        at,
      );
    }
  };

  /**
   * The groups of an alarm: at its first routing in an episode, one per matching route;
   * later, a route that matches now (say, after an escalation) adds its channels to the
   * group it made, or else to the alarm's first group — so an alarm stays in its groups
   * for the whole episode, and a channel that announced it also hears it resolve.
   */
  const groupsOf = (alarm: AlarmSnapshot, earlier: readonly Group[] | undefined): Group[] => {
    const subject = subjectOf(alarm);
    const matched = matchRoutes(routes, subject);
    const groups: Group[] = (earlier ?? []).map((g) => ({ ...g, channels: { ...g.channels } }));
    for (const r of matched) {
      let group = groups.find((g) => g.route === r.name);
      if (group === undefined && groups.length > 0 && earlier !== undefined) group = groups[0]!;
      if (group === undefined) {
        const { key, labels } = groupOf(r, subject);
        group = { route: r.name, key, labels, channels: {} };
        groups.push(group);
      }
      for (const c of r.channels) {
        const events = new Set([...(group.channels[c] ?? []), ...r.notifyOn]);
        group.channels[c] = NOTIFICATION_EVENTS.filter((e) => events.has(e));
      }
    }
    return groups;
  };

  /**
   * Keeps an alarm while it is active, flapping or held: what a shelve or silence that
   * starts or ends must find. A cleared alarm needs nothing more from this step (its
   * next episode is routed afresh), so the state holds only the alarms that matter.
   */
  const keep = (ctx: Ctx, open: OpenAlarm) => {
    const a = open.alarm;
    if (!isActive(a.state) && !a.flapping && open.heldBy === null) {
      ctx.state(OPEN).delete(a.alarmId);
    } else {
      ctx.state(OPEN).set(a.alarmId, open);
    }
  };

  /**
   * Applies, in time order, the starts and ends of shelves and silences due at or
   * before `time` (their timers fire only when the watermark gets there; an input at
   * `time` must see the alarms as they are then).
   */
  const catchUp = (ctx: Ctx, time: number) => {
    for (;;) {
      let next: { s: Suppression; at: number; start: boolean } | undefined;
      for (const [, s] of ctx.state(SUPPRESSIONS).entries()) {
        if (!s.started && s.startsAt <= time && (next === undefined || s.startsAt < next.at)) {
          next = { s, at: s.startsAt, start: true };
        }
        if (s.endsAt <= time && (next === undefined || s.endsAt < next.at)) {
          next = { s, at: s.endsAt, start: false };
        }
      }
      if (next === undefined) return;
      if (next.start) starts(ctx, next.s, next.at);
      else ends(ctx, next.s, next.at);
    }
  };

  const onTransition = (ctx: Ctx, t: AlarmTransition) => {
    const at = ctx.timestamp;
    catchUp(ctx, at);
    const sup = activeAt(ctx, subjectOf(t.alarm), at);
    const out: AlarmTransition = sup ? { ...t, held: heldOf(sup) } : t;
    ctx.emit(out, at);
    const prev = ctx.state(OPEN).get(t.alarmId);
    const sameEpisode = prev !== undefined && prev.alarm.activeSince === t.alarm.activeSince;
    const groups = groupsOf(
      t.alarm,
      sameEpisode && prev.groups.length > 0 ? prev.groups : undefined,
    );
    route(ctx, out, groups, at);
    keep(ctx, { alarm: t.alarm, transitionId: t.id, groups, heldBy: sup?.id ?? null });
  };

  const starts = (ctx: Ctx, s: Suppression, time: number) => {
    s.started = true;
    ctx.state(SUPPRESSIONS).set(s.id, s);
    const test = testOf(s);
    for (const [, open] of ctx.state(OPEN).entries()) {
      if (open.heldBy !== null || !test(subjectOf(open.alarm))) continue;
      const a = open.alarm;
      const t: AlarmTransition = {
        id: `${a.alarmId}|${a.activeSince}|suppressed|${s.id}`,
        alarmId: a.alarmId,
        kind: "suppressed",
        from: a.state,
        to: a.state,
        at: time,
        alarm: a,
        by: { user: s.user, comment: s.comment },
        held: heldOf(s),
        note: `${s.kind === "shelve" ? "shelved" : "silenced"} by ${s.user} until ${iso(s.endsAt)}: ${s.comment}`,
      };
      ctx.emit(t, time);
      route(ctx, t, open.groups, time);
      keep(ctx, { ...open, transitionId: t.id, heldBy: s.id });
    }
  };

  const ends = (ctx: Ctx, s: Suppression, time: number) => {
    ctx.state(SUPPRESSIONS).delete(s.id);
    compiled.delete(s.id);
    for (const [, open] of ctx.state(OPEN).entries()) {
      if (open.heldBy !== s.id) continue;
      const a = open.alarm;
      const other = activeAt(ctx, subjectOf(a), time, s.id);
      if (other !== undefined) {
        keep(ctx, { ...open, heldBy: other.id });
        continue;
      }
      const t: AlarmTransition = {
        id: `${a.alarmId}|${a.activeSince}|unsuppressed|${s.id}`,
        alarmId: a.alarmId,
        kind: "unsuppressed",
        from: a.state,
        to: a.state,
        at: time,
        alarm: a,
        ...(a.flapping ? { held: { reason: "flapping" as const } } : {}),
        note: `${s.kind === "shelve" ? "shelve" : "silence"} ${s.id} by ${s.user} ended`,
      };
      ctx.emit(t, time);
      route(ctx, t, open.groups, time);
      keep(ctx, { ...open, transitionId: t.id, heldBy: null });
    }
  };

  const onCommand = (ctx: Ctx, c: SuppressionCommand) => {
    const sups = ctx.state(SUPPRESSIONS);
    if (c.kind === "shelve" || c.kind === "silence") {
      const cmd = c as SuppressCommand;
      const s: Suppression = {
        id: cmd.id,
        kind: cmd.kind,
        matcher: cmd.matcher,
        user: cmd.user,
        comment: cmd.comment,
        startsAt: cmd.startsAt,
        endsAt: cmd.endsAt,
        started: false,
      };
      sups.set(s.id, s);
      compiled.delete(s.id);
      if (s.startsAt > ctx.watermark) ctx.timers.registerEventTime(s.startsAt);
      else starts(ctx, s, s.startsAt);
      if (s.endsAt > ctx.watermark) ctx.timers.registerEventTime(s.endsAt);
      else ends(ctx, s, s.endsAt);
      return;
    }
    const kind = c.kind === "unshelve" ? "shelve" : "silence";
    const s = sups.get(c.id);
    if (s === undefined || s.kind !== kind) {
      ctx.output(
        ROUTER_REJECTED,
        {
          reason: "unknown-suppression",
          message: `${c.kind}: no ${kind} with id "${c.id}"`,
          input: c,
          at: c.at,
          step,
        },
        c.at,
      );
      return;
    }
    if (c.at >= s.endsAt) return;
    const endsAt = Math.max(c.at, s.startsAt);
    sups.set(s.id, { ...s, endsAt });
    if (endsAt > ctx.watermark) ctx.timers.registerEventTime(endsAt);
    else ends(ctx, { ...s, endsAt }, endsAt);
  };

  return {
    processElement(input, ctx) {
      if (input.kind === "transition") onTransition(ctx, input.transition);
      else onCommand(ctx, input.command);
    },
    onTimer(time, ctx) {
      if (ctx.watermark === Number.POSITIVE_INFINITY) return;
      catchUp(ctx, time);
    },
  };
}
