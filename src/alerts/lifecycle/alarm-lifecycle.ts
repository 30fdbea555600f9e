/**
 * The ISA-18.2 alarm lifecycle as a keyed process function, keyed by alarm id
 * (type, source). Signals fold into one alarm (count, last value, peak severity);
 * the alarm clears once its condition has been normal — no signal — for the
 * hysteresis time; its severity escalates at once and de-escalates when the worse
 * signals stop; too many activations and clears in a window mark it flapping;
 * acknowledgements move it to the acknowledged states. Every decision that depends
 * on the absence of signals is an event-time timer, so a replay gives the same
 * transitions as the live run, and all state is keyed state, so it is in every
 * checkpoint.
 */
import {
  type KeyedProcessFunction,
  OutputTag,
  type ProcessContext,
  valueState,
} from "../../engine/index.js";
import type { AlarmRejection } from "../alarm-rejection.js";
import {
  type AlarmSignal,
  alarmIdOf,
  maxSeverity,
  SEVERITIES,
  signalProblem,
} from "../alarm-signal.js";
import type { AcknowledgeCommand } from "../commands/alarm-command.js";
import { type DashboardLink, dashboardLink } from "../dashboard-url.js";
import { duration, iso } from "../format.js";
import type { AlarmState } from "../notification.js";
import { type PriorityFunction, priorityFunction } from "../priority.js";
import { type AlarmRecord, levelPriority, snapshotOf, topLevel, worse } from "./alarm-record.js";
import { type AlarmTransition, isActive, type TransitionKind } from "./alarm-transition.js";
import {
  checkLifecycleConfig,
  type LifecycleConfig,
  lifecycleDefaults,
} from "./lifecycle-config.js";

/** What the lifecycle step reads: signals and acknowledgements, unioned. */
export type LifecycleInput =
  | { readonly kind: "signal"; readonly signal: AlarmSignal }
  | { readonly kind: "acknowledge"; readonly command: AcknowledgeCommand };

/** The key of a lifecycle input: the alarm id. */
export function lifecycleKey(input: LifecycleInput): string {
  if (input.kind === "acknowledge") return input.command.alarmId;
  const s = input.signal;
  return s?.source && typeof s.type === "string" ? alarmIdOf(s.type, s.source) : "";
}

/** Side output of inputs the lifecycle could not use. */
export const LIFECYCLE_REJECTED = new OutputTag<AlarmRejection>("rejected");

/** What the lifecycle needs besides its settings. */
export interface LifecycleOptions {
  readonly config?: Partial<LifecycleConfig>;
  readonly priority?: PriorityFunction;
  /** Dashboard links of alarm snapshots. */
  readonly link?: DashboardLink;
  /** Step name recorded in rejections. Default "alarms.lifecycle". */
  readonly step?: string;
}

const RECORD = valueState<AlarmRecord>("alarm");
const PENDING = valueState<AcknowledgeCommand[]>("alarm-pending-acks");
/** Signals that arrived ahead of a check due before them, waiting for the watermark. */
const AHEAD = valueState<{ signal: AlarmSignal; t: number }[]>("alarm-ahead");

type Ctx = ProcessContext<string, AlarmTransition>;

/**
 * Builds the lifecycle function. Main output: {@link AlarmTransition} records, each
 * at the event time of the change. Side output {@link LIFECYCLE_REJECTED}: invalid
 * signals, late signals (arriving after their alarm cleared, or so late that their
 * hysteresis window had already ended), and acknowledgements of alarms that are not
 * open, already acknowledged, or that re-alarmed after the acknowledgement's time.
 *
 * Order: an acknowledgement takes effect at its `at`, once the watermark reaches it.
 * A signal is applied on arrival — the alarm opens or escalates at once — unless a
 * check (clear, de-escalation, flapping end) or a waiting acknowledgement is due
 * before it; then it waits for the watermark, so it lands on the alarm as it was at
 * its own time. Replays therefore give the same transitions as the live run,
 * whatever the batching.
 */
