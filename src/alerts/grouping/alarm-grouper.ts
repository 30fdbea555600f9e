/**
 * Alertmanager-style grouping, keyed by group key (route + group-by label values),
 * in event time. A group remembers, per alarm and channel, what it last told the
 * channel, and compares it with the alarm now: newly active is `firing`, worse than
 * announced is `escalated`, newly acknowledged is `acknowledged`, no longer active
 * after being announced is `resolved`. The first notification of a group waits
 * `groupWaitMs`; later ones come at most every `groupIntervalMs`; unacknowledged
 * active alarms are announced again after `repeatIntervalMs` without a notification.
 * Held alarms (flapping, shelved, silenced) are left out until the hold ends; then
 * the group catches up with what changed.
 */
import { type KeyedProcessFunction, type ProcessContext, valueState } from "../../engine/index.js";
import { severityRank } from "../alarm-signal.js";
import { isActive } from "../lifecycle/alarm-transition.js";
import type {
  AlarmSeverity,
  AlarmSnapshot,
  AlarmState,
  Notification,
  NotificationEvent,
} from "../notification.js";
import type { ChannelEvents, RoutedAlarm } from "../routing/alarm-router.js";
import { type CompiledRoute, NOTIFICATION_EVENTS } from "../routing/route-config.js";
import { notificationId, notificationTitle, worstSeverity } from "./notification-text.js";

interface Announced {
  readonly state: AlarmState;
  readonly severity: AlarmSeverity;
  readonly activeSince: number;
}

interface GroupEntry {
  alarm: AlarmSnapshot;
  /** Transition id of `alarm`: its version in notification ids. */
  version: string;
  held: boolean;
  channels: ChannelEvents;
  /** What each channel was last told. */
  announced: Record<string, Announced>;
  /** A flapping start to announce. */
  flapping: boolean;
  /**
   * The previous episode's last snapshot, when it ended and a new one began before a
   * flush: channels told it was firing still need to hear that it resolved.
   */
  ended: { alarm: AlarmSnapshot; version: string } | null;
}

interface Item {
  readonly alarm: AlarmSnapshot;
  readonly version: string;
}

interface GroupState {
  route: string;
  groupKey: string;
  entries: Record<string, GroupEntry>;
  /** Changes not applied yet (a flush is pending), in event-time order. */
  pending: RoutedAlarm[];
  lastSentAt: number | null;
  flushAt: number | null;
  repeatAt: number | null;
}

const GROUP = valueState<GroupState>("group");

type Ctx = ProcessContext<string, Notification>;

/** What changed for an alarm since `announced`, or `null`. */
function eventOf(a: AlarmSnapshot, announced: Announced | undefined): NotificationEvent | null {
  const wasActive = announced !== undefined && isActive(announced.state);
  if (isActive(a.state)) {
    if (!wasActive || announced.activeSince !== a.activeSince) return "firing";
    if (severityRank(a.severity) > severityRank(announced.severity)) return "escalated";
    if (a.state === "ACTIVE_ACK" && announced.state !== "ACTIVE_ACK") return "acknowledged";
    return null;
  }
  return wasActive ? "resolved" : null;
}

function announcedOf(a: AlarmSnapshot): Announced {
  return { state: a.state, severity: a.severity, activeSince: a.activeSince };
}

function byUrgency(a: Item, b: Item): number {
  return (
    severityRank(b.alarm.severity) - severityRank(a.alarm.severity) ||
    b.alarm.priority - a.alarm.priority ||
    (a.alarm.alarmId < b.alarm.alarmId ? -1 : a.alarm.alarmId > b.alarm.alarmId ? 1 : 0)
  );
}

/** Notifications to send, by channel then event (flapping announcements apart). */
class Outbox {
  readonly #lists = new Map<string, Item[]>();

  add(channel: string, event: NotificationEvent, flapping: boolean, e: Item): void {
    const key = `${channel}\n${flapping ? "flapping-" : ""}${event}`;
    const list = this.#lists.get(key) ?? [];
    list.push(e);
    this.#lists.set(key, list);
  }

