/**
 * Equipment start-up and shut-down: per equipment, a session of readings (ended by
 * `gapMs` of event-time silence, like a session window) and a running/idle state
 * from its power and vibration readings. Idle → running is a start-up; running →
 * idle, or a session ending while running, is a shut-down. The article's session
 * rules, made explicit and configurable, and reported as they happen rather than when
 * the session window closes.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import { valueState } from "../../engine/index.js";
import type { Anomaly, EnrichedReading, SensorType, Severity } from "../reading/reading.js";
import { type AnomalySubject, buildAnomaly, checkPositive, fmt } from "./anomaly.js";

/** Detector names of the two transitions, the first part of their anomaly ids. */
export const EQUIPMENT_STARTUP_DETECTOR = "equipment-startup";
export const EQUIPMENT_SHUTDOWN_DETECTOR = "equipment-shutdown";

/** Options of `equipmentTransitionDetector`; every one has a default in `equipmentTransitionDefaults`. */
export interface EquipmentTransitionConfig {
  /** Event-time silence that ends an equipment's session, ms. Default 300,000 (5 min). */
  readonly gapMs: number;
  /**
   * The sensor types that tell whether equipment runs, with the primary value above
   * which it does. Default power 100 W, vibration 0.5. Other types only keep the
   * session alive.
   */
  readonly runningAbove: Readonly<Partial<Record<SensorType, number>>>;
  /**
   * Per type, the value below which it is idle again (hysteresis: between the two,
   * the state does not change). Default for a type not named: 0.6 × its `runningAbove`
   * (power 60 W, vibration 0.3), so a machine idling right at a level does not flap.
   */
  readonly idleBelow: Readonly<Partial<Record<SensorType, number>>>;
  /** Whether a session whose first indicator reading is running counts as a start-up. Default true. */
  readonly startupOnNewSession: boolean;
  /** Whether the end of a finite input (watermark +∞) shuts running equipment down. Default false. */
  readonly reportAtEndOfInput: boolean;
  /** Severity of both records. Default "low". */
  readonly severity: Severity;
}

/** Without an `idleBelow` for a type, it is idle again below this share of `runningAbove`. */
export const DEFAULT_IDLE_SHARE = 0.6;

/** Defaults of `equipmentTransitionDetector`. */
export const equipmentTransitionDefaults: EquipmentTransitionConfig = Object.freeze({
  gapMs: 300_000,
  runningAbove: Object.freeze({ power: 100, vibration: 0.5 }),
  idleBelow: Object.freeze({}),
  startupOnNewSession: true,
  reportAtEndOfInput: false,
  severity: "low",
});

/**
 * One equipment's session: the latest event time seen, its timer, a bit per indicator type that
 * is running (bit i = the i-th type of `runningAbove`), whether any indicator has been
 * seen, and the latest indicator reading's sensor (for a shut-down by silence).
 */
export interface EquipmentSession {
  readonly last: number;
  /** The session's pending timer: at most `last + gapMs`, moved on lazily when it fires. */
  readonly armed: number;
  readonly up: number;
  readonly known: boolean;
  readonly subject: AnomalySubject | null;
}

function subjectOf(r: EnrichedReading): AnomalySubject {
  return {
    sensor_id: r.sensor_id,
    equipment_id: r.equipment_id,
    facility_id: r.facility_id,
    production_line: r.production_line,
    sensor_type: r.sensor_type,
  };
}

/** The shut-down of a running equipment whose session ended in silence. */
function silenceShutdown(
  s: EquipmentSession,
  equipment: string,
  gapMs: number,
  now: number,
  severity: Severity,
): Anomaly {
  return buildAnomaly(s.subject!, {
    detector: EQUIPMENT_SHUTDOWN_DETECTOR,
    severity,
    eventTimeMs: s.last + gapMs,
    detectedAtMs: now,
    value: null,
    baseline: { threshold: gapMs, last_reading_ms: s.last },
    idKey: equipment,
    score: 0,
    message: `${equipment}: shut down: no reading for ${fmt(gapMs / 60_000)} min since ${new Date(s.last).toISOString()}`,
  });
}

/**
 * Builds the start-up/shut-down detector, keyed by `equipment_id`; readings with
 * `equipment_id` null are ignored. A reading of an indicator type sets that type
 * running when its value is above `runningAbove` and idle when below `idleBelow`; the
 * equipment runs while any indicator type does. Anomaly ids use the equipment:
 * `equipment-startup|${equipment_id}|${time}`. A shut-down by silence has event time
 * last reading + `gapMs` and `baseline.last_reading_ms`.
 */
