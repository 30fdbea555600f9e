/**
 * millstream's connectors (`millstream/connectors`): sources, sinks and checkpoint
 * stores that implement the engine's contracts.
 */
export * from "./checkpoint/index.js";
export * from "./file/index.js";
export * from "./http/index.js";
export * from "./kafka/index.js";
export * from "./mqtt/index.js";
export * from "./nats/index.js";
export * from "./parquet/index.js";
export * from "./inbound-message.js";
export * from "./inbound-payload.js";
export * from "./postgres/index.js";
export * from "./redis/index.js";
export * from "./fan-out-sink.js";
export * from "./publishing-sink.js";
export * from "./retry.js";
export { mqttSink, type MqttSinkOptions } from "./mqtt/mqtt-sink.js";
export { MqttPublisher, type MqttPublisherOptions, mqttLineTarget } from "./mqtt/mqtt-publisher.js";
export { natsSink, type NatsSinkOptions } from "./nats/nats-sink.js";
export { NatsPublisher, type NatsPublisherOptions, natsLineTarget } from "./nats/nats-publisher.js";
export { kafkaSink, type KafkaSinkOptions } from "./kafka/kafka-sink.js";
export {
  type KafkaProducerPort,
  KafkaPublisher,
  type KafkaPublisherOptions,
  kafkaLineTarget,
  platformaticProducer,
} from "./kafka/kafka-publisher.js";
