/**
 * Equipment start-up and shut-down: per equipment, a session of readings (ended by
 * `gapMs` of event-time silence, like a session window) and a running/idle state
 * from its power and vibration readings. Idle → running is a start-up; running →
 * idle, or a session ending while running, is a shut-down. The article's session
 * rules, made explicit and configurable, and reported as they happen rather than when
 * the session window closes.
 */
import type { KeyedProcessFunction } from "../../engine/index.js";
import type { Anomaly, EnrichedReading, SensorType, Severity } from "../reading/reading.js";
import { type AnomalySubject, buildAnomaly, checkPositive, fmt } from "./anomaly.js";
import {
  type DetectorPart,
  keepSubject,
  PRESENT,
  partsDetector,
  SUBJECT_SLOTS,
  subjectAt,
} from "./detector-part.js";

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

// One equipment's session at h[o + …]: the latest event time seen, its pending timer
// (at most LAST + gapMs, moved on lazily when it fires), a bit per indicator type that
// is running (bit i = the i-th type of `runningAbove`), and whether any indicator has
// been seen (1). Its slots, from j, while KNOWN: the latest indicator reading's subject
// (for a shut-down by silence, see `keepSubject`).
const LAST = 1;
const ARMED = 2;
const UP = 3;
const KNOWN = 4;
const SIZE = 5;

/** The shut-down of a running equipment whose session ended in silence at `last`. */
function silenceShutdown(
  subject: AnomalySubject,
  last: number,
  equipment: string,
  gapMs: number,
  now: number,
  severity: Severity,
): Anomaly {
  return buildAnomaly(subject, {
    detector: EQUIPMENT_SHUTDOWN_DETECTOR,
    severity,
    eventTimeMs: last + gapMs,
    detectedAtMs: now,
    value: null,
    baseline: { threshold: gapMs, last_reading_ms: last },
    idKey: equipment,
    score: 0,
    message: `${equipment}: shut down: no reading for ${fmt(gapMs / 60_000)} min since ${new Date(last).toISOString()}`,
  });
}

/** The start-up/shut-down detector as a part of an equipment's state (see `equipmentTransitionDetector`). */
export function equipmentTransitionPart(
  config: Partial<EquipmentTransitionConfig> = {},
): DetectorPart {
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

  return {
    name,
    ttl: 0,
    size: SIZE,
    slots: SUBJECT_SLOTS,
    process(scope, o, j, r) {
      const equipment = r.equipment_id;
      if (equipment === null) return;
      const t = scope.t;
      if (t + gapMs <= scope.watermark) return; // its session has been closed already
      const { h, s, ctx } = scope;
      let open = h[o + PRESENT] !== 0;
      if (open && t > h[o + LAST]! + gapMs) {
        // The session ended before this reading (one batch held both): end it first. Its
        // timer stays and finds a newer session when it fires.
        if (h[o + UP] !== 0 && h[o + KNOWN] !== 0) {
          const last = h[o + LAST]!;
          ctx.emit(
            silenceShutdown(subjectAt(s, j), last, ctx.key, gapMs, ctx.processingTime, severity),
            last + gapMs,
          );
        }
        open = false;
      }
      if (!open) {
        h[o + PRESENT] = 1;
        h[o + LAST] = t;
        h[o + ARMED] = t + gapMs;
        h[o + UP] = 0;
        h[o + KNOWN] = 0;
        ctx.timers.registerEventTime(t + gapMs);
      } else if (t > h[o + LAST]!) h[o + LAST] = t;
      const mask = bit[r.sensor_type];
      const v = r.value;
      if (mask === undefined || !Number.isFinite(v)) return;
      const wasUp = h[o + UP]!;
      let up = wasUp;
      if (v > above[r.sensor_type]!) up |= mask;
      else if (v < below[r.sensor_type]!) up &= ~mask;
      const known = h[o + KNOWN] !== 0;
      if (!known || s[j] !== r.sensor_id) keepSubject(s, j, r);
      h[o + UP] = up;
      h[o + KNOWN] = 1;
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

    onTimer(scope, o, j) {
      const { h, s, ctx } = scope;
      const time = scope.t;
      if (h[o + PRESENT] === 0 || h[o + ARMED] !== time) return; // a timer of an older session
      const last = h[o + LAST]!;
      if (last + gapMs > time) {
        // Readings came since it was set: move it on, once, instead of on every reading.
        h[o + ARMED] = last + gapMs;
        ctx.timers.registerEventTime(last + gapMs);
        return;
      }
      const up = h[o + UP]!;
      const known = h[o + KNOWN] !== 0;
      const subject = known ? subjectAt(s, j) : null;
      h[o + PRESENT] = 0;
      for (let k = j; k < j + SUBJECT_SLOTS; k++) s[k] = null;
      if (up === 0 || subject === null) return;
      if (scope.watermark === Number.POSITIVE_INFINITY && !reportAtEndOfInput) return;
      ctx.emit(silenceShutdown(subject, last, ctx.key, gapMs, ctx.processingTime, severity), time);
    },
  };
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
  return partsDetector([equipmentTransitionPart(config)]);
}