export function equipmentTransitionDetector(
  config: Partial<EquipmentTransitionConfig> = {},
): KeyedProcessFunction<string, EnrichedReading, Anomaly> {
  const c: EquipmentTransitionConfig = { ...equipmentTransitionDefaults, ...config };
  const name = "equipment-transition";
  checkPositive(name, "gapMs", c.gapMs);
  const types = Object.keys(c.runningAbove) as SensorType[];
  if (types.length === 0 || types.length > 30) {
    throw new RangeError(`${name}: runningAbove must name 1 to 30 sensor types`);
  }
  const above: Partial<Record<SensorType, number>> = {};
  const below: Partial<Record<SensorType, number>> = {};
  const bit: Partial<Record<SensorType, number>> = {};
  types.forEach((type, i) => {
    const a = c.runningAbove[type]!;
    const b = c.idleBelow[type] ?? a * DEFAULT_IDLE_SHARE;
    if (!Number.isFinite(a) || !Number.isFinite(b) || b > a) {
      throw new RangeError(`${name}: ${type}: idleBelow ${b} must be ≤ runningAbove ${a}`);
    }
    above[type] = a;
    below[type] = b;
    bit[type] = 1 << i;
  });
  const { gapMs, startupOnNewSession, reportAtEndOfInput, severity } = c;
  const sessionState = valueState<EquipmentSession>("equipment-session");

  return {
    processElement(r, ctx) {
      const equipment = r.equipment_id;
      if (equipment === null) return;
      const t = ctx.timestamp;
      if (t + gapMs <= ctx.watermark) return; // its session has been closed already
      const state = ctx.state(sessionState);
      let s = state.get();
      if (s !== undefined && t > s.last + gapMs) {
        // The session ended before this reading (one batch held both): end it first. Its
        // timer stays and finds a newer session when it fires.
        if (s.up !== 0 && s.subject !== null) {
          ctx.emit(
            silenceShutdown(s, ctx.key, gapMs, ctx.processingTime, severity),
            s.last + gapMs,
          );
        }
        s = undefined;
      }
      const last = s === undefined ? t : Math.max(s.last, t);
      let armed = s?.armed;
      if (armed === undefined) {
        armed = t + gapMs;
        ctx.timers.registerEventTime(armed);
      }
      const mask = bit[r.sensor_type];
      const v = r.value;
      if (mask === undefined || !Number.isFinite(v)) {
        if (s === undefined) state.set({ last, armed, up: 0, known: false, subject: null });
        else if (last !== s.last) {
          state.set({ last, armed, up: s.up, known: s.known, subject: s.subject });
        }
        return;
      }
      const wasUp = s?.up ?? 0;
      let up = wasUp;
      if (v > above[r.sensor_type]!) up |= mask;
      else if (v < below[r.sensor_type]!) up &= ~mask;
      const known = s?.known ?? false;
      const sameSensor = s?.subject?.sensor_id === r.sensor_id;
      const subject = sameSensor ? s!.subject : subjectOf(r);
      if (s === undefined || last !== s.last || up !== wasUp || !known || !sameSensor) {
        state.set({ last, armed, up, known: true, subject });
      }
      const startup = up !== 0 && (known ? wasUp === 0 : startupOnNewSession);
      const shutdown = known && up === 0 && wasUp !== 0;
      if (!startup && !shutdown) return;
      const limit = startup ? above[r.sensor_type]! : below[r.sensor_type]!;
      ctx.emit(
        buildAnomaly(r, {
          detector: startup ? EQUIPMENT_STARTUP_DETECTOR : EQUIPMENT_SHUTDOWN_DETECTOR,
          severity,
          eventTimeMs: t,
          detectedAtMs: ctx.processingTime,
          value: v,
          baseline: { threshold: limit },
          idKey: equipment,
          score: limit === 0 ? 0 : v / limit,
          message: `${equipment}: ${startup ? "started up" : "shut down"}: ${r.sensor_type} ${fmt(v)} ${startup ? "above" : "below"} ${fmt(limit)}`,
        }),
      );
    },

    onTimer(time, ctx) {
      const state = ctx.state(sessionState);
      const s = state.get();
      if (s === undefined || s.armed !== time) return; // a timer of an older session
      if (s.last + gapMs > time) {
        // Readings came since it was set: move it on, once, instead of on every reading.
        const armed = s.last + gapMs;
        ctx.timers.registerEventTime(armed);
        state.set({ last: s.last, armed, up: s.up, known: s.known, subject: s.subject });
        return;
      }
      state.clear();
      if (s.up === 0 || s.subject === null) return;
      if (ctx.watermark === Number.POSITIVE_INFINITY && !reportAtEndOfInput) return;
      ctx.emit(silenceShutdown(s, ctx.key, gapMs, ctx.processingTime, severity), time);
    },
  };
}
