/**
 * Producing records of a dataflow to Kafka topics, keyed, at least once, with the
 * record id in a header for consumers to drop repeats.
 */
import { type OutboundMessage, PublishingSink } from "../publishing-sink.js";
import type { RetryOptions } from "../retry.js";
import {
  KafkaPublisher,
  type KafkaProducerPort,
  type KafkaPublisherOptions,
  platformaticProducer,
} from "./kafka-publisher.js";

/** Options of {@link kafkaSink}. */
export interface KafkaSinkOptions<T> extends KafkaPublisherOptions {
  /** The topic of a record. */
  readonly topic: (value: T) => string;
  /** The message key (Kafka partitions by it: records of one key stay in order). */
  readonly key: (value: T) => string;
  /** The record's id: header `id`. */
  readonly id: (value: T) => string;
  /** The value. Default `JSON.stringify`. */
  readonly payload?: (value: T) => string;
  /** Buffered messages after which they are produced. Default 1000. */
  readonly bufferMessages?: number;
  /** Produce buffered messages after this many ms instead of waiting for a checkpoint. */
  readonly maxDelayMs?: number;
  readonly retry?: RetryOptions;
  /** Makes the producer of each writer; default a `@platformatic/kafka` idempotent producer. */
  readonly producer?: () => KafkaProducerPort;
}

/**
 * A sink producing each record as one keyed Kafka message, at least once: every
 * record a checkpoint covers has been acknowledged (acks from all in-sync replicas)
 * before the checkpoint is taken. The idempotent producer keeps the client's own
 * retries from duplicating a message; a replay after a crash produces the records
 * since the last checkpoint again (same key, same `id` header). See {@link PublishingSink}.
 */
export function kafkaSink<T>(options: KafkaSinkOptions<T>): PublishingSink<T> {
  const payload = options.payload ?? ((v: T) => JSON.stringify(v));
  const producer = options.producer ?? (() => platformaticProducer(options));
  return new PublishingSink<T>({
    description: `kafka-sink:${options.brokers.join(",")}`,
    connect: async () => new KafkaPublisher(producer(), options.brokers),
    message: (value): OutboundMessage => ({
      topic: options.topic(value),
      key: options.key(value),
      payload: payload(value),
      id: options.id(value),
    }),
    ...(options.bufferMessages !== undefined ? { bufferMessages: options.bufferMessages } : {}),
    ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
  });
}
