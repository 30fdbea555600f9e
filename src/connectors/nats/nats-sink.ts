/**
 * Publishing records of a dataflow to NATS subjects: JetStream with the record id as
 * `Nats-Msg-Id` (replays inside the stream's duplicate window are dropped by the
 * server), or core NATS.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { type OutboundMessage, PublishingSink } from "../publishing-sink.js";
import type { RetryOptions } from "../retry.js";
import { natsServers } from "./nats-connection.js";
import { NatsPublisher, type NatsPublisherOptions } from "./nats-publisher.js";

/** Options of {@link natsSink}. */
export interface NatsSinkOptions<T> extends NatsPublisherOptions {
  /** The subject of a record (e.g. `millstream.anomalies.<facility>`); a JetStream stream must capture it. */
  readonly subject: (value: T) => string;
  /** The record's id: `Nats-Msg-Id`. */
  readonly id: (value: T) => string;
  /** The payload. Default `JSON.stringify`. */
  readonly payload?: (value: T) => string;
  /** A connection the caller owns, used instead of connecting (writers leave it open). */
  readonly connection?: NatsConnection;
  /** Buffered messages after which they are published. Default 1000. */
  readonly bufferMessages?: number;
  /** Publish buffered messages after this many ms instead of waiting for a checkpoint. */
  readonly maxDelayMs?: number;
  readonly retry?: RetryOptions;
}

/**
 * A sink publishing each record as one NATS message.
 *
 * With JetStream (the default) every record a checkpoint covers is stored in the
 * stream before the checkpoint is taken; after a crash the replay publishes the same
 * ids again, which the server drops as duplicates when they come within the stream's
 * `duplicate_window` (2 minutes by default): exactly once in the stream for restarts
 * within the window, at least once beyond it. With core NATS it is at most once to
 * the subscribers connected at the time. See {@link PublishingSink}.
 */
export function natsSink<T>(options: NatsSinkOptions<T>): PublishingSink<T> {
  const payload = options.payload ?? ((v: T) => JSON.stringify(v));
  const mode = options.jetstream === false ? "nats" : "nats-jetstream";
  return new PublishingSink<T>({
    description: `${mode}-sink:${natsServers(options).join(",")}`,
    connect: async () =>
      options.connection
        ? NatsPublisher.over(options.connection, options)
        : NatsPublisher.connect(options),
    message: (value): OutboundMessage => ({
      topic: options.subject(value),
      payload: payload(value),
      id: options.id(value),
    }),
    ...(options.bufferMessages !== undefined ? { bufferMessages: options.bufferMessages } : {}),
    ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
  });
}
