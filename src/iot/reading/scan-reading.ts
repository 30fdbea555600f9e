/**
 * A single-pass parser and validator of raw readings in their common form: a flat JSON
 * object of strings, numbers and `null` (plus unknown fields of any scalar), as
 * `JSON.stringify` or Python's `json.dumps` write it. It reads the fields straight out
 * of the text into the reading (no intermediate object from `JSON.parse`, no property
 * lookups by name), parses ISO-8601 timestamps in place, and hands back the same
 * facility id string for every reading of a facility.
 *
 * It only ever *accepts*: whatever it does not recognise (escapes in strings, nested
 * values, duplicate fields, text that is not ASCII, …) and
 * every invalid reading make it return `null`, and the caller then runs the general
 * path (`JSON.parse` and the field checks), which gives the reason code and message.
 * So a reading it accepts is the reading the general path would build, field by field.
 *
 * The text is first copied as UTF-8 into a reused byte buffer (one fast native copy),
 * because reading bytes from a typed array costs a fraction of `charCodeAt`; text with
 * any non-ASCII character takes the general path, so byte and character offsets agree.
 */
import { parseIsoTimestampIn } from "./iso-timestamp.js";
import { pendingReading } from "./pending-reading.js";
import { plainReading } from "./plain-reading.js";
import { MEASURE_FIELDS, type Reading, SENSOR_TYPES, type SensorType } from "./reading.js";

/** 9999-12-31T23:59:59.999Z, as in `parse-reading.ts`. */
const MAX_TIMESTAMP = 253_402_300_799_999;
const TWO_53 = 9_007_199_254_740_992;
/** Powers of ten that are exact doubles. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

// Field numbers; bit `1 << field` marks a field as seen.
const UNKNOWN = -1;
const SENSOR_ID = 0;
const TIMESTAMP = 1;
const FACILITY_ID = 2;
const SENSOR_TYPE = 3;
const QUALITY = 4;
const TEMPERATURE = 5;
const HUMIDITY = 6;
const AX = 7;
const AY = 8;
const AZ = 9;
const PRESSURE = 10;
const FLOW = 11;
const VOLTAGE = 12;
const CURRENT = 13;
const POWER = 14;
const VALUE = 15;
const UNIT = 16;
/** The field names as bytes, by field number. */
const NAMES = [
  "sensor_id",
  "timestamp",
  "facility_id",
  "sensor_type",
  "quality_score",
  ...MEASURE_FIELDS,
  "value",
  "unit",
].map(ascii);
const TYPE_BYTES = SENSOR_TYPES.map(ascii);
const NULL = ascii("null");
const TRUE = ascii("true");
const FALSE = ascii("false");

/** The UTF-8 copy of the text being scanned, then a 0 byte that stops every loop. */
const bytes = new Uint8Array(65_536);
const encoder = new TextEncoder();

const REQUIRED =
  (1 << SENSOR_ID) | (1 << TIMESTAMP) | (1 << FACILITY_ID) | (1 << SENSOR_TYPE) | (1 << QUALITY);

/**
 * Parses and validates `text` as one reading, like `JSON.parse` followed by
 * `validateOrFail` (or `validatePendingOrFail` when `pending`) with the same options,
 * or returns `null` when it cannot tell (the text is not in the common form) or the
 * reading is invalid: the caller then takes the general path. `now` is the clock for
 * the `timestamp-in-future` check (`undefined` skips it). Never throws.
 */
