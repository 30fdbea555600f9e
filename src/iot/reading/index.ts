/**
 * Readings: the wire format, validation with reason codes, and dead-letter payloads.
 */
export { parseIsoTimestamp } from "./iso-timestamp.js";
export {
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_MIN_TIMESTAMP,
  isParseFailure,
  type ParseFailure,
  type ParseReadingOptions,
  type ParseResult,
  type ParseSuccess,
  parseOrFail,
  parsePendingOrFail,
  parseReading,
  validateOrFail,
  validatePendingOrFail,
  validateReading,
} from "./parse-reading.js";
export { isPending, type PendingReading } from "./pending-reading.js";
export * from "./reading.js";
export { REASON_CODES, type ReasonCode } from "./reason-code.js";
export { DEAD_LETTER_PAYLOAD_BYTES, truncatePayload } from "./truncate-payload.js";