export function alarmLifecycle(
  options: LifecycleOptions = {},
): KeyedProcessFunction<string, LifecycleInput, AlarmTransition> {
  const config = checkLifecycleConfig({
    ...lifecycleDefaults,
    ...options.config,
    flapping: { ...lifecycleDefaults.flapping, ...options.config?.flapping },
  });
  const priority = options.priority ?? priorityFunction();
  const link = options.link ?? dashboardLink(null);
  const step = options.step ?? "alarms.lifecycle";
  const flap = config.flapping;
  const clearAfterOf = (type: string) => config.clearAfterMsByType[type] ?? config.clearAfterMs;
  const deescalateAfterOf = (type: string) => config.deescalateAfterMs ?? clearAfterOf(type);

  const reject = (
    ctx: Ctx,
    reason: AlarmRejection["reason"],
    message: string,
    input: unknown,
    at: number,
  ) => {
    ctx.output(LIFECYCLE_REJECTED, { reason, message, input, at, step }, at);
  };

  const emit = (
    ctx: Ctx,
    rec: AlarmRecord,
    kind: TransitionKind,
    from: AlarmState | null,
    at: number,
    extra: { by?: { user: string; comment: string }; note?: string } = {},
  ) => {
    rec.seq++;
    const heldForFlapping =
      rec.flapping && kind !== "flapping-started" && kind !== "flapping-ended";
    const transition: AlarmTransition = {
      id: `${rec.alarmId}|${rec.activeSince}|${rec.seq}`,
      alarmId: rec.alarmId,
      kind,
      from,
      to: rec.state,
      at,
      alarm: snapshotOf(rec, link),
      ...(extra.by ? { by: extra.by } : {}),
      ...(heldForFlapping ? { held: { reason: "flapping" as const } } : {}),
      ...(extra.note ? { note: extra.note } : {}),
    };
    ctx.emit(transition, at);
  };

  /** Records an activation or clear; returns true when it starts flapping. */
  const change = (rec: AlarmRecord, at: number): boolean => {
    if (!flap.enabled) return false;
    rec.changes.push(at);
    while (rec.changes.length > 0 && rec.changes[0]! <= at - flap.windowMs) rec.changes.shift();
    if (rec.flapping || rec.changes.length < flap.transitions) return false;
    rec.flapping = true;
    return true;
  };

  const flappingNote = () =>
    `${flap.transitions} activations and clears within ${duration(flap.windowMs)}: notifications held until it has not changed for ${duration(flap.windowMs)}`;

  const open = (ctx: Ctx, prev: AlarmRecord | undefined, s: AlarmSignal, t: number, p: number) => {
    const rec: AlarmRecord = {
      alarmId: alarmIdOf(s.type, s.source),
      type: s.type,
      source: { kind: s.source.kind, id: s.source.id },
      labels: s.labels,
      state: "ACTIVE_UNACK",
      severity: s.severity,
      peakSeverity: s.severity,
      priority: p,
      levels: { [s.severity]: { lastSeen: t, priority: p } },
      count: 1,
      activeSince: t,
      unackSince: t,
      lastSeen: t,
      clearedAt: null,
      value: s.value,
      baseline: s.baseline,
      message: s.message,
      acknowledgedBy: null,
      seq: 0,
      changes: prev?.changes ?? [],
      flapping: prev?.flapping ?? false,
      armed: prev?.armed ?? null,
    };
    ctx.state(RECORD).set(rec);
    const startsFlapping = change(rec, t);
    emit(ctx, rec, "opened", prev?.state ?? null, t);
    if (startsFlapping) emit(ctx, rec, "flapping-started", rec.state, t, { note: flappingNote() });
    return rec;
  };

  const update = (ctx: Ctx, rec: AlarmRecord, s: AlarmSignal, t: number, p: number) => {
    rec.count++;
    if (t >= rec.lastSeen) {
      rec.lastSeen = t;
      rec.value = s.value;
      rec.baseline = s.baseline;
      rec.message = s.message;
      rec.labels = s.labels;
    }
    const level = rec.levels[s.severity];
    if (level === undefined) rec.levels[s.severity] = { lastSeen: t, priority: p };
    else {
      if (t > level.lastSeen) level.lastSeen = t;
      if (p > level.priority) level.priority = p;
    }
    rec.priority = levelPriority(rec.levels);
    const top = topLevel(rec.levels)!;
    if (worse(top, rec.severity)) {
      const from = rec.state;
      rec.severity = top;
      rec.peakSeverity = maxSeverity(rec.peakSeverity, top);
      if (config.reAlarmOnEscalation) {
        rec.unackSince = Math.max(rec.unackSince, t);
        if (rec.state === "ACTIVE_ACK") {
          rec.state = "ACTIVE_UNACK";
          rec.acknowledgedBy = null;
        }
      }
      emit(ctx, rec, "escalated", from, t);
    }
    ctx.state(RECORD).set(rec);
  };

  const acknowledge = (ctx: Ctx, c: AcknowledgeCommand) => {
    const rec = ctx.state(RECORD).get();
    if (rec === undefined || rec.state === "CLEARED_ACK") {
      reject(ctx, "unknown-alarm", `no open alarm ${c.alarmId} at ${iso(c.at)}`, c, c.at);
      return;
    }
    if (c.at < rec.unackSince) {
      reject(
        ctx,
        "superseded-acknowledgement",
        `${c.alarmId}: the acknowledgement at ${iso(c.at)} is older than the alarm's ${rec.unackSince === rec.activeSince ? "activation" : "escalation"} at ${iso(rec.unackSince)}; acknowledge again`,
        c,
        c.at,
      );
      return;
    }
    if (rec.state === "ACTIVE_ACK") {
      const by = rec.acknowledgedBy;
      reject(
        ctx,
        "already-acknowledged",
        `${c.alarmId} was already acknowledged${by ? ` by ${by.user} at ${iso(by.at)}` : ""}`,
        c,
        c.at,
      );
      return;
    }
    const from = rec.state;
    rec.state = from === "ACTIVE_UNACK" ? "ACTIVE_ACK" : "CLEARED_ACK";
    rec.acknowledgedBy = { user: c.user, comment: c.comment, at: c.at };
    emit(ctx, rec, "acknowledged", from, c.at, { by: { user: c.user, comment: c.comment } });
    ctx.state(RECORD).set(rec);
  };

  /** When the record next needs a look (hysteresis, de-escalation, flapping end, clean-up), or +∞. */
  const nextCheck = (rec: AlarmRecord | undefined): number => {
    if (rec === undefined) return Number.POSITIVE_INFINITY;
    let due = Number.POSITIVE_INFINITY;
    if (isActive(rec.state)) {
      due = rec.lastSeen + clearAfterOf(rec.type);
      const d = deescalateAfterOf(rec.type);
      for (const s of SEVERITIES) {
        const level = rec.levels[s];
        if (level !== undefined) due = Math.min(due, level.lastSeen + d);
      }
    }
    if (rec.changes.length > 0 && (rec.flapping || rec.state === "CLEARED_ACK")) {
      due = Math.min(due, rec.changes[rec.changes.length - 1]! + flap.windowMs);
    }
    return due;
  };

  /** The checks due at `time`: de-escalation, clear, flapping end, clean-up of a closed alarm. */
  const check = (ctx: Ctx, time: number) => {
    const recState = ctx.state(RECORD);
    const rec = recState.get();
    if (rec === undefined) return;
    if (isActive(rec.state)) {
      const d = deescalateAfterOf(rec.type);
      let dropped = false;
      for (const s of SEVERITIES) {
        const level = rec.levels[s];
        if (level !== undefined && level.lastSeen + d <= time) {
          delete rec.levels[s];
          dropped = true;
        }
      }
      const top = topLevel(rec.levels);
      if (dropped && top !== null) {
        rec.priority = levelPriority(rec.levels);
        if (worse(rec.severity, top)) {
          rec.severity = top;
          emit(ctx, rec, "de-escalated", rec.state, time);
        }
      }
      if (rec.lastSeen + clearAfterOf(rec.type) <= time) {
        const from = rec.state;
        rec.state = from === "ACTIVE_ACK" ? "CLEARED_ACK" : "CLEARED_UNACK";
        rec.clearedAt = time;
        rec.levels = {};
        const startsFlapping = change(rec, time);
        emit(ctx, rec, "cleared", from, time);
        if (startsFlapping) {
          emit(ctx, rec, "flapping-started", rec.state, time, { note: flappingNote() });
        }
      }
    }
    if (rec.flapping) {
      const last = rec.changes[rec.changes.length - 1] ?? Number.NEGATIVE_INFINITY;
      if (last + flap.windowMs <= time) {
        rec.flapping = false;
        rec.changes = [];
        emit(ctx, rec, "flapping-ended", rec.state, time, {
          note: `no activation or clear for ${duration(flap.windowMs)}: notifications resume`,
        });
      }
    }
    if (!tidy(ctx, rec, time)) recState.set(rec);
  };

  /** Drops a closed alarm (CLEARED_ACK, not flapping, no change left in the window); true if dropped. */
  const tidy = (ctx: Ctx, rec: AlarmRecord, time: number): boolean => {
    if (rec.state !== "CLEARED_ACK" || rec.flapping) return false;
    while (rec.changes.length > 0 && rec.changes[0]! <= time - flap.windowMs) rec.changes.shift();
    if (rec.changes.length > 0) return false;
    ctx.state(RECORD).clear();
    return true;
  };

  /**
   * Folds signal `s` at `t` into the active alarm, or opens one. With `lateCheck`, a
   * signal whose hysteresis window ended before the watermark is rejected as late.
   */
  const apply = (ctx: Ctx, s: AlarmSignal, t: number, lateCheck: boolean) => {
    const rec = ctx.state(RECORD).get();
    if (rec !== undefined && isActive(rec.state)) {
      update(ctx, rec, s, t, priority(s));
      return;
    }
    const alarmId = alarmIdOf(s.type, s.source);
    if (rec !== undefined && rec.clearedAt !== null && t < rec.clearedAt) {
      reject(
        ctx,
        "late-signal",
        `${alarmId}: signal at ${iso(t)} arrived after the alarm cleared at ${iso(rec.clearedAt)}`,
        s,
        t,
      );
      return;
    }
    // At the end of input (+∞) every record is behind the watermark: detectors' last
    // words (timers firing at the end) still count.
    const w = ctx.watermark;
    if (lateCheck && w !== Number.POSITIVE_INFINITY && t + clearAfterOf(s.type) <= w) {
      reject(
        ctx,
        "late-signal",
        `${alarmId}: signal at ${iso(t)} arrived after its hysteresis window ended (watermark ${iso(ctx.watermark)})`,
        s,
        t,
      );
      return;
    }
    open(ctx, rec, s, t, priority(s));
  };

  /** The earliest waiting input (acknowledgement or signal), or +∞. */
  const firstInput = (ctx: Ctx): number =>
    Math.min(
      ctx.state(PENDING).get()?.[0]?.at ?? Number.POSITIVE_INFINITY,
      ctx.state(AHEAD).get()?.[0]?.t ?? Number.POSITIVE_INFINITY,
    );

  /**
   * Processes, in event-time order, everything due at or before `time`: waiting
   * acknowledgements, checks, and signals that arrived ahead of a check due before
   * them. At the end of input, checks run only up to the last input (unless
   * `clearAtEndOfInput`): the input ended, not the conditions.
   */
  const advance = (ctx: Ctx, time: number, final: boolean) => {
    const pendingState = ctx.state(PENDING);
    const aheadState = ctx.state(AHEAD);
    for (;;) {
      const pending = pendingState.get();
      const ahead = aheadState.get();
      const ackAt = pending?.[0]?.at ?? Number.POSITIVE_INFINITY;
      const signalAt = ahead?.[0]?.t ?? Number.POSITIVE_INFINITY;
      const inputs = Math.min(ackAt, signalAt);
      let checkAt = nextCheck(ctx.state(RECORD).get());
      if (
        final &&
        !config.clearAtEndOfInput &&
        (inputs === Number.POSITIVE_INFINITY || checkAt > inputs)
      ) {
        checkAt = Number.POSITIVE_INFINITY;
      }
      const next = Math.min(inputs, checkAt);
      if (next > time || next === Number.POSITIVE_INFINITY) return;
      if (ackAt === next) {
        const [c, ...rest] = pending!;
        if (rest.length === 0) pendingState.clear();
        else pendingState.set(rest);
        acknowledge(ctx, c!);
      } else if (checkAt === next) {
        check(ctx, next);
      } else {
        const [a, ...rest] = ahead!;
        if (rest.length === 0) aheadState.clear();
        else aheadState.set(rest);
        apply(ctx, a!.signal, a!.t, false);
      }
    }
  };

  /** Registers the record's next check unless an earlier one is pending. */
  const arm = (ctx: Ctx) => {
    const rec = ctx.state(RECORD).get();
    if (rec === undefined) return;
    const due = nextCheck(rec);
    if (due === Number.POSITIVE_INFINITY) return;
    if (rec.armed === null || due < rec.armed) {
      ctx.timers.registerEventTime(due);
      rec.armed = due;
    }
  };

  return {
    processElement(input, ctx) {
      if (input.kind === "acknowledge") {
        const c = input.command;
        const pending = ctx.state(PENDING);
        pending.set([...(pending.get() ?? []), c].sort((a, b) => a.at - b.at));
        if (c.at <= ctx.watermark)
          advance(ctx, ctx.watermark, ctx.watermark === Number.POSITIVE_INFINITY);
        else ctx.timers.registerEventTime(c.at);
        arm(ctx);
        return;
      }
      const s = input.signal;
      const problem = signalProblem(s);
      if (problem !== null) {
        reject(ctx, "invalid-signal", problem, s, ctx.timestamp);
        return;
      }
      const t = ctx.timestamp;
      if (t < Math.min(nextCheck(ctx.state(RECORD).get()), firstInput(ctx))) {
        apply(ctx, s, t, true);
        arm(ctx);
        return;
      }
      // A check or an earlier input is due before this signal: the signal waits for the
      // watermark, so it lands on the alarm as it is at its own time.
      const ahead = ctx.state(AHEAD);
      const list = [...(ahead.get() ?? [])];
      let i = list.length;
      while (i > 0 && list[i - 1]!.t > t) i--;
      list.splice(i, 0, { signal: s, t });
      ahead.set(list);
      if (t <= ctx.watermark)
        advance(ctx, ctx.watermark, ctx.watermark === Number.POSITIVE_INFINITY);
      else ctx.timers.registerEventTime(t);
      arm(ctx);
    },

    onTimer(time, ctx) {
      const final = ctx.watermark === Number.POSITIVE_INFINITY;
      const rec = ctx.state(RECORD).get();
      if (rec !== undefined && rec.armed !== null && time >= rec.armed) rec.armed = null;
      advance(ctx, time, final);
      if (!final) arm(ctx);
    },
  };
}
