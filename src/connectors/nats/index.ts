/**
 * NATS connectors: the partitioned JetStream source and the KV checkpoint store (see
 * docs/connectors-nats.md).
 */
export { NatsSourceError } from "./errors.js";
export {
  connectNats,
  type NatsConnectionOptions,
  NatsConnectionWatch,
  type NatsTlsOptions,
  natsServers,
} from "./nats-connection.js";
export {
  NatsJetStreamSource,
  type NatsJetStreamSourceOptions,
  type NatsStreamCreateOptions,
} from "./nats-jetstream-source.js";
export {
  NatsKvCheckpointStore,
  type NatsKvCheckpointStoreOptions,
  natsKvCheckpointKeys,
} from "./nats-kv-checkpoint-store.js";
export {
  checkSubjectTemplate,
  natsPartitionOf,
  partitionedStreamSubject,
  partitionFilter,
  partitionTransform,
} from "./nats-partition.js";
