/**
 * Validation of one raw reading: bytes, text or an already-decoded object in, a
 * `Reading` or a reason code out. Never throws. Hand-written for the hot path: one
 * `JSON.parse`, then plain property reads and type checks, no closures or regexes per
 * record, and every valid reading built with the same object shape.
 */
import { lacksZone, parseIsoTimestamp } from "./iso-timestamp.js";
import { type PendingReading, pendingReading } from "./pending-reading.js";
import { plainReading } from "./plain-reading.js";
import type { Reading, SensorType } from "./reading.js";
import type { ReasonCode } from "./reason-code.js";
import { scanReading } from "./scan-reading.js";

/** Options of {@link parseReading}. */
export interface ParseReadingOptions {
  /**
   * The current time, epoch ms, for the `timestamp-in-future` check (the caller's clock:
   * the parser never reads `Date.now()`). Without it that check is skipped.
   */
  readonly now?: number;
  /** How far ahead of `now` a timestamp may be. Default 300,000 (5 min). */
  readonly maxFutureMs?: number;
  /** Largest raw payload, in UTF-8 bytes, for strings and byte arrays. Default 16,384. */
  readonly maxBytes?: number;
  /**
   * Earliest accepted timestamp, epoch ms. Default 946,684,800,000 (2000-01-01T00:00Z),
   * which also catches epoch *seconds* sent where milliseconds are expected.
   */
  readonly minTimestamp?: number;
}

/** A rejected reading: the first problem found, in field order. */
export interface ParseFailure {
  readonly ok: false;
  readonly code: ReasonCode;
  /** The field at fault (`"temperature_celsius"`), or `""` for the payload as a whole. */
  readonly path: string;
  /** What was wrong, for people: names the field, what was expected and what came. */
  readonly message: string;
}

/** A valid reading. */
export interface ParseSuccess {
  readonly ok: true;
  readonly reading: Reading;
}

/** The result of {@link parseReading}. */
export type ParseResult = ParseSuccess | ParseFailure;

/** Default of {@link ParseReadingOptions.maxBytes}: 16 KiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 16_384;
/** Default of {@link ParseReadingOptions.maxFutureMs}: 5 minutes. */
export const DEFAULT_MAX_FUTURE_MS = 300_000;
/** Default of {@link ParseReadingOptions.minTimestamp}: 2000-01-01T00:00:00Z. */
export const DEFAULT_MIN_TIMESTAMP = 946_684_800_000;
/** 9999-12-31T23:59:59.999Z, the last instant ISO-8601 can write with four digits. */
const MAX_TIMESTAMP = 253_402_300_799_999;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const EMPTY: ParseReadingOptions = {};

/**
 * Validates a raw reading.
 *
 * `raw` is JSON text, its UTF-8 bytes, or an object that was decoded elsewhere (the size
 * check then does not apply). Unknown fields are ignored; an optional field that is
 * `null` counts as absent. Numbers must be JSON numbers (`"21.5"` is `wrong-type`).
 * The returned `Reading` always has every field of the interface, absent measures as
 * `undefined` (one object shape for the whole stream), and `value` set to the primary
 * value of its type. Never throws.
 */
export function parseReading(
  raw: string | Uint8Array | object,
  options: ParseReadingOptions = EMPTY,
): ParseResult {
  return wrap(parseOrFail(raw, options));
}

/**
 * {@link parseReading} without the result wrapper, for hot paths: the `Reading` itself,
 * or the failure (tell them apart with {@link isParseFailure}). Never throws.
 */
export function parseOrFail(
  raw: string | Uint8Array | object,
  options: ParseReadingOptions = EMPTY,
): Reading | ParseFailure {
  return parseAs(raw, options, false);
}

/**
 * {@link parseOrFail} for the plant pipeline: a valid reading comes as a
 * `PendingReading`, with room for its enrichment (see `pending-reading.ts`). Never throws.
 */
export function parsePendingOrFail(
  raw: string | Uint8Array | object,
  options: ParseReadingOptions = EMPTY,
): PendingReading | ParseFailure {
  return parseAs(raw, options, true) as PendingReading | ParseFailure;
}

function parseAs(
  raw: string | Uint8Array | object,
  options: ParseReadingOptions,
  pending: boolean,
): Reading | ParseFailure {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  let text: string;
  if (typeof raw === "string") {
    text = raw;
    if (text.length > maxBytes || (text.length * 3 > maxBytes && byteLength(text) > maxBytes)) {
      return tooLarge(byteLength(text), maxBytes);
    }
  } else if (raw instanceof Uint8Array) {
    if (raw.byteLength > maxBytes) return tooLarge(raw.byteLength, maxBytes);
    try {
      text = utf8.decode(raw);
    } catch {
      return fail("not-json", "", "the payload is not valid UTF-8");
    }
  } else {
    return validateAs(raw, options, pending);
  }
  // The common form in one pass; anything else, and every invalid reading, below.
  const scanned = scanReading(
    text,
    options.now,
    options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS,
    options.minTimestamp ?? DEFAULT_MIN_TIMESTAMP,
    pending,
  );
  if (scanned !== null) return scanned;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return notJson(text, error);
  }
  return validateAs(parsed, options, pending);
}