export function scanReading(
  text: string,
  now: number | undefined,
  maxFutureMs: number,
  minTimestamp: number,
  pending: boolean,
): Reading | null {
  const n = text.length;
  const b = bytes;
  if (n * 3 >= b.length) return null;
  // With room for 3 bytes a character the whole text is read: as many bytes as
  // characters means every character is ASCII.
  if (encoder.encodeInto(text, b).written !== n) return null;
  b[n] = 0;
  let i = skipSpace(b, 0);
  if (b[i] !== 123) return null;
  i = skipSpace(b, i + 1);
  let seen = 0;
  let sensorId = "";
  let facilityId = "";
  let type = "";
  let timestamp = 0;
  let quality = 0;
  let temperature: number | undefined;
  let humidity: number | undefined;
  let ax: number | undefined;
  let ay: number | undefined;
  let az: number | undefined;
  let pressure: number | undefined;
  let flow: number | undefined;
  let voltage: number | undefined;
  let current: number | undefined;
  let power: number | undefined;
  let generic: number | undefined;
  let unit: string | undefined;
  for (;;) {
    if (b[i] !== 34) return null;
    const keyStart = i + 1;
    const keyEnd = stringEnd(b, keyStart);
    if (keyEnd < 0) return null;
    const field = fieldOf(b, keyStart, keyEnd - keyStart);
    i = keyEnd + 1;
    if (b[i] !== 58) {
      i = skipSpace(b, i);
      if (b[i] !== 58) return null;
    }
    i++;
    let c = b[i] as number;
    if (c <= 32) {
      i = skipSpace(b, i);
      c = b[i] as number;
    }
    if (field !== UNKNOWN) {
      const bit = 1 << field;
      if ((seen & bit) !== 0) return null; // a repeated field: JSON.parse keeps the last
      seen |= bit;
    }
    if (c === 34) {
      const start = i + 1;
      const end = stringEnd(b, start);
      if (end < 0) return null;
      i = end + 1;
      switch (field) {
        case SENSOR_ID:
          if (end === start) return null;
          sensorId = text.slice(start, end);
          break;
        case FACILITY_ID:
          if (end === start) return null;
          // Facilities are few: one string each (short ids only, which slice copies).
          facilityId =
            end - start <= MAX_INTERNED ? internId(text, b, start, end) : text.slice(start, end);
          break;
        case SENSOR_TYPE:
          type = sensorTypeOf(b, start, end - start);
          if (type === "") return null;
          break;
        case TIMESTAMP:
          timestamp = parseIsoTimestampIn(text, start, end);
          if (Number.isNaN(timestamp)) return null;
          break;
        case UNIT:
          unit = text.slice(start, end);
          break;
        case UNKNOWN:
          break;
        default:
          return null; // a string where a number belongs
      }
    } else if (c === 110) {
      if (!named(b, i, NULL)) return null;
      i += 4;
      // Optional fields that are null stay absent; a required one is missing.
      if (field !== UNKNOWN && (REQUIRED & (1 << field)) !== 0) return null;
    } else if (c === 116 || c === 102) {
      const word = c === 116 ? TRUE : FALSE;
      if (field !== UNKNOWN || !named(b, i, word)) return null;
      i += word.length;
    } else {
      i = scanNumber(text, b, i);
      if (i < 0) return null;
      const v = scanned[0] as number;
      if (v - v !== 0) return null; // 1e999 and the like: not finite
      switch (field) {
        case UNKNOWN:
          break;
        case TIMESTAMP:
          timestamp = v;
          break;
        case QUALITY:
          quality = v;
          break;
        case TEMPERATURE:
          temperature = v;
          break;
        case HUMIDITY:
          humidity = v;
          break;
        case AX:
          ax = v;
          break;
        case AY:
          ay = v;
          break;
        case AZ:
          az = v;
          break;
        case PRESSURE:
          pressure = v;
          break;
        case FLOW:
          flow = v;
          break;
        case VOLTAGE:
          voltage = v;
          break;
        case CURRENT:
          current = v;
          break;
        case POWER:
          power = v;
          break;
        case VALUE:
          generic = v;
          break;
        default:
          return null; // a number where a string belongs
      }
    }
    let next = b[i] as number;
    if (next <= 32) {
      i = skipSpace(b, i);
      next = b[i] as number;
    }
    if (next === 44) {
      i++;
      if ((b[i] as number) <= 32) i = skipSpace(b, i);
      continue;
    }
    if (next !== 125) return null;
    break;
  }
  if (skipSpace(b, i + 1) !== n) return null;
  if ((seen & REQUIRED) !== REQUIRED) return null;

  if (timestamp < minTimestamp || timestamp > MAX_TIMESTAMP) return null;
  if (now !== undefined && timestamp > now + maxFutureMs) return null;
  if (quality < 0 || quality > 1) return null;

  let primary: number;
  switch (type) {
    case "temperature":
      if (temperature === undefined) return null;
      primary = temperature;
      break;
    case "vibration":
      if (ax === undefined || ay === undefined || az === undefined) return null;
      primary = Math.sqrt(ax * ax + ay * ay + az * az);
      break;
    case "pressure":
      if (pressure === undefined) return null;
      primary = pressure;
      break;
    case "power":
      if (power !== undefined) primary = power;
      else if (voltage === undefined || current === undefined) return null;
      else primary = voltage * current;
      break;
    default:
      if (generic === undefined) return null;
      primary = generic;
  }
  if (primary - primary !== 0) return null;

  const build = pending ? pendingReading : plainReading;
  return build(
    sensorId,
    timestamp,
    facilityId,
    type as SensorType,
    quality,
    primary,
    temperature,
    humidity,
    ax,
    ay,
    az,
    pressure,
    flow,
    voltage,
    current,
    power,
    unit,
  );
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

/** The index after any JSON white space from `i` (the 0 byte after the text stops it). */
function skipSpace(b: Uint8Array, i: number): number {
  let c = b[i] as number;
  while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i] as number;
  return i;
}

/**
 * The index of the closing quote of a string whose characters start at `i`, or -1 when
 * it holds an escape or a control character (or runs into the 0 byte after the text).
 */
function stringEnd(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i] as number;
    if (c === 34) return i;
    if (c === 92 || c < 32) return -1;
    i++;
  }
}

/** Whether the bytes at `start` are those of `name` (the text's 0 byte stops a mismatch). */
function named(b: Uint8Array, start: number, name: Uint8Array): boolean {
  for (let j = 0; j < name.length; j++) {
    if (b[start + j] !== name[j]) return false;
  }
  return true;
}

