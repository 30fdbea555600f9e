/**
 * Offline detector: a sensor with no reading for `timeoutMs` of event time is
 * offline. Judged with event-time timers (one pending per sensor, moved on lazily
 * when it fires rather than on every reading), so replaying a
 * file gives the same answer as running live, whatever the batching; live, the engine's watermark moves
 * on with processing time when all input is quiet, so silence is still noticed.
 */
import type { KeyedProcessFunction, TimerService } from "../../engine/index.js";
import type { Anomaly, EnrichedReading, Severity } from "../reading/reading.js";
import { type AnomalySubject, buildAnomaly, checkPositive, fmt } from "./anomaly.js";
import {
  type DetectorPart,
  keepSubject,
  PRESENT,
  partsDetector,
  SUBJECT_SLOTS,
  sameSubject,
  subjectAt,
} from "./detector-part.js";

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

// A sensor's silence watch at h[o + …]: whether a reading has been seen (1) since the
// last open-ended silence, the event time of the latest one, and the pending timer
// (at most latest + timeout, moved on lazily when it fires). Its slots, from j: the
// latest reading's subject (see `keepSubject`), then the closed gaps still waiting for
// the watermark: flat [from, to] pairs, a timer at each from + timeoutMs (null while
// there is none, as for almost every sensor almost all the time).
const SEEN = 1;
const LATEST = 2;
const ARMED = 3;
const SIZE = 4;

const GAPS = SUBJECT_SLOTS;

/** The offline detector as a part of a sensor's state (see `offlineDetector`). */
export function offlinePart(config: Partial<OfflineConfig> = {}): DetectorPart {
  const c: OfflineConfig = { ...offlineDefaults, ...config };
  checkPositive(OFFLINE_DETECTOR, "timeoutMs", c.timeoutMs);
  const { timeoutMs, severity, reportAtEndOfInput } = c;

  return {
    name: OFFLINE_DETECTOR,
    ttl: 0,
    size: SIZE,
    slots: GAPS + 1,
    process(scope, o, j, r) {
      const t = scope.t;
      if (t + timeoutMs <= scope.watermark) return;
      const { h, s, ctx } = scope;
      h[o + PRESENT] = 1;
      const seen = h[o + SEEN] !== 0;
      if (!seen) {
        ctx.timers.registerEventTime(t + timeoutMs);
        h[o + SEEN] = 1;
        h[o + ARMED] = t + timeoutMs;
        h[o + LATEST] = t;
      } else {
        const last = h[o + LATEST]!;
        if (t > last) {
          if (t > last + timeoutMs) {
            const gaps = s[j + GAPS] as number[] | null;
            if (gaps === null) s[j + GAPS] = [last, t];
            else gaps.push(last, t);
            ctx.timers.registerEventTime(last + timeoutMs);
          }
          h[o + LATEST] = t;
        } else {
          const gaps = s[j + GAPS] as number[] | null;
          if (gaps !== null && splitGap(t, gaps, ctx.timers, timeoutMs) && gaps.length === 0) {
            s[j + GAPS] = null;
          }
        }
      }
      if (!seen || !sameSubject(s, j, r)) keepSubject(s, j, r);
    },

    onTimer(scope, o, j) {
      const { h, s, ctx } = scope;
      if (h[o + PRESENT] === 0 || h[o + SEEN] === 0) return;
      const time = scope.t;
      const from = time - timeoutMs;
      const gaps = s[j + GAPS] as number[] | null;
      const at = gaps === null ? -1 : gaps.indexOf(from);
      if (gaps !== null && at >= 0 && at % 2 === 0) {
        gaps.splice(at, 2);
        if (gaps.length === 0) s[j + GAPS] = null;
        ctx.emit(
          silence(subjectAt(s, j), from, time, timeoutMs, ctx.processingTime, severity),
          time,
        );
      }
      if (h[o + ARMED] !== time) return;
      const last = h[o + LATEST]!;
      if (last + timeoutMs > time) {
        // Readings came since it was set: move it on, once, instead of on every reading.
        ctx.timers.registerEventTime(last + timeoutMs);
        h[o + ARMED] = last + timeoutMs;
        return;
      }
      h[o + SEEN] = 0;
      if (scope.watermark !== Number.POSITIVE_INFINITY || reportAtEndOfInput) {
        ctx.emit(
          silence(subjectAt(s, j), last, time, timeoutMs, ctx.processingTime, severity),
          time,
        );
      }
      if (s[j + GAPS] === null) {
        h[o + PRESENT] = 0;
        for (let k = j; k <= j + GAPS; k++) s[k] = null;
      }
    },
  };
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
  return partsDetector([offlinePart(config)]);
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

/**
 * A reading at `t` that arrived out of order: if it falls into a pending gap, split the
 * gap. Returns whether it changed the gaps.
 */
function splitGap(t: number, gaps: number[], timers: TimerService, timeoutMs: number): boolean {
  for (let i = 0; i < gaps.length; i += 2) {
    const from = gaps[i]!;
    const to = gaps[i + 1]!;
    if (t <= from || t >= to) continue;
    // The gap's timer stays: when it fires it finds no gap and does nothing.
    const early = t - from > timeoutMs;
    const late = to - t > timeoutMs;
    if (late) timers.registerEventTime(t + timeoutMs);
    if (early && late) gaps.splice(i, 2, from, t, t, to);
    else if (early) gaps.splice(i, 2, from, t);
    else if (late) gaps.splice(i, 2, t, to);
    else gaps.splice(i, 2);
    return true;
  }
  return false;
}