/**
 * Validates a decoded JSON value as a reading (the part of {@link parseReading} after
 * `JSON.parse`). Never throws.
 */
export function validateReading(value: unknown, options: ParseReadingOptions = EMPTY): ParseResult {
  return wrap(validateOrFail(value, options));
}

/** {@link validateReading} without the result wrapper (see {@link parseOrFail}). Never throws. */
export function validateOrFail(
  value: unknown,
  options: ParseReadingOptions = EMPTY,
): Reading | ParseFailure {
  return validateAs(value, options, false);
}

/** {@link validateOrFail} for the plant pipeline (see {@link parsePendingOrFail}). Never throws. */
export function validatePendingOrFail(
  value: unknown,
  options: ParseReadingOptions = EMPTY,
): PendingReading | ParseFailure {
  return validateAs(value, options, true) as PendingReading | ParseFailure;
}

/** Validates `value`; a valid reading is built as a `PendingReading` when `pending`. */
function validateAs(
  value: unknown,
  options: ParseReadingOptions,
  pending: boolean,
): Reading | ParseFailure {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("wrong-type", "", `expected a JSON object, got ${describe(value)}`);
  }
  const o = value as Record<string, unknown>;

  const sensorId = o.sensor_id;
  if (typeof sensorId !== "string" || sensorId.length === 0) {
    return badString("sensor_id", sensorId);
  }

  const rawTime = o.timestamp;
  let timestamp: number;
  if (typeof rawTime === "number") {
    if (!Number.isFinite(rawTime)) {
      return fail("non-finite-number", "timestamp", `expected a finite number, got ${rawTime}`);
    }
    timestamp = rawTime;
  } else if (typeof rawTime === "string") {
    timestamp = parseIsoTimestamp(rawTime);
    if (Number.isNaN(timestamp)) return badIso(rawTime);
  } else if (rawTime === undefined || rawTime === null) {
    return missing("timestamp");
  } else {
    return fail(
      "wrong-type",
      "timestamp",
      `expected an ISO-8601 string with a zone or epoch milliseconds, got ${describe(rawTime)}`,
    );
  }
  const minTimestamp = options.minTimestamp ?? DEFAULT_MIN_TIMESTAMP;
  if (timestamp < minTimestamp || timestamp > MAX_TIMESTAMP) {
    return fail(
      "invalid-timestamp",
      "timestamp",
      `${JSON.stringify(rawTime)} is outside ${iso(minTimestamp)} .. 9999-12-31` +
        (typeof rawTime === "number" && rawTime < 1e11
          ? " (epoch seconds instead of milliseconds?)"
          : ""),
    );
  }
  const now = options.now;
  if (now !== undefined) {
    const maxFuture = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
    if (timestamp > now + maxFuture) {
      return fail(
        "timestamp-in-future",
        "timestamp",
        `${iso(timestamp)} is ${timestamp - now} ms ahead of now (${iso(now)}); at most ${maxFuture} ms allowed`,
      );
    }
  }

  const facilityId = o.facility_id;
  if (typeof facilityId !== "string" || facilityId.length === 0) {
    return badString("facility_id", facilityId);
  }

  const type = o.sensor_type;
  if (typeof type !== "string") return badString("sensor_type", type);
  if (
    type !== "temperature" &&
    type !== "vibration" &&
    type !== "pressure" &&
    type !== "power" &&
    type !== "generic"
  ) {
    return fail(
      "unknown-sensor-type",
      "sensor_type",
      `expected temperature, vibration, pressure, power or generic, got ${JSON.stringify(type)}`,
    );
  }

  const quality = o.quality_score;
  if (typeof quality !== "number") {
    return quality === undefined || quality === null
      ? missing("quality_score")
      : wrongNumber("quality_score", quality);
  }
  if (!Number.isFinite(quality)) return nonFinite("quality_score", quality);
  if (quality < 0 || quality > 1) {
    return fail("quality-out-of-range", "quality_score", `expected 0..1, got ${quality}`);
  }

  const temperature = o.temperature_celsius;
  if (kind(temperature) > ABSENT) return numberFailure("temperature_celsius", temperature);
  const humidity = o.humidity;
  if (kind(humidity) > ABSENT) return numberFailure("humidity", humidity);
  const ax = o.acceleration_x;
  if (kind(ax) > ABSENT) return numberFailure("acceleration_x", ax);
  const ay = o.acceleration_y;
  if (kind(ay) > ABSENT) return numberFailure("acceleration_y", ay);
  const az = o.acceleration_z;
  if (kind(az) > ABSENT) return numberFailure("acceleration_z", az);
  const pressure = o.pressure_psi;
  if (kind(pressure) > ABSENT) return numberFailure("pressure_psi", pressure);
  const flow = o.flow_rate;
  if (kind(flow) > ABSENT) return numberFailure("flow_rate", flow);
  const voltage = o.voltage;
  if (kind(voltage) > ABSENT) return numberFailure("voltage", voltage);
  const current = o.current;
  if (kind(current) > ABSENT) return numberFailure("current", current);
  const power = o.power_watts;
  if (kind(power) > ABSENT) return numberFailure("power_watts", power);
  const generic = o.value;
  if (kind(generic) > ABSENT) return numberFailure("value", generic);
  let unit = o.unit;
  if (unit === null) unit = undefined;
  else if (unit !== undefined && typeof unit !== "string") {
    return fail("wrong-type", "unit", `expected a string, got ${describe(unit)}`);
  }

  let primary: number;
  switch (type as SensorType) {
    case "temperature":
      if (typeof temperature !== "number") return noMeasure(type, "temperature_celsius");
      primary = temperature;
      break;
    case "vibration":
      if (typeof ax !== "number") return noMeasure(type, "acceleration_x");
      if (typeof ay !== "number") return noMeasure(type, "acceleration_y");
      if (typeof az !== "number") return noMeasure(type, "acceleration_z");
      primary = Math.sqrt(ax * ax + ay * ay + az * az);
      break;
    case "pressure":
      if (typeof pressure !== "number") return noMeasure(type, "pressure_psi");
      primary = pressure;
      break;
    case "power":
      if (typeof power === "number") primary = power;
      else if (typeof voltage !== "number") return noMeasure(type, "voltage");
      else if (typeof current !== "number") return noMeasure(type, "current");
      else primary = voltage * current;
      break;
    default:
      if (typeof generic !== "number") return noMeasure(type, "value");
      primary = generic;
  }
  if (!Number.isFinite(primary)) {
    return fail(
      "non-finite-number",
      "value",
      `the primary value of this ${type} reading overflows`,
    );
  }

  const build = pending ? pendingReading : plainReading;
  return build(
    sensorId,
    timestamp,
    facilityId,
    type,
    quality,
    primary,
    opt(temperature),
    opt(humidity),
    opt(ax),
    opt(ay),
    opt(az),
    opt(pressure),
    opt(flow),
    opt(voltage),
    opt(current),
    opt(power),
    unit as string | undefined,
  );
}

