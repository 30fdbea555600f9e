/**
 * Offline detector: a sensor with no reading for `timeoutMs` of event time is
 * offline. Judged with event-time timers (one pending per sensor, moved on lazily
 * when it fires rather than on every reading), so replaying a
 * file gives the same answer as running live, whatever the batching; live, the engine's watermark moves
 * on with processing time when all input is quiet, so silence is still noticed.
 */
import type { KeyedProcessFunction, TimerService, ValueState } from "../../engine/index.js";
import { valueState } from "../../engine/index.js";
import type { Anomaly, EnrichedReading, Severity } from "../reading/reading.js";
import { type AnomalySubject, buildAnomaly, checkPositive, fmt } from "./anomaly.js";

/** The detector name, the first part of its anomaly ids. */
export const OFFLINE_DETECTOR = "offline";

/** Options of `offlineDetector`; every one has a default in `offlineDefaults`. */
export interface OfflineConfig {
  /** Event time without a reading after which a sensor is offline, ms. Default 60,000. */
  readonly timeoutMs: number;
  /** Severity of the anomaly. Default "high". */
  readonly severity: Severity;
  /**
   * Whether the end of a finite input (watermark +∞) reports every sensor whose
   * timeout had not run out yet. Default false: the input ended, not the sensors.
   */
  readonly reportAtEndOfInput: boolean;
}

/** Defaults of `offlineDetector`. */
export const offlineDefaults: OfflineConfig = Object.freeze({
  timeoutMs: 60_000,
  severity: "high",
  reportAtEndOfInput: false,
});

function sameSubject(a: AnomalySubject, b: AnomalySubject): boolean {
  return (
    a.sensor_id === b.sensor_id &&
    a.equipment_id === b.equipment_id &&
    a.facility_id === b.facility_id &&
    a.production_line === b.production_line &&
    a.sensor_type === b.sensor_type
  );
}

/**
 * Builds the offline detector, keyed by `sensor_id`. A silence is a stretch of more
 * than `timeoutMs` of event time after a reading with no reading in it; it is reported
 * once, when the watermark passes its end, with event time (reading) + `timeoutMs` and
 * `baseline.last_reading_ms` = that reading. The answer depends only on the readings,
 * not on how they were batched or how far behind the watermark ran: a gap that one
 * batch both opens and closes stays pending on its own timer, and a reading that
 * arrives out of order into a pending gap splits it. After an open-ended silence is
 * reported the sensor's state is cleared; the next reading starts afresh. No recovery
 * record is emitted. A reading already behind the watermark by `timeoutMs` or more is
 * ignored: its silence has been judged.
 */
export function offlineDetector(
  config: Partial<OfflineConfig> = {},
): KeyedProcessFunction<string, EnrichedReading, Anomaly> {
  const c: OfflineConfig = { ...offlineDefaults, ...config };
  checkPositive(OFFLINE_DETECTOR, "timeoutMs", c.timeoutMs);
  const { timeoutMs, severity, reportAtEndOfInput } = c;
  const lastSeenState = valueState<number>("offline-last-seen");
  /** The sensor's pending timer: at most last seen + timeout, moved on lazily when it fires. */
  const armedState = valueState<number>("offline-armed");
  const subjectState = valueState<AnomalySubject>("offline-subject");
  /** Closed gaps still waiting for the watermark: flat `[from, to]` pairs, a timer at each `from + timeoutMs`. */
  const gapsState = valueState<readonly number[]>("offline-gaps");

  return {
    processElement(r, ctx) {
      const t = ctx.timestamp;
      if (t + timeoutMs <= ctx.watermark) return;
      const lastSeen = ctx.state(lastSeenState);
      const last = lastSeen.get();
      if (last === undefined) {
        ctx.timers.registerEventTime(t + timeoutMs);
        ctx.state(armedState).set(t + timeoutMs);
        lastSeen.set(t);
      } else if (t > last) {
        if (t > last + timeoutMs) {
          const gaps = ctx.state(gapsState);
          gaps.set([...(gaps.get() ?? []), last, t]);
          ctx.timers.registerEventTime(last + timeoutMs);
        }
        lastSeen.set(t);
      } else {
        splitGap(t, ctx.state(gapsState), ctx.timers, timeoutMs);
      }
      const subject = ctx.state(subjectState);
      const known = subject.get();
      if (known === undefined || !sameSubject(known, r)) {
        subject.set({
          sensor_id: r.sensor_id,
          equipment_id: r.equipment_id,
          facility_id: r.facility_id,
          production_line: r.production_line,
          sensor_type: r.sensor_type,
        });
      }
    },

    onTimer(time, ctx) {
      const from = time - timeoutMs;
      const subject = ctx.state(subjectState);
      const known = subject.get();
      if (known === undefined) return;
      const gaps = ctx.state(gapsState);
      const list = gaps.get();
      const i = list === undefined ? -1 : list.indexOf(from);
      if (list !== undefined && i >= 0 && i % 2 === 0) {
        const rest = [...list.slice(0, i), ...list.slice(i + 2)];
        if (rest.length === 0) gaps.clear();
        else gaps.set(rest);
        ctx.emit(silence(known, from, time, timeoutMs, ctx.processingTime, severity), time);
      }
      const armed = ctx.state(armedState);
      if (armed.get() !== time) return;
      const lastSeen = ctx.state(lastSeenState);
      const last = lastSeen.get()!;
      if (last + timeoutMs > time) {
        // Readings came since it was set: move it on, once, instead of on every reading.
        ctx.timers.registerEventTime(last + timeoutMs);
        armed.set(last + timeoutMs);
        return;
      }
      lastSeen.clear();
      armed.clear();
      subject.clear();
      if (ctx.watermark === Number.POSITIVE_INFINITY && !reportAtEndOfInput) return;
      ctx.emit(silence(known, last, time, timeoutMs, ctx.processingTime, severity), time);
    },
  };
}

function silence(
  subject: AnomalySubject,
  from: number,
  time: number,
  timeoutMs: number,
  now: number,
  severity: Severity,
): Anomaly {
  return buildAnomaly(subject, {
    detector: OFFLINE_DETECTOR,
    severity,
    eventTimeMs: time,
    detectedAtMs: now,
    value: null,
    baseline: { threshold: timeoutMs, last_reading_ms: from },
    score: 1,
    message: `${subject.sensor_id}: no reading for ${fmt(timeoutMs / 1000)} s since ${new Date(from).toISOString()}`,
  });
}

/** A reading at `t` that arrived out of order: if it falls into a pending gap, split the gap. */
function splitGap(
  t: number,
  gaps: ValueState<readonly number[]>,
  timers: TimerService,
  timeoutMs: number,
): void {
  const list = gaps.get();
  if (list === undefined) return;
  for (let i = 0; i < list.length; i += 2) {
    const from = list[i]!;
    const to = list[i + 1]!;
    if (t <= from || t >= to) continue;
    // The gap's timer stays: when it fires it finds no gap and does nothing.
    const next = [...list.slice(0, i)];
    if (t - from > timeoutMs) next.push(from, t);
    if (to - t > timeoutMs) {
      next.push(t, to);
      timers.registerEventTime(t + timeoutMs);
    }
    next.push(...list.slice(i + 2));
    if (next.length === 0) gaps.clear();
    else gaps.set(next);
    return;
  }
}