/** The field whose name is the `length` bytes at `start`, or `UNKNOWN`. */
function fieldOf(b: Uint8Array, start: number, length: number): number {
  let field: number;
  switch (length) {
    case 4:
      field = UNIT;
      break;
    case 5:
      field = VALUE;
      break;
    case 7:
      field = b[start] === 118 ? VOLTAGE : CURRENT;
      break;
    case 8:
      field = HUMIDITY;
      break;
    case 9: {
      const c = b[start];
      field = c === 115 ? SENSOR_ID : c === 116 ? TIMESTAMP : FLOW;
      break;
    }
    case 11: {
      const c = b[start];
      field = c === 102 ? FACILITY_ID : c === 115 ? SENSOR_TYPE : POWER;
      break;
    }
    case 12:
      field = PRESSURE;
      break;
    case 13:
      field = QUALITY;
      break;
    case 14: {
      const c = b[start + 13];
      field = c === 120 ? AX : c === 121 ? AY : AZ;
      break;
    }
    case 19:
      field = TEMPERATURE;
      break;
    default:
      return UNKNOWN;
  }
  return named(b, start, NAMES[field] as Uint8Array) ? field : UNKNOWN;
}

/** The sensor type named by the `length` bytes at `start`, or `""` for any other string. */
function sensorTypeOf(b: Uint8Array, start: number, length: number): string {
  let t: number;
  switch (length) {
    case 11:
      t = 0;
      break;
    case 9:
      t = 1;
      break;
    case 8:
      t = 2;
      break;
    case 5:
      t = 3;
      break;
    case 7:
      t = 4;
      break;
    default:
      return "";
  }
  return named(b, start, TYPE_BYTES[t] as Uint8Array) ? (SENSOR_TYPES[t] as string) : "";
}

/** The value of the last number {@link scanNumber} read (a typed array: no number box per write). */
const scanned = new Float64Array(1);

/**
 * Reads a JSON number at `i` into `scanned[0]`; returns the index after it, or -1 when the
 * text there is not a JSON number. Digits with at most 22 decimals whose digit string
 * is an integer below 2^53 are divided exactly (one correctly rounded division of two
 * exact doubles: the double nearest to the decimal, as `JSON.parse` gives); others are
 * converted by `Number`, after the JSON grammar has been checked.
 */
function scanNumber(text: string, b: Uint8Array, i: number): number {
  const start = i;
  let c = b[i] as number;
  const negative = c === 45;
  if (negative) c = b[++i] as number;
  let m = 0;
  if (c === 48) {
    c = b[++i] as number;
    if (c >= 48 && c <= 57) return -1; // leading zero
  } else if (c >= 49 && c <= 57) {
    do {
      m = m * 10 + (c - 48);
      c = b[++i] as number;
    } while (c >= 48 && c <= 57);
  } else {
    return -1;
  }
  let decimals = 0;
  if (c === 46) {
    c = b[++i] as number;
    if (c < 48 || c > 57) return -1;
    do {
      m = m * 10 + (c - 48);
      decimals++;
      c = b[++i] as number;
    } while (c >= 48 && c <= 57);
  }
  if (c === 101 || c === 69) {
    c = b[++i] as number;
    if (c === 43 || c === 45) c = b[++i] as number;
    if (c < 48 || c > 57) return -1;
    do c = b[++i] as number;
    while (c >= 48 && c <= 57);
    scanned[0] = Number(text.slice(start, i));
    return i;
  }
  if (m < TWO_53 && decimals <= 22) {
    const v = decimals === 0 ? m : m / (POW10[decimals] as number);
    scanned[0] = negative ? -v : v;
  } else {
    scanned[0] = Number(text.slice(start, i));
  }
  return i;
}

// Facility ids: one string per distinct id, found again by its characters. Only ids
// short enough that `slice` copies them (V8 makes longer slices views into the whole
// payload, which the table would keep alive). Sensor ids are not interned: there are
// many, and looking each one up again cost more than a fresh string.
const MAX_INTERNED = 12;
const ID_SLOTS = 1 << 12;
const ids: string[] = new Array<string>(ID_SLOTS).fill("");

/**
 * `text.slice(start, end)` (plain ASCII, `0 < end - start <= MAX_INTERNED`), as the
 * string returned last time for the same characters when it is still in the table (a
 * direct-mapped cache of 4,096 ids, replaced on collision), so that the readings of a
 * facility share one string.
 */
function internId(text: string, b: Uint8Array, start: number, end: number): string {
  let h = 0x811c9dc5;
  for (let j = start; j < end; j++) h = Math.imul(h ^ (b[j] as number), 0x01000193);
  const slot = (h ^ (h >>> 15)) & (ID_SLOTS - 1);
  const known = ids[slot] as string;
  const length = end - start;
  if (known.length === length) {
    let j = 0;
    while (j < length && known.charCodeAt(j) === b[start + j]) j++;
    if (j === length) return known;
  }
  const id = text.slice(start, end);
  ids[slot] = id;
  return id;
}
