/**
 * Equipment state: a keyed process function per `equipment_id` that keeps each
 * equipment's live state (runtime, faults, last reading, online/offline, worst recent
 * anomaly) and emits it when it changes, rate-limited in event time.
 */
import {
  type ProcessContext,
  type Stream,
  type TimerContext,
  type ValueState,
  valueState,
} from "../../engine/index.js";
import { isAnomaly, type PlantEvent, plantEvents } from "../dashboards/plant-event.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";
import type { EquipmentStateRecord } from "./equipment-state-record.js";
import {
  applyAnomaly,
  applyReading,
  type EquipmentTrack,
  newTrack,
  type TrackRules,
  toRecord,
  worstAnomaly,
} from "./equipment-track.js";

/** The name of the step, and the prefix of its helper steps. */
export const EQUIPMENT_STATE = "equipment-state";

/** Settings of {@link equipmentState}; every field is optional. */
export interface EquipmentStateConfig {
  /** Offline after this many ms of event time without a reading. Default 600,000 (10 min). */
  readonly offlineAfterMs?: number;
  /**
   * Gaps between consecutive readings up to this many ms count as runtime; a longer
   * silence does not. Default 60,000 (1 min): set it above the sensors' report interval.
   */
  readonly maxGapMs?: number;
  /** A reading with `quality_score` strictly below this is a fault. Default 0.5. */
  readonly faultQualityBelow?: number;
  /** An anomaly stays current this many ms of event time. Default 600,000 (10 min). */
  readonly anomalyWindowMs?: number;
  /**
   * At most one record per equipment per this many ms of event time, except on a change
   * of status or of the worst anomaly's severity, which is emitted at once. Default
   * 10,000 (10 s).
   */
  readonly minIntervalMs?: number;
  /**
   * Whether the end of finite input (the watermark jumping to +∞) judges every
   * equipment offline. Default `false`: at the end of a replay the last records show
   * the state as of the last reading, not an outage the data never showed.
   */
  readonly offlineAtEndOfInput?: boolean;
}

/** The defaults of {@link EquipmentStateConfig}. */
export const EQUIPMENT_STATE_DEFAULTS = Object.freeze({
  offlineAfterMs: 600_000,
  maxGapMs: 60_000,
  faultQualityBelow: 0.5,
  anomalyWindowMs: 600_000,
  minIntervalMs: 10_000,
  offlineAtEndOfInput: false,
});

const TRACK = valueState<EquipmentTrack>("equipment");

type Context = ProcessContext<string, EquipmentStateRecord>;

/**
 * The live state of every equipment that `readings` (and `anomalies`, when given)
 * mention. Steps: `equipment-state.events` (the union of both), `equipment-state.assigned` (keeps records
 * with an `equipment_id`) and `equipment-state` (the process function, keyed by
 * `equipment_id`, state `equipment`).
 *
 * Emission: a record when the state changed, at most once per `minIntervalMs` of the
 * equipment's event time; a change within the interval is emitted by an event-time
 * timer at its end. A change of `status` or of the worst anomaly's severity is emitted
 * at once. The first record comes with the equipment's first reading; anomalies of an
 * equipment that has not reported yet are kept and shown from then on.
 *
 * Offline: an event-time timer at `last reading + offlineAfterMs` turns the equipment
 * offline (so a replay gives the same answer as running live); its next reading turns
 * it online again. At the end of finite input pending records are flushed (see
 * `offlineAtEndOfInput`).
 */
