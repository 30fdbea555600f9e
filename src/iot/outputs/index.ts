/**
 * Where the plant pipeline's outputs go besides files: the PostgreSQL table layout
 * and its migrations, the Redis key layout, the broker topics, and the broker targets
 * of `millstream simulate --to`.
 */
export {
  BROKER_TARGETS,
  BrokerUrlError,
  kafkaTarget,
  mqttTarget,
  natsTarget,
} from "./broker-targets.js";
export { PLANT_MIGRATIONS } from "./migrations/index.js";
export { PLANT_OUTPUTS, type PlantOutputName, type PlantOutputRecords } from "./output-names.js";
export {
  PLANT_TABLES,
  type PlantOutputSinks,
  type PlantPostgresOptions,
  plantPostgresSinks,
  readingId,
} from "./postgres-outputs.js";
export {
  OUTPUT_IDS,
  OUTPUT_KEYS,
  type PublishedOutput,
  plantPublisherSinks,
} from "./publisher-outputs.js";
export {
  type PlantRedisOptions,
  plantRedisSinks,
  REDIS_OUTPUTS,
  type RedisOutputName,
} from "./redis-outputs.js";
export {
  lineTopicTemplate,
  type TopicSyntax,
  templateFields,
  topicTemplate,
} from "./topic-template.js";
