/**
 * Turns a sensor's sample into one JSON line of the reading wire format
 * (docs/readings.md), and into the malformed variants the `malformed` fault sends.
 * Lines are built as strings (ids are plain ASCII, numbers finite), which is several
 * times faster than `JSON.stringify` of an object.
 */
import type { SensorType } from "../reading/reading.js";
import type { SimSensor, TimestampStyle } from "./plant-model.js";
import type { Sample } from "./signal-model.js";

const round = (v: number, scale: number) => Math.round(v * scale) / scale;

/** The measure fields of a reading (without braces), from its sample. */
export function measuresOf(s: SimSensor, sample: Sample, unit: string): string {
  const v = sample.primary;
  switch (s.type) {
    case "temperature":
      return `"temperature_celsius":${round(v, 100)},"humidity":${round(sample.second, 10)}`;
    case "vibration": {
      const [ax, ay, az] = s.axes;
      return `"acceleration_x":${round(v * ax, 10_000)},"acceleration_y":${round(v * ay, 10_000)},"acceleration_z":${round(v * az, 10_000)}`;
    }
    case "pressure":
      return `"pressure_psi":${round(v, 100)},"flow_rate":${round(sample.second, 100)}`;
    case "power": {
      const volts = sample.second;
      return `"voltage":${round(volts, 10)},"current":${round(v / volts, 1000)},"power_watts":${round(v, 10)}`;
    }
    case "generic":
      return `"value":${round(v, 100)},"unit":"${unit}"`;
  }
}

let cachedMinute = Number.NaN;
let cachedPrefix = "";

/** `YYYY-MM-DDTHH:MM:SS.mmm` of `time` (UTC); the date and minute part is cached, as consecutive readings share it. */
function isoMillis(time: number): string {
  const minute = Math.floor(time / 60_000);
  if (minute !== cachedMinute) {
    cachedMinute = minute;
    cachedPrefix = new Date(minute * 60_000).toISOString().slice(0, 17);
  }
  const ms = time - minute * 60_000;
  const seconds = Math.floor(ms / 1000);
  const millis = ms - seconds * 1000;
  return `${cachedPrefix}${seconds < 10 ? "0" : ""}${seconds}.${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}`;
}

/** The `timestamp` field's JSON text for `time` in a facility's style (`offsetMs`: its local offset). */
export function timestampText(time: number, style: TimestampStyle, offsetMs: number): string {
  if (style === "epoch-ms") return String(time);
  if (style === "iso-utc") return `"${isoMillis(time)}Z"`;
  const local = isoMillis(time + offsetMs);
  const sign = offsetMs < 0 ? "-" : "+";
  const minutes = Math.abs(offsetMs) / 60_000;
  const hh = String(Math.floor(minutes / 60)).padStart(2, "0");
  const mm = String(minutes % 60).padStart(2, "0");
  return `"${local}${sign}${hh}:${mm}"`;
}

/** One reading line; `timestamp` and `quality` are JSON text (a number is written as is). */
export function readingLine(
  sensorId: string,
  timestamp: string,
  facilityId: string,
  type: SensorType | string,
  quality: number | string,
  measures: string,
): string {
  return `{"sensor_id":"${sensorId}","timestamp":${timestamp},"facility_id":"${facilityId}","sensor_type":"${type}","quality_score":${quality},${measures}}`;
}

/** How many malformed variants `malformedLine` cycles through. */
export const MALFORMED_KINDS = [
  "truncated",
  "quality-as-string",
  "no-timestamp",
  "timestamp-without-zone",
  "nan-value",
  "unknown-type",
  "quality-out-of-range",
  "no-measure",
] as const;

/**
 * A malformed variant (`MALFORMED_KINDS[kind % 8]`) of the reading the arguments
 * describe; every variant is rejected by `parseReading` with a reason code.
 */
export function malformedLine(
  kind: number,
  sensorId: string,
  time: number,
  facilityId: string,
  type: SensorType,
  quality: number,
  measures: string,
): string {
  const iso = `"${new Date(time).toISOString()}"`;
  switch (MALFORMED_KINDS[kind % MALFORMED_KINDS.length]!) {
    case "truncated": {
      const full = readingLine(sensorId, iso, facilityId, type, quality, measures);
      return full.slice(0, Math.floor(full.length * 0.6));
    }
    case "quality-as-string":
      return readingLine(sensorId, iso, facilityId, type, `"${quality}"`, measures);
    case "no-timestamp":
      return `{"sensor_id":"${sensorId}","facility_id":"${facilityId}","sensor_type":"${type}","quality_score":${quality},${measures}}`;
    case "timestamp-without-zone":
      return readingLine(sensorId, `${iso.slice(0, -2)}"`, facilityId, type, quality, measures);
    case "nan-value":
      return readingLine(
        sensorId,
        iso,
        facilityId,
        type,
        quality,
        measures.replace(/:(-?[\d.e+-]+)/, ":NaN"),
      );
    case "unknown-type":
      return readingLine(sensorId, iso, facilityId, "humidity", quality, measures);
    case "quality-out-of-range":
      return readingLine(sensorId, iso, facilityId, type, 1.7, measures);
    case "no-measure":
      return `{"sensor_id":"${sensorId}","timestamp":${iso},"facility_id":"${facilityId}","sensor_type":"${type}","quality_score":${quality}}`;
  }
}
