/**
 * Per-channel rate limits, keyed by channel name, in event time: at most `max`
 * notifications per `perMs`. Notifications over the limit wait (in order) until the
 * window has room; beyond `maxQueued` waiting, a notification is held with reason
 * `rate-limited` — recorded, counted, never dropped in silence.
 */
import {
  type KeyedProcessFunction,
  OutputTag,
  type ProcessContext,
  valueState,
} from "../../engine/index.js";
import { duration } from "../format.js";
import type { Notification } from "../notification.js";
import type { ChannelConfig, RateLimitConfig } from "../routing/route-config.js";

/** A notification that will not be delivered, and why. */
export interface HeldNotification {
  /** The notification's id. */
  readonly id: string;
  readonly reason: "rate-limited";
  readonly message: string;
  readonly channel: string;
  /** Event time it was held, epoch ms. */
  readonly at: number;
  readonly notification: Notification;
}

/** Side output of notifications the rate limit could not queue. */
export const HELD_NOTIFICATIONS = new OutputTag<HeldNotification>("held");

interface LimitState {
  /** Event times of the notifications sent within the last `perMs`, oldest first. */
  sent: number[];
  /** Waiting notifications, oldest first, with the event time each arrived. */
  queue: { readonly n: Notification; readonly t: number }[];
  /** The latest time seen: the limiter's clock never goes back. */
  now: number;
  armed: number | null;
}

const LIMIT = valueState<LimitState>("rate-limit");

type Ctx = ProcessContext<string, Notification>;

/** Checks a rate limit; throws a `RangeError` naming the channel and field. */
export function checkRateLimit(channel: string, limit: RateLimitConfig): void {
  if (!(Number.isInteger(limit.max) && limit.max >= 1)) {
    throw new RangeError(`rateLimits.${channel}.max: expected an integer >= 1, got ${limit.max}`);
  }
  if (!(limit.perMs > 0 && Number.isFinite(limit.perMs))) {
    throw new RangeError(`rateLimits.${channel}.perMs: expected a number > 0, got ${limit.perMs}`);
  }
  const q = limit.maxQueued ?? 100;
  if (!(Number.isInteger(q) && q >= 0)) {
    throw new RangeError(`rateLimits.${channel}.maxQueued: expected an integer >= 0, got ${q}`);
  }
}

/**
 * Builds the limiter, keyed by `Notification.channel`, with `limits` by channel name
 * (checked against `channels` when given). Channels without a limit pass everything
 * through at once. A notification released from the
 * queue keeps its id and `createdAt`; its event time in the stream is its release.
 */
export function channelRateLimiter(
  limits: Readonly<Record<string, RateLimitConfig>>,
  channels?: Readonly<Record<string, ChannelConfig>>,
): KeyedProcessFunction<string, Notification, Notification> {
  for (const [name, limit] of Object.entries(limits)) {
    if (channels !== undefined && channels[name] === undefined) {
      throw new RangeError(
        `rateLimits.${name}: expected one of the configured channels (${Object.keys(channels).join(", ") || "none"})`,
      );
    }
    checkRateLimit(name, limit);
  }

  /** When the head of the queue may go: on arrival, or once the oldest of the last `max` sends leaves the window. */
  const nextSlot = (st: LimitState, limit: RateLimitConfig): number => {
    const head = st.queue[0]!;
    const k = st.sent.length - limit.max;
    return k < 0 ? head.t : Math.max(head.t, st.sent[k]! + limit.perMs);
  };

  /** Sends what the limit allows up to `time`, each at the moment it was allowed. */
  const release = (ctx: Ctx, st: LimitState, limit: RateLimitConfig, time: number) => {
    while (st.queue.length > 0) {
      const slot = nextSlot(st, limit);
      if (slot > time) {
        if (st.armed === null || slot < st.armed) {
          ctx.timers.registerEventTime(slot);
          st.armed = slot;
        }
        break;
      }
      ctx.emit(st.queue.shift()!.n, slot);
      st.sent.push(slot);
      while (st.sent.length > limit.max) st.sent.shift();
    }
  };

  const save = (ctx: Ctx, st: LimitState, limit: RateLimitConfig) => {
    const last = st.sent[st.sent.length - 1];
    const live = last !== undefined && last > st.now - limit.perMs;
    if (st.queue.length === 0 && !live) ctx.state(LIMIT).clear();
    else ctx.state(LIMIT).set(st);
  };

  return {
    processElement(n, ctx) {
      const limit = limits[n.channel];
      if (limit === undefined) {
        ctx.emit(n);
        return;
      }
      const st: LimitState = ctx.state(LIMIT).get() ?? { sent: [], queue: [], now: 0, armed: null };
      st.now = Math.max(st.now, ctx.timestamp);
      const maxQueued = limit.maxQueued ?? 100;
      release(ctx, st, limit, st.now);
      if (st.queue.length >= maxQueued) {
        ctx.output(HELD_NOTIFICATIONS, {
          id: n.id,
          reason: "rate-limited",
          message: `${n.channel} allows ${limit.max} notifications per ${duration(limit.perMs)} and ${maxQueued} waiting; this one was held`,
          channel: n.channel,
          at: st.now,
          notification: n,
        });
      } else {
        st.queue.push({ n, t: st.now });
        release(ctx, st, limit, st.now);
      }
      save(ctx, st, limit);
    },

    onTimer(time, ctx) {
      const st = ctx.state(LIMIT).get();
      if (st === undefined) return;
      const limit = limits[ctx.key];
      if (st.armed !== null && time >= st.armed) st.armed = null;
      st.now = Math.max(st.now, time);
      if (limit === undefined) {
        if (st.queue.length === 0) ctx.state(LIMIT).clear();
        return;
      }
      release(ctx, st, limit, st.now);
      save(ctx, st, limit);
    },
  };
}
