/**
 * Why a raw reading was rejected: the reason codes that `parseReading` returns and the
 * dead-letter output records. Every code is listed, with its meaning, in docs/readings.md.
 */

/** Every reason code, in the order the checks run. */
export const REASON_CODES = [
  "payload-too-large",
  "not-json",
  "missing-field",
  "wrong-type",
  "invalid-timestamp",
  "timestamp-in-future",
  "unknown-sensor-type",
  "non-finite-number",
  "quality-out-of-range",
  "missing-measure",
] as const;

/**
 * Why a reading is invalid.
 *
 * - `payload-too-large`: the raw payload is longer than `maxBytes` (default 16 KiB).
 * - `not-json`: the payload is not JSON (or not UTF-8).
 * - `missing-field`: a required field is absent or `null`.
 * - `wrong-type`: a field (or the whole payload) has the wrong JSON type, or a required
 *   string is empty.
 * - `invalid-timestamp`: unparseable, an ISO-8601 string without a zone, or outside
 *   [`minTimestamp`, year 9999].
 * - `timestamp-in-future`: more than `maxFutureMs` ahead of the injected `now`.
 * - `unknown-sensor-type`: `sensor_type` is not one of `SENSOR_TYPES`.
 * - `non-finite-number`: NaN, ±Infinity (e.g. `1e999`, or Python's `NaN` token), or a
 *   primary value that overflows.
 * - `quality-out-of-range`: `quality_score` outside 0..1.
 * - `missing-measure`: the measure the type's primary value needs is absent.
 */
export type ReasonCode = (typeof REASON_CODES)[number];
