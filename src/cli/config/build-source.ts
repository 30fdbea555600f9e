/**
 * Builds the plant pipeline's input `Source` from the resolved `input` section of the
 * configuration (see source-config.ts): the file, MQTT, NATS JetStream, Kafka or
 * HTTP ingest connector, emitting `InboundMessage`s so that dead letters name the
 * source position.
 */
import { fileSource } from "../../connectors/file/index.js";
import { HttpIngestSource } from "../../connectors/http/index.js";
import type { InboundMessage } from "../../connectors/inbound-message.js";
import { KafkaSource, kafkaConsumer } from "../../connectors/kafka/index.js";
import { MqttSource } from "../../connectors/mqtt/index.js";
import { NatsJetStreamSource } from "../../connectors/nats/index.js";
import type { Source } from "../../engine/index.js";
import type { InputConfig } from "./source-config.js";

/** Copies the entries of `o` whose value is defined (options are optional, not `undefined`). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The source `input` describes. Nothing connects here: connectors connect when the
 * job opens them, and fail then with errors naming the broker, stream or file.
 */
export function buildSource(
  input: InputConfig,
  options: { readonly onWarning?: (message: string) => void } = {},
): Source<InboundMessage> {
  switch (input.type) {
    case "files":
      return fileSource(
        defined({
          paths: input.files,
          format: input.format,
          delimiter: input.delimiter,
          follow: input.follow,
          pollIntervalMs: input.pollIntervalMs,
          batchSize: input.batchSize,
          onWarning: options.onWarning,
          emitMessages: true as const,
        }),
      );
    case "mqtt": {
      const { type: _type, ...mqtt } = input;
      return new MqttSource(defined(mqtt));
    }
    case "nats": {
      const { type: _type, ...nats } = input;
      return new NatsJetStreamSource(defined(nats));
    }
    case "kafka":
      return new KafkaSource(
        defined({
          topics: input.topics,
          startAt: input.startAt,
          batchSize: input.batchSize,
          bufferSize: input.bufferSize,
          maxMessageBytes: input.maxMessageBytes,
          consumer: kafkaConsumer(
            defined({
              brokers: input.brokers,
              groupId: input.groupId,
              clientId: input.clientId,
              sasl: input.sasl,
              tls: input.tls,
              sessionTimeoutMs: input.sessionTimeoutMs,
              heartbeatIntervalMs: input.heartbeatIntervalMs,
            }),
          ),
        }),
      );
    case "http": {
      const { type: _type, ...http } = input;
      return new HttpIngestSource(defined(http));
    }
  }
}
