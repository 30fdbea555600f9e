/**
 * Publishing records of a dataflow to MQTT topics, at least once, each message
 * carrying the record's id for consumers to drop repeats.
 */
import { type OutboundMessage, PublishingSink } from "../publishing-sink.js";
import type { RetryOptions } from "../retry.js";
import { MqttPublisher, type MqttPublisherOptions, mqttAddress } from "./mqtt-publisher.js";

/** Options of {@link mqttSink}. */
export interface MqttSinkOptions<T> extends MqttPublisherOptions {
  /** The topic of a record (e.g. `plant/<facility>/anomalies`). */
  readonly topic: (value: T) => string;
  /** The record's id (in the payload already for JSON records; also an MQTT 5 user property `id`). */
  readonly id: (value: T) => string;
  /** The payload. Default `JSON.stringify`. */
  readonly payload?: (value: T) => string;
  /** Buffered messages after which they are published. Default 1000. */
  readonly bufferMessages?: number;
  /** Publish buffered messages after this many ms instead of waiting for a checkpoint. */
  readonly maxDelayMs?: number;
  readonly retry?: RetryOptions;
}

/**
 * A sink publishing each record as one MQTT message (QoS 1 by default), at least
 * once: every record a checkpoint covers has been acknowledged by the broker before
 * the checkpoint is taken; after a crash, records since the last checkpoint are
 * published again with the same id. See {@link PublishingSink}. Each writer opens its
 * own connection (give a `clientId` only if a single writer uses it).
 */
export function mqttSink<T>(options: MqttSinkOptions<T>): PublishingSink<T> {
  const payload = options.payload ?? ((v: T) => JSON.stringify(v));
  return new PublishingSink<T>({
    description: `mqtt-sink:${mqttAddress(options.url)}`,
    connect: () => MqttPublisher.connect(options),
    message: (value): OutboundMessage => ({
      topic: options.topic(value),
      payload: payload(value),
      id: options.id(value),
    }),
    ...(options.bufferMessages !== undefined ? { bufferMessages: options.bufferMessages } : {}),
    ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
  });
}