  /** `[channel, event, flapping, entries]`, channels sorted, events in their order. */
  *entries(): Generator<[string, NotificationEvent, boolean, Item[]]> {
    const channels = [...new Set([...this.#lists.keys()].map((k) => k.split("\n")[0]!))].sort();
    for (const channel of channels) {
      for (const flapping of [false, true]) {
        for (const event of NOTIFICATION_EVENTS) {
          const list = this.#lists.get(`${channel}\n${flapping ? "flapping-" : ""}${event}`);
          if (list !== undefined) yield [channel, event, flapping, list];
        }
      }
    }
  }
}

/**
 * Builds the grouper, keyed by `RoutedAlarm.groupKey`, for the compiled `routes`.
 * Emits one {@link Notification} per channel and per event that has alarms, at the
 * event time of the decision (`createdAt`), with a deterministic id.
 *
 * Order: while a flush is scheduled, changes wait and are applied in event-time
 * order when the watermark reaches the flush, so a timed flush sees exactly the
 * changes up to its time, however the input was batched. A change that may go out at
 * once (a new group with `groupWaitMs` 0, or a group quiet for `groupIntervalMs`) is
 * flushed on arrival, for latency; a change of another alarm with an earlier time that
 * arrives after it goes into the next flush. At the end of a finite input pending
 * flushes are sent; repeats are not.
 */
export function alarmGrouper(
  routes: readonly CompiledRoute[],
): KeyedProcessFunction<string, RoutedAlarm, Notification> {
  const byName = new Map(routes.map((r) => [r.name, r]));

  const send = (ctx: Ctx, st: GroupState, outbox: Outbox, time: number): boolean => {
    let sent = false;
    for (const [channel, event, flapping, entries] of outbox.entries()) {
      entries.sort(byUrgency);
      const alarms = entries.map((e) => e.alarm);
      const versions = entries.map((e) => `${e.alarm.alarmId}@${e.version}`);
      const url = alarms[0]!.dashboardUrl;
      const notification: Notification = {
        id: notificationId(channel, st.groupKey, event, time, versions),
        channel,
        event,
        groupKey: st.groupKey,
        createdAt: time,
        priority: Math.max(...alarms.map((a) => a.priority)),
        severity: worstSeverity(alarms),
        title: notificationTitle(event, alarms, flapping),
        alarms,
        ...(url === undefined ? {} : { dashboardUrl: url }),
      };
      ctx.emit(notification, time);
      sent = true;
    }
    return sent;
  };

  const flush = (ctx: Ctx, st: GroupState, route: CompiledRoute, time: number) => {
    st.flushAt = null;
    const outbox = new Outbox();
    for (const e of Object.values(st.entries)) {
      if (e.held && !e.flapping) continue;
      const flapping = e.flapping;
      e.flapping = false;
      const ended = e.ended;
      e.ended = null;
      for (const [channel, events] of Object.entries(e.channels)) {
        const told = e.announced[channel];
        if (ended !== null && told !== undefined && told.activeSince === ended.alarm.activeSince) {
          if (isActive(told.state) && events.includes("resolved")) {
            outbox.add(channel, "resolved", false, ended);
          }
          e.announced[channel] = announcedOf(ended.alarm);
        }
        if (flapping) {
          // Flapping is announced as firing whatever the state at that moment, and
          // remembered as active, so the channel hears "resolved" once it settles cleared.
          outbox.add(channel, "firing", true, e);
          e.announced[channel] = { ...announcedOf(e.alarm), state: "ACTIVE_UNACK" };
          continue;
        }
        const event = eventOf(e.alarm, e.announced[channel]);
        if (event === null) continue;
        if (events.includes(event)) outbox.add(channel, event, false, e);
        e.announced[channel] = announcedOf(e.alarm);
      }
    }
    for (const [id, e] of Object.entries(st.entries)) {
      const announcedActive = Object.values(e.announced).some((a) => isActive(a.state));
      if (!e.held && !isActive(e.alarm.state) && !announcedActive) delete st.entries[id];
    }
    if (send(ctx, st, outbox, time)) {
      st.lastSentAt = time;
      armRepeat(ctx, st, route, time);
    }
  };

  const waiting = (e: GroupEntry) => !e.held && e.alarm.state === "ACTIVE_UNACK";

  const armRepeat = (ctx: Ctx, st: GroupState, route: CompiledRoute, time: number) => {
    st.repeatAt = Object.values(st.entries).some(waiting) ? time + route.repeatIntervalMs : null;
    if (st.repeatAt !== null) ctx.timers.registerEventTime(st.repeatAt);
  };

  const repeat = (ctx: Ctx, st: GroupState, route: CompiledRoute, time: number) => {
    const outbox = new Outbox();
    for (const e of Object.values(st.entries)) {
      if (!waiting(e)) continue;
      for (const [channel, events] of Object.entries(e.channels)) {
        if (!events.includes("firing")) continue;
        if (eventOf(e.alarm, e.announced[channel]) !== null) continue;
        outbox.add(channel, "firing", false, e);
      }
    }
    if (send(ctx, st, outbox, time)) st.lastSentAt = time;
    armRepeat(ctx, st, route, time);
  };

  /** Applies one change to its alarm's entry. */
  const applyChange = (st: GroupState, r: RoutedAlarm) => {
    const id = r.alarm.alarmId;
    const e: GroupEntry = st.entries[id] ?? {
      alarm: r.alarm,
      version: r.transitionId,
      held: r.held,
      channels: r.channels,
      announced: {},
      flapping: false,
      ended: null,
    };
    if (e.alarm.activeSince !== r.alarm.activeSince && !isActive(e.alarm.state)) {
      e.ended = { alarm: e.alarm, version: e.version };
    }
    e.alarm = r.alarm;
    e.version = r.transitionId;
    e.held = r.held;
    e.channels = r.channels;
    if (r.kind === "flapping-started" && !r.held) e.flapping = true;
    st.entries[id] = e;
  };

  /** Applies the waiting changes up to `time`, in event-time order. */
  const applyUpTo = (st: GroupState, time: number) => {
    let i = 0;
    while (i < st.pending.length && st.pending[i]!.at <= time) applyChange(st, st.pending[i++]!);
    if (i > 0) st.pending = st.pending.slice(i);
  };

  /** Schedules the next flush for the earliest waiting change, or flushes now when it may. */
  const schedule = (ctx: Ctx, st: GroupState, route: CompiledRoute, now: number | null) => {
    if (st.flushAt !== null || st.pending.length === 0) return;
    const t = st.pending[0]!.at;
    const at =
      st.lastSentAt === null
        ? t + route.groupWaitMs
        : Math.max(t, st.lastSentAt + route.groupIntervalMs);
    if (now !== null && at <= now) {
      applyUpTo(st, now);
      flush(ctx, st, route, now);
      return;
    }
    st.flushAt = at;
    ctx.timers.registerEventTime(at);
  };

  /** Timers: the pending flush and repeat due at or before `time`, in time order. */
  const due = (ctx: Ctx, st: GroupState, route: CompiledRoute, time: number, final: boolean) => {
    for (let guard = 0; guard < 10_000; guard++) {
      const flushAt = st.flushAt ?? Number.POSITIVE_INFINITY;
      const repeatAt = st.repeatAt ?? Number.POSITIVE_INFINITY;
      const next = Math.min(flushAt, repeatAt);
      if (next > time) break;
      if (flushAt <= repeatAt) {
        applyUpTo(st, flushAt);
        flush(ctx, st, route, flushAt);
        schedule(ctx, st, route, null);
      } else if (final) st.repeatAt = null;
      else {
        applyUpTo(st, repeatAt);
        repeat(ctx, st, route, repeatAt);
      }
    }
  };

  const save = (ctx: Ctx, st: GroupState) => {
    if (Object.keys(st.entries).length === 0 && st.flushAt === null && st.pending.length === 0) {
      ctx.state(GROUP).clear();
    } else ctx.state(GROUP).set(st);
  };

  return {
    processElement(r, ctx) {
      const route = byName.get(r.route);
      if (route === undefined) throw new Error(`unknown route "${r.route}"`);
      const t = ctx.timestamp;
      const st: GroupState = ctx.state(GROUP).get() ?? {
        route: r.route,
        groupKey: r.groupKey,
        entries: {},
        pending: [],
        lastSentAt: null,
        flushAt: null,
        repeatAt: null,
      };
      const change = t === r.at ? r : { ...r, at: t };
      let i = st.pending.length;
      while (i > 0 && st.pending[i - 1]!.at > t) i--;
      st.pending.splice(i, 0, change);
      schedule(ctx, st, route, t);
      save(ctx, st);
    },

    onTimer(time, ctx) {
      const st = ctx.state(GROUP).get();
      if (st === undefined) return;
      const route = byName.get(st.route);
      if (route === undefined) return;
      due(ctx, st, route, time, ctx.watermark === Number.POSITIVE_INFINITY);
      save(ctx, st);
    },
  };
}