export function equipmentState(
  readings: Stream<EnrichedReading>,
  anomalies?: Stream<Anomaly>,
  config: EquipmentStateConfig = {},
): Stream<EquipmentStateRecord> {
  const d = EQUIPMENT_STATE_DEFAULTS;
  const rules: TrackRules = {
    offlineAfterMs: config.offlineAfterMs ?? d.offlineAfterMs,
    maxGapMs: config.maxGapMs ?? d.maxGapMs,
    faultQualityBelow: config.faultQualityBelow ?? d.faultQualityBelow,
    anomalyWindowMs: config.anomalyWindowMs ?? d.anomalyWindowMs,
  };
  const minInterval = config.minIntervalMs ?? d.minIntervalMs;
  const offlineAtEnd = config.offlineAtEndOfInput ?? d.offlineAtEndOfInput;

  /**
   * Emits `s` if due, or schedules the rate-limited flush, and keeps a timer at the
   * expiry of the worst anomaly. `final` (end of input): emit what changed, register
   * no timer (a timer due before +∞ would fire again at once).
   */
  function settle(s: EquipmentTrack, ctx: Context, final: boolean): void {
    const worst = worstAnomaly(s, rules);
    const expiry = worst === null ? null : worst.event_time_ms + rules.anomalyWindowMs;
    if (!final && expiry !== s.expiry_timer) {
      if (s.expiry_timer !== null) ctx.timers.deleteEventTime(s.expiry_timer);
      if (expiry !== null) ctx.timers.registerEventTime(expiry);
      s.expiry_timer = expiry;
    }
    if (s.last_reading_ms === null) return; // nothing to show before the first reading
    const severity = worst?.severity ?? null;
    const urgent =
      s.emitted_at_ms === null || s.online !== s.emitted_online || severity !== s.emitted_worst;
    if (!s.dirty && !urgent) return;
    if (final || urgent || s.now_ms - s.emitted_at_ms! >= minInterval) {
      ctx.emit(toRecord(ctx.key, s, worst), s.now_ms);
      s.emitted_at_ms = s.now_ms;
      s.emitted_online = s.online;
      s.emitted_worst = severity;
      s.dirty = false;
      if (s.flush_timer !== null) {
        ctx.timers.deleteEventTime(s.flush_timer);
        s.flush_timer = null;
      }
    } else if (s.flush_timer === null) {
      s.flush_timer = s.emitted_at_ms! + minInterval;
      ctx.timers.registerEventTime(s.flush_timer);
    }
  }

  function watchOffline(s: EquipmentTrack, ctx: Context): void {
    if (s.online && s.offline_timer === null && s.last_reading_ms !== null) {
      s.offline_timer = s.last_reading_ms + rules.offlineAfterMs;
      ctx.timers.registerEventTime(s.offline_timer);
    }
  }

  // The step's state accessor, asked of the context once: a context (one per step)
  // hands out the same accessor for a descriptor every time.
  let trackOf: Context | TimerContext<string, EquipmentStateRecord> | null = null;
  let trackState: ValueState<EquipmentTrack> | null = null;
  function trackIn(ctx: Context | TimerContext<string, EquipmentStateRecord>) {
    if (ctx !== trackOf || trackState === null) {
      trackState = ctx.state(TRACK);
      trackOf = ctx;
    }
    return trackState;
  }

  return plantEvents(EQUIPMENT_STATE, readings, anomalies)
    .filter(`${EQUIPMENT_STATE}.assigned`, (e) => e.equipment_id !== null)
    .keyBy((e) => e.equipment_id!)
    .process<EquipmentStateRecord>(EQUIPMENT_STATE, {
      processElement(e: PlantEvent, ctx) {
        const state = trackIn(ctx);
        const time = ctx.timestamp;
        let s = state.get();
        if (s === undefined) {
          s = newTrack(e.facility_id, time);
        }
        if (isAnomaly(e)) applyAnomaly(s, e, time);
        else applyReading(s, e, time, rules);
        watchOffline(s, ctx);
        settle(s, ctx, false);
        state.set(s);
      },

      onTimer(time: number, ctx: TimerContext<string, EquipmentStateRecord>) {
        const state = trackIn(ctx);
        const s = state.get();
        if (s === undefined) return;
        const offlineDue = s.offline_timer !== null && time >= s.offline_timer;
        if (offlineDue) s.offline_timer = null;
        if (s.flush_timer !== null && time >= s.flush_timer) s.flush_timer = null;
        if (s.expiry_timer !== null && time >= s.expiry_timer) s.expiry_timer = null;
        if (ctx.watermark === Number.POSITIVE_INFINITY && !offlineAtEnd) {
          // End of finite input: no event time passes any more; flush what is pending.
          settle(s, ctx, true);
          state.set(s);
          return;
        }
        if (time > s.now_ms) s.now_ms = time;
        if (offlineDue) {
          if (s.online && s.last_reading_ms! + rules.offlineAfterMs <= s.now_ms) {
            s.online = false;
            s.dirty = true;
          }
          watchOffline(s, ctx);
        }
        settle(s, ctx, false);
        state.set(s);
      },
    });
}