/** Whether a result of {@link parseOrFail} or {@link validateOrFail} is a failure. */
export function isParseFailure(result: Reading | ParseFailure): result is ParseFailure {
  return (result as ParseFailure).ok === false;
}

function wrap(result: Reading | ParseFailure): ParseResult {
  return isParseFailure(result) ? result : { ok: true, reading: result };
}

// Optional number fields: a finite number, absent (undefined or null), or wrong.
const ABSENT = 1;

function kind(v: unknown): number {
  if (typeof v === "number") return Number.isFinite(v) ? 0 : 3;
  return v === undefined || v === null ? ABSENT : 2;
}

function opt(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}

function numberFailure(path: string, v: unknown): ParseFailure {
  return typeof v === "number" ? nonFinite(path, v) : wrongNumber(path, v);
}

function fail(code: ReasonCode, path: string, message: string): ParseFailure {
  return { ok: false, code, path, message };
}

function missing(path: string): ParseFailure {
  return fail("missing-field", path, `required field ${path} is missing`);
}

function badString(path: string, v: unknown): ParseFailure {
  if (v === undefined || v === null) return missing(path);
  return fail("wrong-type", path, `expected a non-empty string, got ${describe(v)}`);
}

function wrongNumber(path: string, v: unknown): ParseFailure {
  return fail("wrong-type", path, `expected a number, got ${describe(v)}`);
}

function nonFinite(path: string, v: number): ParseFailure {
  return fail("non-finite-number", path, `expected a finite number, got ${v}`);
}

function noMeasure(type: string, path: string): ParseFailure {
  const what = type === "power" ? "power_watts, or voltage and current" : path;
  return fail("missing-measure", path, `a ${type} reading needs ${what}`);
}

function badIso(s: string): ParseFailure {
  const why = lacksZone(s)
    ? "has no time zone (add Z or an offset such as +01:00)"
    : "is not an ISO-8601 date-time (YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM))";
  return fail("invalid-timestamp", "timestamp", `${JSON.stringify(s.slice(0, 64))} ${why}`);
}

function tooLarge(bytes: number, max: number): ParseFailure {
  return fail("payload-too-large", "", `the payload is ${bytes} bytes; at most ${max} allowed`);
}

// Python's json.dumps writes NaN and Infinity, which are not JSON: name the field.
const NON_FINITE_TOKEN = /"([^"\\]{1,64})"\s*:\s*(-?Infinity|NaN)\b/;

function notJson(text: string, error: unknown): ParseFailure {
  const m = NON_FINITE_TOKEN.exec(text);
  if (m) {
    return fail(
      "non-finite-number",
      m[1] ?? "",
      `${m[2]} is not a JSON number (expected a finite number)`,
    );
  }
  return fail("not-json", "", `the payload is not JSON: ${(error as Error).message}`);
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.slice(0, 64))}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
