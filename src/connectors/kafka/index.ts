/**
 * Kafka connectors: the consumer-group source on `@platformatic/kafka` (see
 * docs/connectors-kafka.md).
 */
export { KafkaSourceError } from "./errors.js";
export type {
  KafkaConsumerListener,
  KafkaConsumerPort,
  KafkaPartitionOffset,
  KafkaRecord,
  KafkaTopicPartition,
} from "./kafka-consumer-port.js";
export { KafkaPartitionMap, KafkaPartitionTracker } from "./kafka-partition-tracker.js";
export { KafkaSource, type KafkaSourceOptions } from "./kafka-source.js";
export {
  type KafkaConnectionOptions,
  type KafkaTlsOptions,
  kafkaConsumer,
  platformaticConsumerOptions,
} from "./platformatic-kafka-port.js";
