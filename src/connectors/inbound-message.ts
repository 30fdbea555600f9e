/**
 * A raw message as a connector received it, before any parsing: the payload plus
 * where it came from. Sources that know more than the bytes (a broker topic, the
 * file and offset, the moment of arrival) emit these instead of bare strings, so
 * dead letters can name the source position and latency can be measured from
 * arrival.
 */

/** One raw message from a source. */
export interface InboundMessage {
  /** The payload as text (UTF-8 decoded). */
  readonly payload: string;
  /**
   * Where it came from, for dead letters and debugging; human-readable and stable
   * across replays of the same input, e.g. `readings.jsonl@1042` (byte offset of
   * the line), `mqtt:plant/f1/TEMP-001`, `nats:readings.3#1234` (stream sequence),
   * `kafka:readings/2@98811`, `http:10.0.0.7#17`.
   */
  readonly origin: string;
  /** Broker topic or subject, when the connector has one (MQTT topic, NATS subject, Kafka topic). */
  readonly topic?: string;
  /** Processing time at which the connector received it, epoch ms. */
  readonly receivedAt?: number;
}

/** The payload of a raw record that is either a bare string or an `InboundMessage`. */
export function payloadOf(record: string | InboundMessage): string {
  return typeof record === "string" ? record : record.payload;
}
