/**
 * The parse step of the plant pipeline: a raw record (a JSON string, or an
 * `InboundMessage` with its origin and topic) to a `Reading`, or to a
 * `RejectedReading` naming the reason and the source position.
 */
import type { InboundMessage } from "../../connectors/index.js";
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  isParseFailure,
  type ParseFailure,
  type ParseReadingOptions,
  parseOrFail,
  parsePendingOrFail,
  type Reading,
  truncatePayload,
  validateOrFail,
  validatePendingOrFail,
} from "../reading/index.js";
import { compileTopicTemplate, type TopicMatcher } from "../reading/topic-template.js";
import { RejectedReading } from "./rejected-reading.js";

/** Options of {@link readingParser}. */
export interface ReadingParserOptions {
  /** The clock for the `timestamp-in-future` check. */
  readonly now: () => number;
  /** How far ahead of the clock a timestamp may be, ms. */
  readonly maxFutureMs: number;
  /**
   * Fields carried in the message topic, e.g. `plants/{facility_id}/{sensor_type}/{sensor_id}`
   * (see `compileTopicTemplate`). A field in the payload wins over the topic.
   */
  readonly topicTemplate?: string;
  /** Level separator of topics: `/` (MQTT, default) or `.` (NATS subjects). */
  readonly topicSeparator?: string;
  /**
   * Emit valid readings as `PendingReading`s, which an `Enricher` fills in place (the
   * plant pipeline, whose enrich step follows). Default false: plain `Reading`s.
   */
  readonly pending?: boolean;
}

/** A function from raw record to reading or reject; never throws. */
export type ReadingParser = (raw: string | InboundMessage) => Reading | RejectedReading;

/** Builds the parse function of the plant pipeline. Throws `TopicTemplateError` for a bad template. */
export function readingParser(options: ReadingParserOptions): ReadingParser {
  const { now, maxFutureMs } = options;
  const matcher: TopicMatcher | null = options.topicTemplate
    ? compileTopicTemplate(options.topicTemplate, options.topicSeparator)
    : null;
  // One options object, its clock reading refreshed per record: nothing allocated per reading.
  const parseOptions = { now: 0, maxFutureMs };
  const pending = options.pending === true;
  const parse = pending ? parsePendingOrFail : parseOrFail;
  const validate = pending ? validatePendingOrFail : validateOrFail;
  return (raw) => {
    let payload: string;
    let position: string | null = null;
    let result: Reading | ParseFailure;
    parseOptions.now = now();
    if (typeof raw === "string") {
      payload = raw;
      result = parse(payload, parseOptions);
    } else {
      payload = raw.payload;
      position = raw.origin;
      const fields = matcher && raw.topic !== undefined ? matcher(raw.topic) : null;
      result = fields
        ? parseWithTopic(payload, fields, parseOptions, parse, validate)
        : parse(payload, parseOptions);
    }
    if (!isParseFailure(result)) return result;
    return new RejectedReading(
      result.code,
      result.path,
      result.message,
      truncatePayload(payload, 4096),
      position,
      "parse",
    );
  };
}

function parseWithTopic(
  payload: string,
  fields: Readonly<Record<string, string>>,
  options: { readonly now: number; readonly maxFutureMs: number },
  parse: (raw: string, options: ParseReadingOptions) => Reading | ParseFailure,
  validate: (value: unknown, options: ParseReadingOptions) => Reading | ParseFailure,
): Reading | ParseFailure {
  let object: unknown;
  try {
    const small =
      payload.length * 3 <= DEFAULT_MAX_PAYLOAD_BYTES ||
      Buffer.byteLength(payload) <= DEFAULT_MAX_PAYLOAD_BYTES;
    object = small ? JSON.parse(payload) : undefined;
  } catch {
    object = undefined;
  }
  if (typeof object !== "object" || object === null || Array.isArray(object)) {
    return parse(payload, options);
  }
  const record = object as Record<string, unknown>;
  for (const [field, value] of Object.entries(fields)) {
    if (record[field] === undefined || record[field] === null) record[field] = value;
  }
  return validate(record, options);
}
